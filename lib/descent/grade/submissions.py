"""Find the submissions in a folder as an instructor downloads it, and check each one is a notebook.

Two layouts, mixed freely::

    SUBMISSIONS/<student_id>.ipynb                  (assignments of one notebook)
    SUBMISSIONS/<student_id>/<notebook>.ipynb       (any assignment; subfolders allowed)

In a student's folder a notebook counts for the assignment notebook of the same name; when
the assignment has one notebook and the folder one ``.ipynb``, that file counts whatever its
name ("backpropagation (1).ipynb"). Files are only read, never written.
"""
import dataclasses
import json
import os

import nbformat

SKIPPED = (".", "__MACOSX", "__pycache__")


@dataclasses.dataclass
class Submission:
    """One student's files, and what stops them being graded (``problems``) or should be checked
    by hand (``warnings``); each a list of (kind, detail) pairs."""

    student: str
    files: dict = dataclasses.field(default_factory=dict)
    problems: list = dataclasses.field(default_factory=list)
    warnings: list = dataclasses.field(default_factory=list)
    path: str = ""   # the file or folder it was found as


def find(folder, notebooks):
    """The submissions in ``folder`` for an assignment with the given notebook names, by student."""
    found = {}
    for entry in sorted(os.listdir(folder)):
        path = os.path.join(folder, entry)
        if entry.startswith(SKIPPED):
            continue
        if os.path.isdir(path):
            student, files, problems = entry, *match(notebooks_under(path), notebooks)
        elif entry.endswith(".ipynb"):
            student = entry[: -len(".ipynb")]
            if len(notebooks) == 1:
                files, problems = {notebooks[0]: path}, []
            else:
                files, problems = {}, [("layout", f"{entry}: this assignment has several notebooks "
                                                  f"({', '.join(notebooks)}); put them in a folder {student}/")]
        else:
            continue
        if student in found:
            found[student].problems.append(("duplicate", f"{entry} and another submission share the id {student!r}"))
            continue
        found[student] = Submission(student, files, problems, path=path)
    for submission in found.values():
        check(submission)
        absent = [n for n in notebooks if n not in submission.files]
        if submission.files and absent:
            submission.warnings.append(("absent", "Not submitted: " + ", ".join(n + ".ipynb" for n in absent)
                                        + " (its tests score 0)."))
    return [found[s] for s in sorted(found)]


def notebooks_under(folder):
    """Every notebook below ``folder``, skipping checkpoints and hidden folders."""
    paths = []
    for here, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(SKIPPED))
        paths += [os.path.join(here, f) for f in sorted(files) if f.endswith(".ipynb") and not f.startswith(".")]
    return paths


def match(paths, notebooks):
    """Map the assignment's notebook names to the student's files."""
    by_name = {}
    for path in paths:
        name = os.path.basename(path)[: -len(".ipynb")]
        if name in notebooks and name not in by_name:
            by_name[name] = path
    if not by_name and len(notebooks) == 1 and len(paths) == 1:
        by_name = {notebooks[0]: paths[0]}
    if by_name:
        return by_name, []
    if not paths:
        return {}, [("missing", "no notebook in the folder")]
    names = ", ".join(os.path.basename(p) for p in paths)
    return {}, [("layout", f"cannot tell which of {names} is {', '.join(n + '.ipynb' for n in notebooks)}")]


def check(submission):
    """Drop the files that are not notebooks, recording why."""
    for notebook, path in list(submission.files.items()):
        problem = unreadable(path)
        if problem:
            del submission.files[notebook]
            submission.problems.append(problem)
    if submission.files or submission.problems:
        return
    submission.problems.append(("missing", "no notebook"))


def unreadable(path):
    """Why the file at ``path`` cannot be graded, as (kind, detail), or None if it can."""
    name = os.path.basename(path)
    with open(path, "rb") as f:
        raw = f.read()
    if not raw.strip():
        return ("empty", f"{name} is empty")
    try:
        content = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        return ("invalid", f"{name} is not text (UTF-8): {error.reason} at byte {error.start}")
    except json.JSONDecodeError as error:
        return ("invalid", f"{name} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}")
    try:
        nb = nbformat.reads(json.dumps(content), as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # nbformat raises several types for a malformed notebook
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return ("invalid", f"{name} is JSON but not a notebook: {first}")
    return None

