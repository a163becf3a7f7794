"""Check every graded exercise of a course, as continuous integration does::

    python -m descent.grade.check [COURSE_ROOT]

For each assignment folder in ``solutions/`` (nbgrader's source directory here):

1. ``nbgrader generate_assignment NAME --no-db --force`` regenerates ``exercises/NAME/``; the
   committed ``exercises/`` must not change (``git diff --exit-code -- exercises/``), gain
   untracked files, or keep a folder whose source is gone; no hidden test may appear in it.
2. The reference solution (``solutions/NAME/``), graded as a student through
   ``python -m descent.grade``, scores full marks, its written answers waiting for a person; the
   blank exercise (``exercises/NAME/``) scores zero, written answers included, with nothing
   unusual to report.

Exits 1 and says what is wrong when a check fails.
"""
import argparse
import concurrent.futures
import csv
import os
import shutil
import subprocess
import sys
import tempfile

from descent.grade.batch import default_jobs
from descent.grade.course import graded_cells, notebook_names


def assignments(root):
    folder = os.path.join(root, "solutions")
    if not os.path.isdir(folder):
        return []
    return sorted(a for a in os.listdir(folder)
                  if os.path.isdir(os.path.join(folder, a)) and notebook_names(os.path.join(folder, a)))


def run(command, root, **kwargs):
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    return subprocess.run(command, cwd=root, env=env, text=True, capture_output=True, **kwargs)


def in_parallel(function, items):
    """function(item) for every item, as many at once as there are cores, in the items' order."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=default_jobs()) as pool:
        return list(pool.map(function, items))


def check_release(root, names):
    """Regenerate exercises/ and compare with what is committed; return a list of problems."""
    problems = []
    generate = [sys.executable, "-m", "nbgrader", "generate_assignment", "--no-db", "--force"]
    for name, done in zip(names, in_parallel(lambda name: run(generate + [name], root), names)):
        if done.returncode != 0:
            problems.append(f"nbgrader generate_assignment {name} failed:\n{done.stdout}{done.stderr}")
    diff = run(["git", "diff", "--stat", "--exit-code", "--", "exercises/"], root)
    if diff.returncode != 0:
        problems.append("exercises/ differs from what solutions/ generates (regenerate it with nbgrader "
                        f"generate_assignment NAME --no-db --force and commit):\n{diff.stdout}")
    untracked = run(["git", "ls-files", "--others", "--exclude-standard", "--", "exercises/"], root).stdout.split()
    if untracked:
        problems.append("exercises/ has files that are not committed: " + ", ".join(untracked))
    released = os.path.join(root, "exercises")
    stale = sorted(set(os.listdir(released)) - set(names)) if os.path.isdir(released) else []
    stale = [s for s in stale if os.path.isdir(os.path.join(released, s))]
    if stale:
        problems.append("exercises/ has folders with no source in solutions/: " + ", ".join(stale))
    for name in names:
        for notebook in notebook_names(os.path.join(released, name)) if os.path.isdir(os.path.join(released, name)) else []:
            with open(os.path.join(released, name, notebook + ".ipynb"), encoding="utf-8") as f:
                text = f.read()
            if "HIDDEN TESTS" in text or "BEGIN SOLUTION" in text:
                problems.append(f"exercises/{name}/{notebook}.ipynb shows a hidden test or a solution")
    return problems


def written_points(source):
    """The points of the assignment's written answers (a person grades them)."""
    return sum(c.points for c in graded_cells(source) if c.manual)


def check_grades(root, name, timeout):
    """Grade the reference solution and the blank exercise through the command; return the
    problems and a line that reports the scores."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="descent-check-") as work:
        downloads = os.path.join(work, "downloads")
        for student, folder in (("reference", "solutions"), ("blank", "exercises")):
            target = os.path.join(downloads, student)
            os.makedirs(target)
            for notebook in notebook_names(os.path.join(root, folder, name)):
                shutil.copy(os.path.join(root, folder, name, notebook + ".ipynb"), target)
        out = os.path.join(work, "out")
        done = run([sys.executable, "-m", "descent.grade", os.path.join(root, "solutions", name), downloads,
                    "--out", out, "--timeout", str(timeout), "--jobs", "1", "--quiet"], root)
        if done.returncode != 0:
            return [f"{name}: python -m descent.grade failed:\n{done.stdout}{done.stderr}"], f"{name}: not graded"
        with open(os.path.join(out, "grades.csv"), newline="") as f:
            rows = {r["student_id"]: r for r in csv.DictReader(f)}
        with open(os.path.join(out, "notes.csv"), newline="") as f:
            notes = {r["student_id"]: r for r in csv.DictReader(f)}
        reference, blank = rows["reference"], rows["blank"]
        written = written_points(os.path.join(root, "solutions", name))
        if float(reference["total"]) + written != float(reference["max"]) \
                or float(reference["to_grade_by_hand"]) != written:
            problems.append(f"{name}: the reference solution scores {reference['total']}/{reference['max']} with "
                            f"{reference['to_grade_by_hand']} points to grade by hand (its written answers are "
                            f"worth {written:g}): {reference}")
        if float(blank["total"]) != 0 or float(blank["to_grade_by_hand"]) != 0:
            problems.append(f"{name}: the blank exercise scores {blank['total']} (tests that pass without "
                            f"an answer): {blank}")
        for student in ("reference", "blank"):
            if notes[student]["status"] != "graded":
                problems.append(f"{name}: grading the {student} notebook reported: {notes[student]['notes']}")
        line = (f"{name}: reference {reference['total']}/{reference['max']}"
                + (f" and {written:g} written" if written else "") + f", blank {blank['total']}/{blank['max']}")
    return problems, line


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m descent.grade.check", description=__doc__.splitlines()[0])
    p.add_argument("root", nargs="?", default=".", help="the course repository (default: here)")
    p.add_argument("--timeout", type=int, default=120, help="seconds one cell may run (default 120)")
    args = p.parse_args(argv)
    root = os.path.abspath(args.root)
    names = assignments(root)
    print(f"graded exercises: {', '.join(names) or 'none yet'}")
    problems = check_release(root, names)
    for found, line in in_parallel(lambda name: check_grades(root, name, args.timeout), names):
        print(line)
        problems += found
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    print("exercises: ok" if not problems else f"exercises: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
