"""Turn grading replies into rows, notes a student can read, ``grades.csv``, ``notes.csv`` and feedback pages.

Every file is written to a temporary name in its folder and then renamed over the old one, so
a reader never sees half a table, and an interrupted run leaves the previous results intact.
"""
import csv
import dataclasses
import html
import io
import os
import re
import tempfile

from descent.grade import mathjax
from descent.grade.timing import Timing, after_penalty, iso

NOT_GRADED = {
    "empty": "The file was empty.",
    "invalid": "The file is not a readable notebook ({detail}).",
    "missing": "No notebook was found ({detail}).",
    "layout": "The files could not be matched to the assignment ({detail}).",
    "duplicate": "Two submissions carry the same student id ({detail}).",
}
EVENTS = {
    "edited": "The test cell `{cell}` had been changed; the original test was restored and run.",
    "deleted": "The test cell `{cell}` was missing; it was put back and run.",
    "unknown-cell": "A cell marked `{cell}` is not part of the assignment; it ran as an ordinary cell.",
    "timeout": "`{cell}` ran longer than the limit of {timeout} s per cell and was interrupted; "
               "the tests that needed it lost their points.",
    "memory": "`{cell}` ran out of memory (the limit is {memory}): {message}",
    "import": "`{cell}` imports a module the grading environment does not have: {message}",
    "forbidden": "`{cell}` scored 0 because the answer called library code this exercise asks you to "
                 "write yourself ({message}).",
    "repeated": "The cell `{cell}` appears more than once (copied and pasted?); the last copy was graded "
                "and the others ran as ordinary cells.",
    "limit": "The notebook went past its limit of {cell} ({message}); its kernel was stopped there.",
    "output": "`{cell}` printed more output than the limit for the whole notebook; the rest was dropped "
              "and the cell interrupted.",
    "no-feedback": "No feedback page could be made from the graded notebook: {message}",
    "restored": "{cell} had lost the cell metadata that marks the tests (copied into a new notebook, or "
                "stripped by a tool); it was restored by matching the cells with the released notebook. "
                "Check this grade by hand.",
}


@dataclasses.dataclass
class Row:
    """One student's line of grades.csv, what happened, and their feedback page."""

    student: str
    scores: list
    total: float
    max: float
    status: str
    notes: list
    feedback: dict
    submission: str = ""        # the file or folder name it was downloaded as
    roster: str = ""            # with a roster: "matched", "not in roster", "no submission" or "several submissions"
    person: object = None       # the roster row (descent.grade.roster.Student), if any
    timing: Timing = Timing()
    lms_late: bool = False      # the learning platform marked it late (Canvas's _LATE)
    pending: float = 0.0
    answers: dict = dataclasses.field(default_factory=dict)


def row(submission, reply, cells, limits):
    """The row of one submission, from the worker's reply (None when it could not be graded).

    A written answer that is not blank waits for a person: its score is blank (None), its points
    count in ``pending``, not in the total, and ``answers`` keeps its text (``descent.grade.written``)."""
    notes = [detail for kind, detail in submission.warnings]
    notes += [NOT_GRADED[kind].format(detail=detail) for kind, detail in submission.problems]
    feedback, answers = {}, {}
    if reply is None:
        status = "not graded"
        scores = [0.0 for _ in cells]
    else:
        scores = [reply["scores"].get(c.notebook, {}).get(c.grade_id, 0.0) if reply["ok"] else 0.0
                  for c in cells]
        # a written answer nbgrader left to a person (a blank one it scored 0 itself)
        answers = {column: reply.get("answers", {}).get(c.notebook, {}).get(c.grade_id, "")
                   for c, column, score in zip(cells, columns(cells), scores) if c.manual and score is None}
        notes += [EVENTS[kind].format(cell=cell, message=message.rstrip(": "), timeout=limits.timeout,
                                      memory=size(limits.memory))
                  for kind, cell, message in dict.fromkeys(map(tuple, reply["events"]))]
        if reply["ok"]:
            status = "graded with notes" if notes else "graded"
            feedback = {name: read(path) for name, path in reply["feedback"].items()}
        else:
            status = "grading failed"
            notes.append(failure_note(reply["error"]))
    total = sum(score or 0.0 for score in scores)
    pending = sum(c.points for c, score in zip(cells, scores) if score is None)
    return Row(submission.student, scores, total, sum(c.points for c in cells), status, notes, feedback,
               submission=submission.student, pending=pending, answers=answers)


def absent(person, cells):
    """The row of a roster student with no submission: blank scores, no feedback page."""
    return Row(person.student_id, [None for _ in cells], None, sum(c.points for c in cells), "not submitted",
               ["No submission was found for this student."], {}, roster="no submission", person=person)


