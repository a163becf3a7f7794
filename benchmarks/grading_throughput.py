"""Measure how fast ``descent.grade`` grades a class: N fabricated submissions of one assignment.

    python benchmarks/grading_throughput.py [ASSIGNMENT] [--students 100] [--jobs N] [--out DIR]

Each fabricated student answers each task of the assignment with probability 0.7 (the answer
is the reference solution's code), so the class has a spread of scores; every tenth student
hands in the blank exercise. Prints the time, submissions per minute, the machine's load, and
the first rows of grades.csv.
"""
import argparse
import os
import random
import re
import sys
import tempfile
import time

import nbformat

from descent.grade import Limits, grade

MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$\n?", re.MULTILINE)


def fabricate(source, released, folder, students, seed=0):
    rng = random.Random(seed)
    answers = {c.metadata["nbgrader"]["grade_id"]: MARKERS.sub("", c.source)
               for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
    for k in range(students):
        nb = nbformat.from_dict(released)
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in answers and k % 10 != 9 and rng.random() < 0.7:
                cell.source = answers[grade_id]
        nbformat.write(nb, os.path.join(folder, f"student{k:03d}.ipynb"))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("assignment", nargs="?", default="01_backpropagation")
    p.add_argument("--students", type=int, default=100)
    p.add_argument("--jobs", type=int, default=None)
    p.add_argument("--out", default=None, help="keep grades.csv and feedback here (default: a temporary folder)")
    args = p.parse_args()
    notebooks = [f for f in os.listdir(os.path.join("solutions", args.assignment)) if f.endswith(".ipynb")]
    if len(notebooks) != 1:
        sys.exit("this benchmark fabricates one-notebook assignments only")
    source = nbformat.read(os.path.join("solutions", args.assignment, notebooks[0]), as_version=4)
    released = nbformat.read(os.path.join("exercises", args.assignment, notebooks[0]), as_version=4)
    with tempfile.TemporaryDirectory() as work:
        folder = os.path.join(work, "downloads")
        os.makedirs(folder)
        fabricate(source, released, folder, args.students)
        out = args.out or os.path.join(work, "out")
        load = os.getloadavg()[0]
        started = time.monotonic()
        result = grade(args.assignment, folder, out, Limits(), jobs=args.jobs)
        seconds = time.monotonic() - started
        print(f"{args.students} submissions of {args.assignment} in {seconds:.0f} s: "
              f"{args.students / seconds * 60:.0f} per minute on {os.cpu_count()} cores "
              f"(load average {load:.1f} before, {os.getloadavg()[0]:.1f} after)")
        print(f"totals: {sorted(set(r.total for r in result.rows))}; "
              f"statuses: {sorted(set(r.status for r in result.rows))}")
        with open(os.path.join(out, "grades.csv")) as f:
            print("".join(f.readlines()[:6]), end="")


if __name__ == "__main__":
    main()
