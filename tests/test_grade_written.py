"""Written answers graded by hand: left out of the totals until a person gives their points, marked
by question from written.html, read back from a filled-in written.csv."""
import contextlib
import csv
import html
import io
import os
import re

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell

import fabricate as fab
from descent.grade import written
from descent.grade.__main__ import main

QUESTION = "Why is $x_i^2$ never negative? Explain in a sentence."
RUBRIC = "**Rubric.** 2 points: a square of a real number is a product of two numbers of the same sign."
ANSWER = "Because $x_i \\cdot x_i$ multiplies two numbers with the *same* sign."


def notebook():
    """The squares assignment with a written question worth 2 points after its tasks."""
    nb = fab.squares_notebook()
    nb.cells += [
        fab.nbgrader_cell(new_markdown_cell("## A written question\n\n" + QUESTION), "question", locked=True),
        fab.nbgrader_cell(new_markdown_cell(RUBRIC), "why-positive", grade=True, solution=True, points=2),
    ]
    return nb


def grade(source, folder, out, *extra):
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()) as errors:
        code = main([source, folder, "--out", out, "--timeout", "20", "--jobs", "1", "--quiet", *extra])
    return code, printed.getvalue() + errors.getvalue()


def rows(path):
    with open(path, newline="") as f:
        return {r["student_id"]: r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Three students graded once: one answered the question, one left it blank, one is the reference."""
    root = tmp_path_factory.mktemp("course")
    source = fab.course(str(root), notebook=notebook())
    released = fab.release(str(root))
    folder = root / "downloads"
    fab.write(fab.answer(released, {**fab.RIGHT, "why-positive": ANSWER}), str(folder / "ann.ipynb"))
    fab.write(fab.answer(released, fab.RIGHT), str(folder / "ben.ipynb"))
    fab.write(nbformat.read(os.path.join(source, "squares.ipynb"), as_version=4), str(folder / "ref.ipynb"))
    out = str(root / "out")
    code, printed = grade(source, str(folder), out)
    return {"root": root, "source": source, "folder": str(folder), "out": out, "code": code, "printed": printed}


def test_a_written_answer_is_left_for_a_person_and_a_blank_one_scores_zero(graded):
    assert graded["code"] == 0
    table = rows(os.path.join(graded["out"], "grades.csv"))
    assert table["ann"]["why-positive"] == "" and table["ann"]["to_grade_by_hand"] == "2"
    assert table["ann"]["total"] == "5" and table["ann"]["max"] == "7"
    assert table["ben"]["why-positive"] == "0" and table["ben"]["to_grade_by_hand"] == "0"
    assert table["ref"]["total"] == "5" and table["ref"]["to_grade_by_hand"] == "2"
    assert "2 with written answers to grade by hand" in graded["printed"]
    notes = rows(os.path.join(graded["out"], "notes.csv"))
    assert notes["ann"]["status"] == "graded" and notes["ann"]["notes"] == ""


def test_the_marking_page_shows_question_rubric_and_only_the_answers_to_mark(graded):
    with open(os.path.join(graded["out"], "written.html"), encoding="utf-8") as f:
        page = f.read()
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "Why is $x_i^2$ never negative?" in text  # the math is left intact for MathJax
    assert "Rubric." in text and "same sign" in text
    assert "ann" in text and "Because $x_i \\cdot x_i$ multiplies two numbers with the same sign." in text
    assert 'id="why-positive--ben"' not in page  # a blank answer scores 0 and is not shown
    assert 'src="feedback/mathjax/tex-chtml.js"' in page


def test_the_feedback_says_which_points_wait_for_a_person(graded):
    with open(os.path.join(graded["out"], "feedback", "ann.html"), encoding="utf-8") as f:
        assert "Written answers worth 2 points are graded by hand" in f.read()
    with open(os.path.join(graded["out"], "feedback", "ben.html"), encoding="utf-8") as f:
        assert "graded by hand" not in f.read()


def test_points_given_in_written_csv_join_the_totals(graded, tmp_path):
    table = rows(os.path.join(graded["out"], "written.csv"))
    assert table == {"ann": {"student_id": "ann", "why-positive": ""},
                     "ben": {"student_id": "ben", "why-positive": "0"},
                     "ref": {"student_id": "ref", "why-positive": ""}}
    filled = tmp_path / "written.csv"
    filled.write_text("student_id,why-positive\nann,1.5\nben,0\nref,\nanm,2\n")  # anm: a misspelt id
    out = str(tmp_path / "out")
    code, printed = grade(graded["source"], graded["folder"], out, "--written", str(filled))
    assert code == 0
    table = rows(os.path.join(out, "grades.csv"))
    assert (table["ann"]["why-positive"], table["ann"]["total"], table["ann"]["to_grade_by_hand"]) == ("1.5", "6.5", "0")
    assert (table["ref"]["why-positive"], table["ref"]["total"], table["ref"]["to_grade_by_hand"]) == ("", "5", "2")
    assert "1 with written answers to grade by hand" in printed
    assert "no submission here for 'anm'; the points given to them were not used" in printed
    assert "anm" not in table


@pytest.mark.parametrize("text, message", [
    ("student_id,why-positive\nann,3\n", "line 2, column 'why-positive': '3' is not a number of points from 0 to 2"),
    ("student_id,why-positive\nann,good\n", "'good' is not a number of points from 0 to 2"),
    ("student_id,why-positive\nann,1\nann,2\n", "line 3: student 'ann' appears twice"),
    ("student_id,test_square\nann,1\n", "'test_square' is not a written question of this assignment (they are: why-positive)"),
    ("name,why-positive\nann,1\n", "no student_id column"),
])
def test_a_written_table_that_cannot_be_right_is_refused_before_grading(tmp_path, text, message):
    root = tmp_path / "course"
    source = fab.course(str(root), notebook=notebook())
    filled = tmp_path / "written.csv"
    filled.write_text(text)
    code, printed = grade(source, str(tmp_path / "nothing"), str(tmp_path / "out"), "--written", str(filled))
    assert code == 2
    assert message in printed and str(filled) in printed
    assert not os.path.exists(tmp_path / "out")


def test_math_survives_markdown():
    rendered = written.markdown("a *word* and $a_i b_i$ and $$x_{1} * y_{2}$$")
    assert "<em>word</em>" in rendered and "$a_i b_i$" in rendered and "$$x_{1} * y_{2}$$" in rendered
