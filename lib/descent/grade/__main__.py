"""Command line: ``python -m descent.grade ASSIGNMENT SUBMISSIONS --out OUTDIR``."""
import argparse
import collections
import os
import statistics
import sys
import time

from descent import term
from descent.grade import roster, timing
from descent.grade.batch import BrokenEnvironment, Limits, default_jobs, grade
from descent.grade.written import WrittenScoresError

GB = 1024**3


def parse(argv):
    p = argparse.ArgumentParser(
        prog="descent-grade",
        description="Autograde a folder of submitted notebooks with nbgrader; write grades.csv, "
                    "notes.csv and feedback/<student_id>.html into OUTDIR.")
    p.add_argument("assignment", help="the assignment: a name under solutions/ (e.g. 01_backpropagation) "
                                      "or the path of its source folder")
    p.add_argument("submissions", help="folder of <student_id>.ipynb files or <student_id>/ folders")
    p.add_argument("--out", required=True, help="folder for grades.csv, notes.csv and feedback/")
    p.add_argument("--timeout", type=int, default=60, help="seconds one cell may run (default 60)")
    p.add_argument("--memory", type=float, default=2.0, help="GB of memory one notebook may use (default 2; 0: no limit)")
    p.add_argument("--jobs", type=int, default=default_jobs(), help="notebooks graded at once (default: the cores)")
    p.add_argument("--no-sandbox", dest="sandbox", action="store_false",
                   help="run student code without isolation (where bubblewrap is missing: macOS, Windows); "
                        "only for submissions you trust")
    p.add_argument("--written", metavar="FILE",
                   help="written.csv with the points you gave the written answers (a grading run writes "
                        "it, with written.html to mark them by question): they join the totals")
    p.add_argument("--term", metavar="NAME",
                   help="draw the hidden tests' random inputs for this term (e.g. 2027-spring; see descent.term): "
                        "another term's answers to the hidden cases do not fit by accident")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--roster", metavar="FILE",
                   help="CSV of the class: student_id and submission (or canvas_id, or name), optional email, "
                        "sis_id, login_id, section; names the rows by student, lists who submitted nothing and "
                        "writes canvas.csv and moodle.csv")
    p.add_argument("--due", metavar="DATETIME",
                   help="due time, ISO 8601 (2026-10-02T23:59-07:00; without a time zone, UTC is assumed): "
                        "fills the late_days column")
    p.add_argument("--times", metavar="FILE",
                   help="CSV with columns submission (or student_id) and submitted (ISO 8601): submission "
                        "times where nbgrader's timestamp.txt is missing")
    p.add_argument("--late-penalty", type=float, metavar="PERCENT",
                   help="take PERCENT of the earned points per late day (needs --due): adds the column "
                        "after_late_penalty, and canvas.csv and moodle.csv hold what is left (default: no penalty)")
    p.add_argument("--title", help="the assignment's column title in canvas.csv and moodle.csv (default: its name)")
    p.add_argument("--canvas-id", metavar="NUMBER",
                   help="the Canvas assignment id (in its address, /assignments/NUMBER): the column becomes "
                        "'TITLE (NUMBER)' so Canvas fills that assignment")
    return p.parse_args(argv)


class ProgressBar:
    """A one-line progress bar on stderr (redrawn in place on a terminal, every 10% otherwise)."""

    def __init__(self, quiet=False, width=30):
        self.quiet, self.width, self.start, self.shown = quiet, width, time.monotonic(), -1

    def __call__(self, done, total, student):
        if self.quiet or total == 0:
            return
        tty = sys.stderr.isatty()
        tenth = done * 10 // total
        if not tty and tenth == self.shown:
            return
        self.shown = tenth
        filled = self.width * done // total
        rate = done / max(time.monotonic() - self.start, 1e-9)
        line = (f"grading [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} "
                f"({rate * 60:.0f}/min) {student[:20]:<20}")
        print("\r" + line if tty else line, end="" if tty and done < total else "\n", file=sys.stderr, flush=True)


def shorten(text, width=90):
    return text if len(text) <= width else text[: width - 1].rsplit(" ", 1)[0] + " …"


