"""descent.grade on fabricated submissions: every way a notebook can break, graded in one batch.

The batch (one nbgrader run over every case, shared by the tests through a module-scoped
fixture) grades a two-task assignment: ``square`` (test_square, 2 points) and ``mean``
(test_mean, 3 points), each test with a hidden part.
"""
import contextlib
import csv
import hashlib
import io
import html
import os
import re
import subprocess

import nbformat
import pytest

import fabricate as fab
from descent.grade import BrokenEnvironment, Limits, check, grade, repair, report, submissions
from descent.grade.__main__ import main
from descent.grade.preprocessors import HideHiddenTestsInTracebacks, TruncateOutput

R = fab.RIGHT
TIMEOUT = 5

# student -> (what the submission is, expected (test_square, test_mean), words its feedback must contain)
CASES = {
    "right": ("a correct answer", (2, 3), []),
    "reference": ("the reference solution itself", (2, 3), []),
    "blank": ("the released notebook, untouched", (0, 0), []),
    "wrong": ("square returns 2x", (0, 3), []),
    "raises": ("square raises ValueError", (0, 3), []),
    "loops": ("an endless loop in a solution cell", (0, 3), ["ran longer than the limit of 5 s"]),
    "stubborn": ("an endless loop that ignores the interrupt", (0, 0), ["ignored the interrupt"]),
    "chatty": ("prints five megabytes on one line and 20,000 lines", (2, 3), []),
    "edits": ("a wrong square and a test cell edited to pass", (0, 3), ["test_square", "restored"]),
    "deletes": ("a correct answer whose test cell for mean was deleted", (2, 3), ["test_mean", "put back"]),
    "imports": ("imports a module that does not exist", (0, 3), ["No module named 'notinstalled'"]),
    "exits": ("calls os._exit in a solution cell", (0, 0), ["kernel died"]),
    "hogs": ("allocates memory without bound", (2, 3), ["ran out of memory", "MemoryError"]),
    "stripped": ("a correct answer with every cell's metadata removed", (2, 3), ["lost the cell metadata"]),
    "copies": ("a correct answer whose test cell for square was copied and pasted (cell id and all)", (2, 3),
               ["`test_square` appears more than once"]),
    "warns": ("a correct answer that emits a warning", (2, 3), []),
    "displays": ("a wrong answer whose code displays a value before the test fails", (0, 3), []),
    "empty": ("an empty file", (0, 0), ["empty"]),
    "invalid": ("a file that is not JSON", (0, 0), ["not valid JSON"]),
    "notanotebook": ("JSON that is not a notebook", (0, 0), ["not a notebook"]),
}


