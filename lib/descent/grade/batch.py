"""Grade a folder of submissions: the whole run, from the assignment's source to grades and feedback.

1. Copy the assignment into a private nbgrader course in a temporary folder and release it.
2. Check every submission is a notebook; the ones that are not get a row of zeros and a
   feedback page that says why.
3. Autograde the reference solution first, as a student: if it does not score full marks, the
   grading environment is broken (a missing package, a too-short timeout) and nothing is written.
4. Autograde the students in parallel (``descent.grade.pool``) and write ``grades.csv``,
   ``notes.csv`` and ``feedback/<student_id>.html``.
5. With a roster, name each row by its student (``descent.grade.roster``), add a row for every
   rostered student who submitted nothing, and write ``canvas.csv`` and ``moodle.csv``
   (``descent.grade.lms``). Every row records when it was submitted (``descent.grade.timing``).
"""
import dataclasses
import os
import re
import tempfile
import time

from descent.grade import course, lms, report, roster, sandbox, submissions, timing, written
from descent.grade.course import Limits
from descent.grade.pool import Pool

__all__ = ["grade", "Limits", "Result", "BrokenEnvironment"]


class BrokenEnvironment(RuntimeError):
    """The reference solution does not score full marks here: grades would be wrong."""


@dataclasses.dataclass
class Result:
    """What a run produced: one row per student, and where the files are."""

    cells: list
    rows: list
    out: str
    seconds: float
    isolated: bool = True
    rostered: bool = False      # a roster named the students (then canvas.csv and moodle.csv exist)
    due: object = None          # the due time late days count from (aware, UTC), or None
    warnings: list = dataclasses.field(default_factory=list)
    penalty: float = None       # percent of the earned points taken per late day, or None


def source_folder(assignment, course_root="."):
    """The assignment's graded source: ``assignment`` itself if it is a folder, else ``solutions/<assignment>``."""
    if os.path.isdir(assignment) and course.notebook_names(assignment):
        return os.path.abspath(assignment)
    folder = os.path.join(course_root, "solutions", assignment)
    if os.path.isdir(folder) and course.notebook_names(folder):
        return os.path.abspath(folder)
    raise FileNotFoundError(f"no assignment {assignment!r}: expected a folder of notebooks, "
                            f"or solutions/{assignment}/ under {os.path.abspath(course_root)}")