def summary(result):
    rows = [r for r in result.rows if r.status != "not submitted"]
    totals = [r.total for r in rows]
    count = collections.Counter(r.status for r in rows)
    full = sum(r.total == r.max for r in rows)
    lines = [] if result.isolated else [
        "NOT ISOLATED: graded with --no-sandbox; the submissions' code could read the hidden tests, "
        "the grader's files and environment, and change these results."]
    lines += [f"{len(rows)} submissions: {count['graded'] + count['graded with notes']} graded, "
             f"{count['grading failed']} failed while grading, {count['not graded']} not gradable; "
             f"in {result.seconds:.0f} s",
             f"scores out of {rows[0].max:g}: mean {statistics.mean(totals):.2f}, "
             f"median {statistics.median(totals):g}, full marks {full}, zero {sum(t == 0 for t in totals)}"
             if rows else "no submissions found"]
    noted = [r for r in rows if r.notes]
    if noted:
        lines.append(f"{len(noted)} with notes (details in notes.csv and each feedback page):")
        lines += [f"  {r.student}: {r.status}; {shorten(r.notes[0])}" for r in noted[:20]]
        if len(noted) > 20:
            lines.append(f"  ... and {len(noted) - 20} more")
    lines += class_lines(result)
    pending = [r for r in rows if r.pending]
    if pending:
        lines.append(f"{len(pending)} with written answers to grade by hand (up to {max(r.pending for r in pending):g} "
                     f"points each): mark them in written.html, fill in written.csv, grade again with --written")
    if term.term():
        lines.append(f"hidden tests drawn for the term {term.term()!r}")
    lms = ", canvas.csv, moodle.csv" if result.rostered else ""
    written = ", written.html, written.csv" if any(c.manual for c in result.cells) else ""
    lines.append(f"wrote {result.out}/grades.csv, notes.csv{lms}{written} and feedback/")
    return "\n".join(lines)


def listing(names, most=10):
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def class_lines(result):
    """What the roster and the times say: who is missing or unknown, and who is late."""
    lines = []
    if result.rostered:
        status = collections.defaultdict(list)
        for r in result.rows:
            status[r.roster].append(r.submission or r.student)
        lines.append(f"roster: {len(status['matched'])} matched, {len(status['no submission'])} rostered "
                     f"students without a submission, {len(status['not in roster'])} submissions not in the "
                     f"roster, {len(status['several submissions'])} submissions that claim one student")
        for kind in ("no submission", "not in roster", "several submissions"):
            if status[kind]:
                lines.append(f"  {kind}: {listing(status[kind])}")
    if result.due is not None:
        sources = collections.Counter(r.timing.source for r in result.rows if r.timing.source)
        lines.append("submission times from " + ", ".join(f"{source} ({n})" for source, n in sources.most_common()))
        if sources.get(timing.SOURCES["mtime"]):
            lines.append("  (a downloaded file's modification time may be when it was downloaded or unzipped; "
                         "give --times for the platform's times)")
        late = [f"{r.student} ({r.timing.late_days})" for r in result.rows if r.timing.late_days]
        lines.append(f"due {timing.iso(result.due)}: {len(late)} late" + (f": {listing(late)}" if late else ""))
        lines.append(f"late penalty: {result.penalty:g}% of the earned points per late day (after_late_penalty)"
                     if result.penalty is not None else "no late penalty applied")
    flagged = [r.student for r in result.rows if r.lms_late]
    if flagged:
        lines.append(f"marked late by Canvas (_LATE in the file name): {listing(flagged)}")
    lines += result.warnings
    return lines


def main(argv=None):
    args = parse(argv)
    limits = Limits(timeout=args.timeout, memory=int(args.memory * GB), sandbox=args.sandbox)
    if args.term is not None:
        if not args.term.strip():
            print("descent-grade: --term must name the term (for example 2027-spring), got an empty name",
                  file=sys.stderr)
            return 2
        os.environ[term.VARIABLE] = args.term  # every grading kernel inherits it
    try:
        if args.canvas_id is not None and not args.canvas_id.isdigit():
            raise roster.RosterError(f"--canvas-id: {args.canvas_id!r} is not a Canvas assignment id; give the "
                                     "number after /assignments/ in the assignment's address")
        if args.late_penalty is not None and not args.due:
            raise timing.TimeError("--late-penalty needs --due DATETIME to count late days from")
        if args.late_penalty is not None and not 0 < args.late_penalty <= 100:
            raise timing.TimeError(f"--late-penalty: {args.late_penalty:g} is not a percent per late day; "
                                   "give a number above 0 and at most 100")
        if (args.title or args.canvas_id) and not args.roster:
            raise roster.RosterError("--title and --canvas-id name the column of canvas.csv and moodle.csv, "
                                     "which are written only with --roster FILE")
        students = roster.load(args.roster) if args.roster else None
        times = timing.read_times(args.times) if args.times else {}
        due = timing.parse(args.due, "--due") if args.due else None
    except (roster.RosterError, timing.TimeError) as error:
        print(f"descent-grade: {error}", file=sys.stderr)
        return 2
    try:
        result = grade(args.assignment, args.submissions, args.out, limits, jobs=args.jobs,
                       progress=ProgressBar(args.quiet), students=students, times=times, due=due,
                       title=args.title, canvas_id=args.canvas_id, penalty=args.late_penalty,
                       written_scores=args.written)
    except (BrokenEnvironment, FileNotFoundError, timing.TimeError, WrittenScoresError) as error:
        print(f"descent-grade: {error}", file=sys.stderr)
        return 2
    print(summary(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