def fabricate(released, source, folder):
    """Write one submission per case into folder; return {student: path}."""
    def put(nb, name):
        return fab.write(nb, os.path.join(folder, name))

    paths = {
        "right": put(fab.answer(released, R), "right.ipynb"),
        "reference": put(nbformat.read(source, as_version=4), "reference.ipynb"),
        "blank": put(released, "blank.ipynb"),
        "wrong": put(fab.answer(released, {**R, "square": "def square(x):\n    return 2 * x"}), "wrong.ipynb"),
        "raises": put(fab.answer(released, {**R, "square": "def square(x):\n    raise ValueError('no')"}),
                      "raises.ipynb"),
        "loops": put(fab.answer(released, {**R, "square": "while True:\n    pass"}), "loops.ipynb"),
        "stubborn": put(fab.answer(released, {**R, "square": "import signal\nsignal.signal(signal.SIGINT, "
                                                             "signal.SIG_IGN)\nwhile True:\n    pass"}),
                        "stubborn.ipynb"),
        "chatty": put(fab.answer(released, {**R, "square": R["square"] + "\nprint('x' * 5_000_000)\n"
                                                                         "for i in range(20_000):\n    print(i)"}),
                      "chatty.ipynb"),
        "edits": put(fab.answer(released, {"square": "def square(x):\n    return 2 * x", "mean": R["mean"],
                                           "test_square": "assert True"}),
                     os.path.join("edits", "squares.ipynb")),
        "imports": put(fab.answer(released, {**R, "square": "import notinstalled\n" + R["square"]}),
                       "imports.ipynb"),
        "exits": put(fab.answer(released, {**R, "mean": "import os\nos._exit(1)"}), "exits.ipynb"),
        "hogs": put(fab.answer(released, {**R, "square": R["square"] + "\nhog = []\nwhile True:\n"
                                                                       "    hog.append(bytearray(50 * 2**20))"}),
                    "hogs.ipynb"),
    }
    copies = fab.answer(released, R)
    test = next(i for i, c in enumerate(copies.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "test_square")
    copies.cells.insert(test + 1, nbformat.from_dict(copies.cells[test]))
    paths["copies"] = fab.write_raw(copies, os.path.join(folder, "copies.ipynb"))
    paths["warns"] = put(fab.answer(released, {**R, "square": "import warnings\n" + R["square"].replace(
        "return", "warnings.warn('squares grow fast')\n    return")}), "warns.ipynb")
    paths["displays"] = put(fab.answer(released, {**R, "square": "import sys\ndef square(x):\n"
                                                                  "    sys.displayhook('ok')\n    return 2 * x"}),
                            "displays.ipynb")
    deleted = fab.answer(released, R)
    deleted.cells = [c for c in deleted.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test_mean"]
    # a student folder whose one notebook was renamed by a download
    paths["deletes"] = put(deleted, os.path.join("deletes", "squares (1).ipynb"))
    stripped = fab.answer(released, R)
    for cell in stripped.cells:
        cell.metadata = {}
    paths["stripped"] = put(stripped, "stripped.ipynb")
    for name, text in [("empty", ""), ("invalid", '{"cells": ['), ("notanotebook", '{"cells": 3}')]:
        paths[name] = os.path.join(folder, name + ".ipynb")
        with open(paths[name], "w") as f:
            f.write(text)
    # things a download folder also holds, which are not submissions
    os.makedirs(os.path.join(folder, ".ipynb_checkpoints"))
    with open(os.path.join(folder, "readme.txt"), "w") as f:
        f.write("not a notebook")
    return paths


def fingerprint(folder):
    """Content hash and modification time of every file below folder."""
    found = {}
    for here, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(here, name)
            with open(path, "rb") as f:
                found[path] = (hashlib.sha256(f.read()).hexdigest(), os.stat(path).st_mtime_ns)
    return found


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Grade every case once through the command line; keep what it wrote and printed."""
    root = tmp_path_factory.mktemp("course")
    source = fab.course(str(root))
    released = fab.release(str(root))
    folder = str(root / "downloads")
    paths = fabricate(released, os.path.join(source, "squares.ipynb"), folder)
    before = fingerprint(folder)
    out = str(root / "out")
    printed, progress = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(progress):
        code = main([source, folder, "--out", out, "--timeout", str(TIMEOUT), "--memory", "1", "--jobs", "2"])
    rows = read_csv(os.path.join(out, "grades.csv"))
    return {"root": root, "source": source, "released": released, "folder": folder, "paths": paths,
            "before": before, "out": out, "code": code, "printed": printed.getvalue(),
            "progress": progress.getvalue(), "header": rows[0], "rows": {r[0]: r for r in rows[1:]}}


def feedback(batch, student):
    """The text of a student's feedback page, without its HTML tags."""
    with open(os.path.join(batch["out"], "feedback", student + ".html"), encoding="utf-8") as f:
        return html.unescape(re.sub(r"<[^>]+>", "", f.read()))


def test_the_command_succeeds_and_prints_a_summary_with_a_progress_bar(batch):
    assert batch["code"] == 0
    assert f"{len(CASES)} submissions: 15 graded, 2 failed while grading, 3 not gradable" in batch["printed"]
    assert "grades.csv" in batch["printed"]
    assert "grading [" in batch["progress"] and f"{len(CASES) - 3}/{len(CASES) - 3}" in batch["progress"]


def test_the_table_has_one_column_per_graded_cell_then_total_and_max(batch):
    assert batch["header"][:6] == ["student_id", "test_square", "test_mean", "total", "max", "to_grade_by_hand"]
    # then where the submission came from and when (tests/test_grade_lms.py)
    assert batch["header"][6:] == ["submission", "roster", "submitted", "time_source", "late_days", "lms_late"]


def test_every_submission_gets_exactly_one_row_and_nothing_else_does(batch):
    assert sorted(batch["rows"]) == sorted(CASES)


@pytest.mark.parametrize("student", sorted(CASES))
def test_each_case_scores_what_it_earned(batch, student):
    square, mean = CASES[student][1]
    assert batch["rows"][student][1:6] == [str(square), str(mean), str(square + mean), "5", "0"]


@pytest.mark.parametrize("student", sorted(CASES))
def test_each_case_has_feedback_that_says_what_happened(batch, student):
    page = feedback(batch, student)
    for words in CASES[student][2]:
        assert words in page
    notes = {r[0]: r for r in read_csv(os.path.join(batch["out"], "notes.csv"))[1:]}
    assert bool(CASES[student][2]) == bool(notes[student][2]), notes[student]


def test_a_student_who_deleted_a_test_still_fails_it_when_wrong(batch):
    # edits: the test was replaced by `assert True`, yet the restored test fails the wrong square
    assert batch["rows"]["edits"][1] == "0"


def test_no_submission_file_is_touched(batch):
    assert fingerprint(batch["folder"]) == batch["before"]


def test_feedback_never_shows_a_hidden_test(batch):
    for student in CASES:
        page = feedback(batch, student)
        assert "square(-2)" not in page and "mean([5])" not in page and "HIDDEN TESTS" not in page, student


def test_feedback_of_a_failed_visible_test_shows_the_failing_line(batch):
    assert "assert square(3) == 9" in feedback(batch, "wrong")


def test_megabytes_of_output_are_cut_in_the_feedback(batch):
    page = feedback(batch, "chatty")
    assert "output truncated" in page and len(page) < 1_000_000


def test_feedback_pages_show_math_offline_with_a_local_mathjax(batch):
    with open(os.path.join(batch["out"], "feedback", "right.html"), encoding="utf-8") as f:
        page = f.read()
    assert 'src="mathjax/tex-chtml.js"' in page and "cdnjs" not in page and "MathJax.Hub" not in page
    assert os.path.getsize(os.path.join(batch["out"], "feedback", "mathjax", "tex-chtml.js")) > 100_000
    assert os.path.isdir(os.path.join(batch["out"], "feedback", "mathjax", "output", "chtml", "fonts", "woff-v2"))


def test_results_are_written_atomically(batch):
    assert not [f for f in os.listdir(batch["out"]) if f.startswith(".tmp-")]


def test_hidden_tests_are_not_in_the_released_notebook(batch):
    text = nbformat.writes(batch["released"])
    assert "square(-2)" not in text and "HIDDEN" not in text and "return x * x" not in text


@pytest.fixture(scope="module")
def rerun(batch):
    """A second run over three of the students plus one that dawdles past the notebook deadline,
    with a single grading process, so the killed process must be replaced for the others."""
    folder = str(batch["root"] / "again")
    os.makedirs(folder)
    for student in ("right", "edits", "invalid"):
        target = os.path.join(folder, os.path.relpath(batch["paths"][student], batch["folder"]))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(batch["paths"][student], "rb") as f, open(target, "wb") as g:
            g.write(f.read())
    dawdle = fab.answer(batch["released"], {"square": "import time\ntime.sleep(4)", "mean": "time.sleep(4)"})
    dawdle.cells += [nbformat.v4.new_code_cell("time.sleep(4)") for _ in range(3)]
    fab.write(dawdle, os.path.join(folder, "dawdles.ipynb"))
    out = str(batch["root"] / "out-again")
    result = grade(batch["source"], folder, out, Limits(timeout=TIMEOUT), jobs=1, deadline=12)
    rows = read_csv(os.path.join(out, "grades.csv"))
    return {"out": out, "result": result, "rows": {r[0]: r for r in rows[1:]}}


def test_running_again_gives_the_same_rows(batch, rerun):
    for student in ("right", "edits", "invalid"):   # the copies differ in their file times only
        assert rerun["rows"][student][:7] == batch["rows"][student][:7]


def test_a_notebook_past_its_deadline_scores_zero_and_the_others_are_still_graded(rerun):
    assert rerun["rows"]["dawdles"][1:6] == ["0", "0", "0", "5", "0"]
    with open(os.path.join(rerun["out"], "feedback", "dawdles.html")) as f:
        assert "ran longer than 12 s" in f.read()
    assert rerun["rows"]["right"][3:6] == ["5", "5", "0"]


def test_a_grading_environment_missing_a_dependency_is_detected(tmp_path):
    nb = fab.squares_notebook()
    nb.cells[1].source = "import math\nimport package_the_grader_lacks"
    source = fab.course(str(tmp_path), notebook=nb)
    folder = tmp_path / "downloads"
    folder.mkdir()
    fab.write(nb, str(folder / "someone.ipynb"))
    out = tmp_path / "out"
    with pytest.raises(BrokenEnvironment, match="package_the_grader_lacks"):
        grade(source, str(folder), str(out), Limits(timeout=TIMEOUT))
    assert not (out / "grades.csv").exists()


# The parts, on their own (no notebook is run).

def test_submissions_are_found_in_both_layouts_and_odd_folders_are_explained(tmp_path):
    nb = fab.squares_notebook()
    fab.write(nb, str(tmp_path / "ann.ipynb"))
    fab.write(nb, str(tmp_path / "ben" / "nested" / "Squares-final.ipynb"))
    fab.write(nb, str(tmp_path / "cat" / "squares.ipynb"))
    fab.write(nb, str(tmp_path / "cat" / "scratch.ipynb"))
    (tmp_path / "dan").mkdir()
    fab.write(nb, str(tmp_path / "eve" / "one.ipynb"))
    fab.write(nb, str(tmp_path / "eve" / "two.ipynb"))
    fab.write(nb, str(tmp_path / "fay.ipynb"))
    fab.write(nb, str(tmp_path / "fay" / "squares.ipynb"))
    fab.write(nb, str(tmp_path / "ben" / ".ipynb_checkpoints" / "squares-checkpoint.ipynb"))
    fab.write(nb, str(tmp_path / "__MACOSX" / "squares.ipynb"))
    (tmp_path / ".DS_Store").write_text("")
    found = {s.student: s for s in submissions.find(str(tmp_path), ["squares"])}
    assert sorted(found) == ["ann", "ben", "cat", "dan", "eve", "fay"]
    assert found["ann"].files == {"squares": str(tmp_path / "ann.ipynb")}
    assert found["ben"].files == {"squares": str(tmp_path / "ben" / "nested" / "Squares-final.ipynb")}
    assert found["cat"].files == {"squares": str(tmp_path / "cat" / "squares.ipynb")}
    assert [kind for kind, _ in found["dan"].problems] == ["missing"]
    assert [kind for kind, _ in found["eve"].problems] == ["layout"] and not found["eve"].files
    assert [kind for kind, _ in found["fay"].problems] == ["duplicate"]
    fab.write(nb, str(tmp_path / "gus" / "part1.ipynb"))
    several = {s.student: s for s in submissions.find(str(tmp_path), ["part1", "part2"])}
    assert [kind for kind, _ in several["ann"].problems] == ["layout"]
    assert list(several["gus"].files) == ["part1"] and "part2.ipynb" in several["gus"].warnings[0][1]


def test_stripped_metadata_is_restored_by_matching_cells_with_the_release(tmp_path):
    fab.course(str(tmp_path))
    released = fab.release(str(tmp_path))
    nb = fab.answer(released, R)
    for cell in nb.cells:
        cell.metadata = {}
    nb.cells.insert(3, nbformat.v4.new_code_cell("print(square(4))  # the student's own check"))
    assert repair.needs_repair(nb, released)
    assert repair.restore_metadata(nb, released) == []
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    assert ids == ["intro", None, "square", None, "test_square", "mean", "test_mean"]
    assert not repair.needs_repair(nb, released)


def test_tracebacks_lose_the_lines_that_quote_hidden_tests():
    cell = nbformat.v4.new_code_cell("assert f(1) == 1\n### BEGIN HIDDEN TESTS\nassert f(0) == 0\n### END HIDDEN TESTS")
    traceback = ("\x1b[0;31mAssertionError\x1b[0m  Traceback\nCell In[3], line 1\n"
                 "\x1b[0;32m----> 1\x1b[0m assert f(1) == 1\n\x1b[1;32m      2\x1b[0m ### BEGIN HIDDEN TESTS\n"
                 "\x1b[1;32m      3\x1b[0m assert f(0) == 0\n      4 ### END HIDDEN TESTS\n")
    cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="", traceback=[traceback])]
    cell, _ = HideHiddenTestsInTracebacks().preprocess_cell(cell, {}, 0)
    shown = cell.outputs[0].traceback[0]
    assert "assert f(1) == 1" in shown and "f(0)" not in shown and "HIDDEN" not in shown


