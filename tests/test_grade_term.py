"""descent-grade --term reaches the kernels that run the hidden tests, in the sandbox too."""
import contextlib
import csv
import io

import fabricate as fab
from descent.grade.__main__ import main


def notebook():
    """The squares assignment with a test that passes only under the term 2027-spring."""
    nb = fab.squares_notebook()
    nb.cells.append(fab.nbgrader_cell(fab.code('''
        import os
        ### BEGIN HIDDEN TESTS
        from descent.term import term_rng
        assert os.environ.get("DESCENT_TERM") == "2027-spring"
        assert term_rng(1).integers(10**9) != __import__("numpy").random.default_rng(1).integers(10**9)
        ### END HIDDEN TESTS
        '''), "test_term", grade=True, locked=True, points=1))
    return nb


def test_the_term_reaches_the_grading_kernels(tmp_path, monkeypatch):
    monkeypatch.setenv("DESCENT_TERM", "")  # restored when the test ends: main() sets it for the run
    monkeypatch.delenv("DESCENT_TERM")
    source = fab.course(str(tmp_path), notebook=notebook())
    released = fab.release(str(tmp_path))
    fab.write(fab.answer(released, fab.RIGHT), str(tmp_path / "downloads" / "ann.ipynb"))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()):
        code = main([source, str(tmp_path / "downloads"), "--out", str(tmp_path / "out"), "--quiet",
                     "--jobs", "1", "--timeout", "20", "--term", "2027-spring"])
    assert code == 0, printed.getvalue()
    with open(tmp_path / "out" / "grades.csv", newline="") as f:
        assert next(csv.DictReader(f))["test_term"] == "1"
    assert "hidden tests drawn for the term '2027-spring'" in printed.getvalue()
    # without the term the reference solution itself fails that test, and nothing is graded
    monkeypatch.delenv("DESCENT_TERM")
    errors = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(errors):
        code = main([source, str(tmp_path / "downloads"), "--out", str(tmp_path / "other"), "--quiet",
                     "--jobs", "1", "--timeout", "20"])
    assert code == 2 and "test_term (0/1)" in errors.getvalue()


def test_an_empty_term_is_refused(tmp_path, capsys):
    assert main(["squares", str(tmp_path), "--out", str(tmp_path / "out"), "--term", " "]) == 2
    assert "--term must name the term" in capsys.readouterr().err
