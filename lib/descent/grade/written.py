"""Written answers, graded by a person: a page to mark them by question, a table to fill in, and
the table read back.

nbgrader scores a blank written answer 0 by itself and leaves any other for a person. A grading
run writes, beside ``grades.csv``::

    written.html   each written question: its text, the reference answer with its rubric, then
                   every student's non-blank answer, one after another (marking by question)
    written.csv    student_id and one column per written question: 0 for a blank answer, empty
                   where a person must give the points

Fill in ``written.csv`` and grade again with ``--written written.csv``: its points complete the
scores, the totals and the feedback pages, and ``to_grade_by_hand`` falls to 0.
"""
import csv
import dataclasses
import html
import io
import os
import re

from descent.grade import mathjax

SOLUTION_MARKERS = re.compile(r"^\s*#*\s*(BEGIN|END) SOLUTION\s*$\n?", re.MULTILINE)
MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$", re.DOTALL)


class WrittenScoresError(ValueError):
    """A table of written scores that cannot be read: it names the file, the row and the value."""


@dataclasses.dataclass(frozen=True)
class Question:
    """A written question: its column in the tables, its points, its text and the reference answer."""

    column: str
    points: float
    text: str
    reference: str


def questions(source, cells, columns):
    """The written questions of the assignment folder ``source``, in the order of ``cells``."""
    import nbformat

    found = []
    for cell, column in zip(cells, columns):
        if not cell.manual:
            continue
        nb = nbformat.read(os.path.join(source, cell.notebook + ".ipynb"), as_version=4)
        index = next(i for i, c in enumerate(nb.cells)
                     if c.metadata.get("nbgrader", {}).get("grade_id") == cell.grade_id)
        asked = []
        for before in reversed(nb.cells[:index]):
            if before.cell_type != "markdown" or before.metadata.get("nbgrader", {}).get("grade"):
                break
            asked.insert(0, before.source)
        found.append(Question(column, cell.points, "\n\n".join(asked),
                              SOLUTION_MARKERS.sub("", nb.cells[index].source).strip()))
    return found


def read_scores(path, questions):
    """The points a person gave, from a filled-in ``written.csv``: ``{student_id: {column: points}}``.

    Empty cells are left out (still to grade). Raises WrittenScoresError for a missing
    ``student_id`` column, a column that is not a written question, a repeated student, or a
    value that is not a number from 0 to the question's points.
    """
    points = {q.column: q.points for q in questions}
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
            header = rows and list(rows[0]) or []
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise WrittenScoresError(f"--written {path}: cannot be read ({error})") from None
    if "student_id" not in header:
        raise WrittenScoresError(f"--written {path}: no student_id column (found: {', '.join(header) or 'nothing'}); "
                                 f"start from the written.csv a grading run writes")
    unknown = [name for name in header if name != "student_id" and name not in points]
    if unknown:
        raise WrittenScoresError(f"--written {path}: {', '.join(map(repr, unknown))} is not a written question "
                                 f"of this assignment (they are: {', '.join(points) or 'none'})")
    scores = {}
    for line, row in enumerate(rows, start=2):
        student = (row.get("student_id") or "").strip()
        if student in scores:
            raise WrittenScoresError(f"--written {path}, line {line}: student {student!r} appears twice")
        scores[student] = {}
        for column, value in row.items():
            if column == "student_id" or value is None or not value.strip():
                continue
            try:
                given = float(value)
            except ValueError:
                given = float("nan")
            if not 0 <= given <= points[column]:
                raise WrittenScoresError(f"--written {path}, line {line}, column {column!r}: {value!r} is not "
                                         f"a number of points from 0 to {points[column]:g}")
            scores[student][column] = given
    return scores


def fill(rows, scores, cells, columns):
    """Give the rows the points a person gave (``read_scores``), where an answer waits for them."""
    for r in rows:
        given = scores.get(r.student, {})
        for k, (cell, column) in enumerate(zip(cells, columns)):
            if cell.manual and r.scores[k] is None and column in given and r.status != "not submitted":
                r.scores[k] = given[column]
                r.total += given[column]
                r.pending -= cell.points