def test_long_outputs_are_cut_to_a_readable_size():
    cell = nbformat.v4.new_code_cell("print('x' * 10**6)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * 10**6)]
    cell, _ = TruncateOutput(max_chars=1000).preprocess_cell(cell, {}, 0)
    assert len(cell.outputs[0].text) < 1100 and "1,000,000 characters" in cell.outputs[0].text


def test_an_interrupted_write_leaves_the_previous_file_whole(tmp_path):
    path = tmp_path / "grades.csv"
    report.atomic_write(str(path), "student_id,total\nann,5\n")
    with pytest.raises(TypeError):
        report.atomic_write(str(path), None)
    assert path.read_text() == "student_id,total\nann,5\n"
    assert os.listdir(tmp_path) == ["grades.csv"]


def test_the_exercise_check_fails_an_exercise_whose_blank_earns_points_or_whose_release_is_stale(tmp_path):
    """check: exercises/ must regenerate identically; the solution gets full marks, the blank zero."""
    root = str(tmp_path)
    freebie = fab.squares_notebook()
    freebie.cells[3].source = "assert True  # passes without an answer"
    fab.course(root, "freebie", freebie)
    fab.release(root, "freebie")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    for command in (["init", "-q"], ["add", "."], ["commit", "-qm", "course"]):
        subprocess.run(git + command, cwd=root, check=True)
    assert check.check_release(root, check.assignments(root)) == []

    printed, errors = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(errors):
        code = check.main([root, "--timeout", str(TIMEOUT)])
    assert code == 1
    assert "freebie: reference 5/5, blank 2/5" in printed.getvalue()
    assert "freebie: the blank exercise scores 2" in errors.getvalue()

    # an edit to a solution that is not regenerated into exercises/ is caught, and so are strays
    path = os.path.join(root, "solutions", "freebie", "freebie.ipynb")
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += "\nA new instruction."
    nbformat.write(nb, path)
    (tmp_path / "exercises" / "stale").mkdir()
    (tmp_path / "exercises" / "stale" / "old.ipynb").write_text("{}")
    problems = check.check_release(root, check.assignments(root))
    assert any("exercises/ differs" in p and "freebie.ipynb" in p for p in problems)
    assert any("not committed" in p and "stale/old.ipynb" in p for p in problems)
    assert any("no source in solutions/: stale" in p for p in problems)


class FlakyStartAPI:
    """Stands in for nbgrader's API: its kernel fails to start ``failures`` times, then grades."""

    def __init__(self, failures, message="Kernel died before replying to kernel_info"):
        self.failures, self.message, self.calls = failures, message, 0

    def autograde(self, assignment, student):
        self.calls += 1
        if self.calls <= self.failures:
            return {"success": False, "log": f"[AutogradeApp | ERROR] {self.message}", "error": ""}
        return {"success": True, "log": "", "error": ""}


def test_a_kernel_that_fails_to_start_is_started_again():
    from descent.grade.worker import autograde
    api = FlakyStartAPI(failures=2)
    assert autograde(api, "a", "s")["success"] and api.calls == 3


def test_a_kernel_that_never_starts_is_reported_after_three_tries():
    from descent.grade.worker import autograde, failure
    api = FlakyStartAPI(failures=10)
    result = autograde(api, "a", "s")
    assert not result["success"] and api.calls == 3
    assert failure(result).startswith("kernel died")


def test_a_kernel_killed_by_the_students_code_is_not_run_again():
    from descent.grade.worker import autograde
    api = FlakyStartAPI(failures=10, message="DeadKernelError: Kernel died")
    assert not autograde(api, "a", "s")["success"] and api.calls == 1


def test_the_guides_command_with_relative_paths_grades_from_the_course_root(tmp_path, monkeypatch):
    """`descent-grade NAME downloads/ --out grades/NAME`, run from the course root, as INSTRUCTORS.md says."""
    fab.course(str(tmp_path))
    released = fab.release(str(tmp_path))
    fab.write(fab.answer(released, R), str(tmp_path / "downloads" / "ann.ipynb"))
    fab.write(fab.answer(released, {**R, "square": "def square(x):\n    return 2 * x"}),
              str(tmp_path / "downloads" / "ben" / "squares.ipynb"))
    monkeypatch.chdir(tmp_path)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(["squares", "downloads/", "--out", "grades/squares", "--timeout", str(TIMEOUT), "--jobs", "1"])
    assert code == 0
    rows = {r[0]: r for r in read_csv(tmp_path / "grades" / "squares" / "grades.csv")}
    assert rows["ann"][1:6] == ["2", "3", "5", "5", "0"] and rows["ben"][1:6] == ["0", "3", "3", "5", "0"]


def test_every_submission_failing_in_the_grader_for_one_reason_is_a_broken_environment():
    from descent.grade.batch import same_failure

    def failed(error):
        return {"ok": False, "error": error}
    missing = {s: failed(f"error: FileNotFoundError: [Errno 2] No such file or directory: 'downloads/{s}.ipynb'")
               for s in ("ann", "ben", "cat")}
    with pytest.raises(BrokenEnvironment, match="every one of the 3 submissions .* FileNotFoundError"):
        same_failure(missing)
    # students whose own code killed their kernel, or a class where one notebook was graded, are not
    same_failure({s: failed("kernel died: DeadKernelError: Kernel died") for s in ("ann", "ben")})
    same_failure({**missing, "dan": {"ok": True, "error": ""}})
    same_failure({"ann": missing["ann"]})  # one notebook is one student's problem
    same_failure({"ann": failed("error: KeyError: 'x'"), "ben": failed("error: ValueError: bad cell")})


def test_a_forbidden_library_call_is_named_in_the_notes():
    """An answer that calls the library code an exercise forbids (descent.forbid) scores 0 on that
    test, and the student's note says why, not only the feedback page."""
    import nbformat

    from descent.grade.worker import events_in_notebook

    nb = nbformat.v4.new_notebook()
    test = nbformat.v4.new_code_cell("check()")
    test.metadata["nbgrader"] = {"grade": True, "grade_id": "test-linear-backward", "points": 3}
    test.outputs = [nbformat.v4.new_output(
        "error", ename="NotAllowedError", traceback=[],
        evalue="`descent.nn.Linear` may not be used in this exercise: write the backward pass yourself")]
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), test]
    events = events_in_notebook(nb)
    assert [kind for kind, _, _ in events] == ["forbidden"]
    submission = submissions.Submission("ann", {}, [], [])
    reply = {"ok": True, "scores": {}, "events": events, "feedback": {}, "error": ""}
    notes = report.row(submission, reply, [], Limits()).notes
    assert len(notes) == 1 and "test-linear-backward" in notes[0] and "descent.nn.Linear" in notes[0]