def failure_note(error):
    """Say in plain words why a notebook could not be graded."""
    kind, _, detail = error.partition(": ")
    if kind == "kernel died":
        return ("The Python kernel died while running the notebook (a call to exit() or os._exit(), "
                f"a crash, or running out of memory), so no test could be scored: every test scores 0. ({detail})")
    if kind == "unresponsive":
        return ("A cell kept running past the time limit and ignored the interrupt (it catches "
                "KeyboardInterrupt or ignores SIGINT), so grading stopped there: every test scores 0.")
    if kind == "deadline":
        return f"The notebook as a whole ran {detail}, so grading stopped: every test scores 0."
    if kind == "crashed":
        return f"The grading process stopped unexpectedly ({detail.splitlines()[0] if detail else ''}): every test scores 0."
    return f"The notebook could not be graded, so every test scores 0. ({error.strip().splitlines()[0]})"


def size(n):
    return f"{n / 1024**3:g} GB" if n else "none"


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def number(x):
    """Scores as the table shows them: 2 not 2.0, blank for 'needs manual grading'."""
    return "" if x is None else format(x, "g")


def columns(cells):
    """One column per graded cell: its grade_id, prefixed by the notebook when there are several."""
    several = len({c.notebook for c in cells}) > 1
    return [f"{c.notebook}:{c.grade_id}" if several else c.grade_id for c in cells]


def grade_columns(cells, penalty=None):
    """The columns of grades.csv, in order: (header, value of a row). Add a column here.
    ``penalty``: percent of the earned points taken per late day, or None for no such column."""
    scored = [(name, lambda r, k=k: number(r.scores[k])) for k, name in enumerate(columns(cells))]
    penalized = [] if penalty is None else [
        ("after_late_penalty", lambda r: number(after_penalty(r.total, r.timing.late_days, penalty)))]
    return [
        ("student_id", lambda r: r.student),
        *scored,
        ("total", lambda r: number(r.total)),
        ("max", lambda r: number(r.max)),
        ("to_grade_by_hand", lambda r: number(r.pending)),
        ("submission", lambda r: r.submission),
        ("roster", lambda r: r.roster),
        ("submitted", lambda r: iso(r.timing.submitted)),
        ("time_source", lambda r: r.timing.source),
        ("late_days", lambda r: "" if r.timing.late_days is None else str(r.timing.late_days)),
        ("lms_late", lambda r: "yes" if r.lms_late else ""),
        *penalized,
    ]


def write(out, cells, rows, penalty=None):
    """Write grades.csv, notes.csv and feedback/<student>.html into ``out``, each atomically
    (no feedback page for a student with nothing submitted); ``penalty`` as in grade_columns."""
    os.makedirs(os.path.join(out, "feedback"), exist_ok=True)
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    layout = grade_columns(cells, penalty)
    writer.writerow([header for header, _ in layout])
    for r in rows:
        writer.writerow([value(r) for _, value in layout])
    atomic_write(os.path.join(out, "grades.csv"), table.getvalue())

    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(["student_id", "status", "notes"])
    for r in rows:
        writer.writerow([r.student, r.status, " ".join(r.notes)])
    atomic_write(os.path.join(out, "notes.csv"), table.getvalue())

    local = mathjax.install(os.path.join(out, "feedback"))
    for r in rows:
        if r.status != "not submitted":
            atomic_write(os.path.join(out, "feedback", r.student + ".html"),
                         feedback_page(r, mathjax.localize if local else str))


def pending_box(r):
    if not r.pending:
        return ""
    return (f'<div class="grading-pending" style="border:2px solid #36c;padding:0.5em 1em;margin:1em;'
            f'background:#f0f6ff">Written answers worth {number(r.pending)} points are graded by hand; '
            f"the score above does not include them yet.</div>")


def notes_box(r):
    if not r.notes:
        return ""
    items = "".join(f"<li>{html.escape(n)}</li>" for n in r.notes)
    return (f'<div class="grading-notes" style="border:2px solid #c60;padding:0.5em 1em;margin:1em;'
            f'background:#fff8f0"><strong>What happened when this notebook was graded</strong>'
            f"<ul>{items}</ul></div>")


def feedback_page(r, localize=str):
    """nbgrader's feedback with the grading notes on top; a page of its own when nothing ran.
    ``localize`` rewrites each of nbgrader's pages (to load MathJax locally)."""
    box = pending_box(r) + notes_box(r)
    if len(r.feedback) == 1:
        page = localize(next(iter(r.feedback.values())))
        return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + box, page, count=1)
    head = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Feedback: {html.escape(r.student)}"
            f"</title></head><body><h1>Feedback for {html.escape(r.student)}</h1>"
            f"<p>Score: {number(r.total)} / {number(r.max)} ({html.escape(r.status)})</p>{box}")
    parts = [f"<h2>{html.escape(name)}</h2><iframe style='width:100%;height:80vh' srcdoc=\"{html.escape(localize(page))}\">"
             f"</iframe>" for name, page in sorted(r.feedback.items())]
    return head + "".join(parts) + "</body></html>"


def atomic_write(path, text):
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