def unused(scores, rows, path):
    """A summary line for the students of ``scores`` (read from ``path``) who have no graded row
    here, so that points given to a misspelt id are not lost without a word."""
    graded = {r.student for r in rows if r.status != "not submitted"}
    missing = sorted(student for student, given in scores.items() if given and student not in graded)
    if not missing:
        return []
    return [f"--written {path}: no submission here for {', '.join(map(repr, missing))}; the points given "
            "to them were not used (check the student_id column)"]


def write(out, questions, rows, columns):
    """Write ``written.csv`` and ``written.html`` into ``out`` (nothing when there is no written
    question); ``columns`` names the rows' scores."""
    from descent.grade.report import atomic_write, number

    if not questions:
        return
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(["student_id", *(q.column for q in questions)])
    for r in (r for r in rows if r.status != "not submitted"):
        scores = dict(zip(columns, r.scores))
        writer.writerow([r.student, *(number(scores.get(q.column)) for q in questions)])
    atomic_write(os.path.join(out, "written.csv"), table.getvalue())
    atomic_write(os.path.join(out, "written.html"), page(questions, rows, columns))


def page(questions, rows, columns):
    """One page: each question, its reference answer and rubric, and the answers to mark."""
    parts = []
    for q in questions:
        answers = [(r.student, r.answers.get(q.column, ""), dict(zip(columns, r.scores)).get(q.column))
                   for r in rows if q.column in r.answers]
        marked = "".join(
            f'<section class="answer" id="{html.escape(q.column)}--{html.escape(student)}"><h3>{html.escape(student)}'
            f'<span class="points">{"to grade" if score is None else f"{score:g} / {q.points:g}"}</span></h3>'
            f"{markdown(text)}</section>" for student, text, score in answers)
        parts.append(f'<article id="{html.escape(q.column)}"><h2>{html.escape(q.column)} ({q.points:g} points)</h2>'
                     f'<div class="question">{markdown(q.text)}</div>'
                     f'<details open class="reference"><summary>Reference answer and rubric</summary>'
                     f"{markdown(q.reference)}</details>"
                     f"<p>{len(answers)} answers to mark (blank answers score 0 and are not shown).</p>"
                     f"{marked}</article>")
    contents = "".join(f'<li><a href="#{html.escape(q.column)}">{html.escape(q.column)}</a></li>' for q in questions)
    script = mathjax.LOCAL_BLOCK.replace('src="mathjax/', f'src="feedback/{mathjax.FOLDER}/')
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Written answers</title>"
            f"{script}<style>{STYLE}</style></head><body><h1>Written answers</h1>"
            "<p>Mark each answer against the rubric, write the points into <code>written.csv</code>, then "
            "grade again with <code>--written written.csv</code>.</p>"
            f"<ul>{contents}</ul>{''.join(parts)}</body></html>")


def markdown(text):
    """Markdown as HTML, with the math left for MathJax (markdown would read ``_`` as emphasis)."""
    import mistune

    kept = []

    def keep(match):
        kept.append(html.escape(match.group(0)))
        return f"MATH{len(kept) - 1}END"

    rendered = mistune.html(MATH.sub(keep, text))
    return re.sub(r"MATH(\d+)END", lambda m: kept[int(m.group(1))], rendered)


STYLE = """body{max-width:52em;margin:2em auto;font-family:sans-serif;line-height:1.5;padding:0 1em}
article{border-top:3px solid #36c;margin-top:2em}.question{background:#f6f6f6;padding:0.2em 1em}
.reference{background:#f0f6ff;padding:0.5em 1em;margin:1em 0}.answer{border-left:4px solid #ccc;padding-left:1em;margin:1.5em 0}
.points{float:right;font-weight:normal;color:#555}"""