def default_jobs():
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def grade(assignment, folder, out, limits=Limits(), jobs=None, deadline=None, progress=None,
          students=None, times=None, due=None, title=None, canvas_id=None, penalty=None, written_scores=None):
    """Grade every submission in ``folder`` against ``assignment``; write the results into ``out``.

    ``students``: the roster (a list of ``roster.Student``, from ``roster.load``), or None to name
    each row by its submission. ``times``: {submission name or student id: time} (from
    ``timing.read_times``). ``due``: the due time (aware datetime) late days count from.
    ``title`` and ``canvas_id``: the assignment's title (default: its folder's name) and Canvas
    assignment id in canvas.csv and moodle.csv. ``penalty``: percent of the earned points taken per
    late day (a column of grades.csv, and the points in canvas.csv and moodle.csv); None for none.

    ``deadline`` bounds the seconds one student's notebook may take as a whole (default: the
    per-cell timeout times the number of code cells, plus ten cells and a minute of slack).
    ``progress(done, total, student)`` is called after each student. ``written_scores``: the
    path of a filled-in ``written.csv``, the points a person gave the written answers
    (``descent.grade.written``; read before anything is graded). Raises BrokenEnvironment
    (and writes nothing) if the reference solution does not score full marks, if every
    submission failed in the grader for one reason, or if ``limits.sandbox`` is asked for and
    bubblewrap cannot run here. Grades are written after every kernel of the run is gone.
    """
    started = time.monotonic()
    if limits.sandbox and sandbox.unavailable():
        raise BrokenEnvironment(
            f"student code cannot be isolated here: {sandbox.unavailable()}. Install bubblewrap "
            "(apt-get install bubblewrap), or pass --no-sandbox to grade without isolation: then a "
            "submission can read the hidden tests and the grader's files, and change grades.")
    # The grading processes work in a temporary folder: every path they are given is absolute.
    folder, out = os.path.abspath(folder), os.path.abspath(out)
    source = source_folder(assignment)
    name = os.path.basename(source)
    notebooks = course.notebook_names(source)
    known = course.graded_cells(source)
    by_hand = written.read_scores(written_scores, written.questions(source, known, report.columns(known))) \
        if written_scores else {}
    found = submissions.find(folder, notebooks)
    if deadline is None:
        deadline = limits.timeout * (course.code_cells(source) + 10) + 60
    with tempfile.TemporaryDirectory(prefix="descent-grade-") as work:
        root = os.path.join(work, "course")
        tasks = [{"student": course.REFERENCE_ID, "files": {n: os.path.join(source, n + ".ipynb") for n in notebooks}}]
        ids = {}
        for k, submission in enumerate(found):
            if submission.files:
                ids[f"s{k:05d}"] = submission
                tasks.append({"student": f"s{k:05d}", "files": submission.files})
        replies = {}
        gradable = len(tasks) - 1
        # a grading process costs about one notebook to start: give each at least two
        jobs = max(1, min(jobs or default_jobs(), len(tasks) // 2))
        pool = Pool(root, name, limits, jobs, deadline)
        try:
            cells = course.prepare(source, root, limits)
            pool.begin()
            for reply in pool.run(tasks):
                if reply["student"] == course.REFERENCE_ID:
                    full_marks(reply, cells)
                    continue
                replies[reply["student"]] = reply
                if progress:
                    progress(len(replies), gradable, ids[reply["student"]].student)
        finally:
            pool.close()
        same_failure(replies)
        rows = [report.row(s, replies.get(internal), cells, limits) for internal, s in ids.items()]
        rows += [report.row(s, None, cells, limits) for s in found if not s.files]
        rows = enrol(rows, {s.student: s for s in found}, students, times or {}, due, cells)
        written.fill(rows, by_hand, cells, report.columns(cells))
        rows.sort(key=lambda row: row.student)
        report.write(out, cells, rows, penalty)
        written.write(out, written.questions(source, cells, report.columns(cells)), rows, report.columns(cells))
        warnings = [] if students is None else lms.write(out, rows, title or name, sum(c.points for c in cells),
                                                         canvas_id, penalty)
        warnings += written.unused(by_hand, rows, written_scores)
    return Result(cells, rows, out, time.monotonic() - started, limits.sandbox, students is not None, due, warnings,
                  penalty)


def enrol(rows, found, students, times, due, cells):
    """Give each row its submission time and, with a roster, its student; add the rostered students
    who submitted nothing. ``found`` maps submission names to submissions."""
    claims = {}
    for row in rows:
        name = row.submission
        row.lms_late = roster.parse_name(name).late
        if students is not None:
            person, why = roster.find(students, name)
            if person is None:
                row.roster = "not in roster"
                row.notes.append(f"The submission {name!r} {why}; it is in no learning platform file.")
            else:
                claims.setdefault(person.student_id, []).append(row)
                row.person, row.student, row.roster = person, person.student_id, "matched"
    for student_id, claimed in claims.items():
        if len(claimed) > 1:
            names = ", ".join(repr(r.submission) for r in claimed)
            for row in claimed:
                row.person, row.student, row.roster = None, row.submission, "several submissions"
                row.notes.append(f"Several submissions ({names}) match the roster's {student_id!r}; "
                                 "keep one and grade again.")
    for row in rows:
        submission = found[row.submission]
        files = list(submission.files.values()) or ([submission.path] if os.path.isfile(submission.path) else [])
        names = [row.submission] + ([row.person.student_id] if row.person else [])
        row.timing = timing.timing(submission.path, files, names, times, due)
        if row.timing.problem:
            row.notes.append(row.timing.problem)
    if students is not None:
        rows += [report.absent(s, cells) for s in students if s.student_id not in claims]
    taken = {}
    for row in rows:
        if row.status == "graded" and row.notes:
            row.status = "graded with notes"
        if row.student in taken:   # a submission name that is another student's roster id: keep both pages
            row.student = f"{row.student} ({row.submission})"
        taken[row.student] = row
    return rows


def full_marks(reply, cells):
    """Raise BrokenEnvironment unless the reference solution's reply has every automatic point
    and every import worked."""
    lost = []
    for cell in (c for c in cells if not c.manual):  # a written answer waits for a person
        score = reply.get("scores", {}).get(cell.notebook, {}).get(cell.grade_id)
        if score is None or score < cell.points:
            lost.append(f"{cell.grade_id} ({score if score is not None else 0:g}/{cell.points:g})")
    missing = [f"{where}: {what}" for where, what in reply.get("errors", [])
               if what.startswith(("ModuleNotFoundError", "ImportError"))]
    if not reply.get("ok") or lost or missing:
        errors = "\n".join(f"  {where}: {what}" for where, what in reply.get("errors", [])[:5])
        raise BrokenEnvironment(
            "the reference solution does not score full marks with every import working in this "
            "grading environment, so no grade would be trustworthy; nothing was written.\n"
            f"  cells that lost points: {', '.join(lost) or 'none'}\n"
            + (f"  imports that failed: {'; '.join(missing)}\n" if missing else "")
            + (f"  grading error: {reply['error']}\n" if reply.get("error") else "")
            + (f"  first errors in the reference notebook:\n{errors}\n" if errors else "")
            + "  Typical causes: a package the notebook imports is not installed, or the per-cell "
              "timeout is too short for this machine.")


def same_failure(replies):
    """Raise BrokenEnvironment when every student's notebook failed in the grader for one reason.

    A failure of the grader itself (not a kernel the student's code killed, nor a deadline) that
    strikes every submission alike says the environment is broken, not that the class earned 0.
    """
    failures = [reply["error"] for reply in replies.values()
                if not reply["ok"] and reply["error"].startswith(("error:", "crashed:"))]
    reasons = {GRADER_FAILURE.sub("…", error.splitlines()[0]) for error in failures}
    if len(replies) > 1 and len(failures) == len(replies) and len(reasons) == 1:
        raise BrokenEnvironment(
            f"every one of the {len(replies)} submissions failed while grading, for the same reason: "
            f"{failures[0].splitlines()[0]}\n"
            "  The grading environment is broken (nothing was written); fix it and grade again.")


# What varies between students in one failure message: quoted paths and names, numbers.
GRADER_FAILURE = re.compile(r"'[^']*'|\"[^\"]*\"|\d+")
