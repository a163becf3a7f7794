"""Fabricated graded assignments and submissions for the grading tests (nbgrader's format)."""
import json
import os
import subprocess
import sys
import textwrap

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def nbgrader_cell(cell, grade_id, *, grade=False, solution=False, locked=False, points=0):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


def code(source):
    return new_code_cell(textwrap.dedent(source).strip())


def squares_notebook():
    """A two-task assignment: square (2 points) and mean (3 points), each with a hidden test."""
    cells = [
        nbgrader_cell(new_markdown_cell("# Squares\nFill in the two functions."), "intro", locked=True),
        code("import math"),
        nbgrader_cell(code('''
            def square(x):
                ### BEGIN SOLUTION
                return x * x
                ### END SOLUTION
            '''), "square", solution=True),
        nbgrader_cell(code('''
            assert square(3) == 9
            ### BEGIN HIDDEN TESTS
            assert square(-2) == 4
            ### END HIDDEN TESTS
            '''), "test_square", grade=True, locked=True, points=2),
        nbgrader_cell(code('''
            def mean(xs):
                ### BEGIN SOLUTION
                return math.fsum(xs) / len(xs)
                ### END SOLUTION
            '''), "mean", solution=True),
        nbgrader_cell(code('''
            assert mean([1, 2, 3]) == 2
            ### BEGIN HIDDEN TESTS
            assert mean([5]) == 5
            ### END HIDDEN TESTS
            '''), "test_mean", grade=True, locked=True, points=3),
    ]
    return new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})


def write(nb, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    nbformat.write(nb, path)
    return path


def write_raw(nb, path):
    """Write the notebook as JSON without nbformat's validation (which renumbers repeated cell ids)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(nb, f, indent=1)
    return path


def course(root, name="squares", notebook=None):
    """A course directory with solutions/<name>/<name>.ipynb and its nbgrader_config.py."""
    write(notebook or squares_notebook(), os.path.join(root, "solutions", name, name + ".ipynb"))
    with open(os.path.join(root, "nbgrader_config.py"), "w") as f:
        f.write('c = get_config()\nc.CourseDirectory.source_directory = "solutions"\n'
                'c.CourseDirectory.release_directory = "exercises"\n')
    return os.path.join(root, "solutions", name)


def release(root, name="squares"):
    """Generate exercises/<name>/ from solutions/<name>/ with nbgrader, as CI does; return the notebook."""
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", name, "--no-db", "--force"],
                   cwd=root, env=env, check=True, capture_output=True)
    return nbformat.read(os.path.join(root, "exercises", name, name + ".ipynb"), as_version=4)


def answer(released, answers):
    """A copy of the released notebook with the solution cells given by grade_id replaced."""
    nb = nbformat.from_dict(released)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = textwrap.dedent(answers[grade_id]).strip()
    return nb


RIGHT = {"square": "def square(x):\n    return x ** 2",
         "mean": "def mean(xs):\n    return sum(xs) / len(xs)"}
