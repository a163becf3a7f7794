"""A grading process: autogrades one student after another in its own copy of the course.

Started by ``descent.grade.batch``::

    python -m descent.grade.worker ROOT ASSIGNMENT RESULT_FD

Once nbgrader is imported it waits for a first line on stdin (the course is in place), then
reads one task per line, ``{"student": id, "files": {notebook: path}}``, copies the
files into ``ROOT/submitted/<id>/ASSIGNMENT/`` (the originals are only read), runs nbgrader's
autograde and generate_feedback for that student, and writes one line of JSON per task to the
file descriptor RESULT_FD (stdout and stderr belong to nbgrader and the kernels)::

    {"student": id, "ok": bool, "scores": {notebook: {grade_id: score}},
     "events": [[kind, detail], ...], "feedback": {notebook: html_path},
     "answers": {notebook: {grade_id: text}}, "error": text}

A score is None where a person must grade the answer (a written answer that is not blank).
"""
import json
import os
import re
import shutil
import sys

from descent.grade import repair
from descent.grade.course import Limits, config, kernel_folder
from descent.grade.preprocessors import OUTPUT_STOPPED

# A kernel that never answered its first message ran none of the student's code: that is the
# machine's failure (seen under load as several kernels start at once), so grading is retried.
KERNEL_DID_NOT_START = re.compile(r"Kernel died before replying to kernel_info|"
                                  r"Kernel didn't respond in \d+ seconds")
START_ATTEMPTS = 3

# nbgrader's log lines that tell what it did to a submission.
RESTORED = re.compile(r"Missing grade cell (\S+) encountered")
UNKNOWN = re.compile(r"Cell '(\S+)' does not exist in the database")


def events_in_log(log):
    """What nbgrader did to the submission, as [kind, grade_id, ""] triples."""
    found = [["deleted", m, ""] for m in RESTORED.findall(log)]
    found += [["unknown-cell", m, ""] for m in UNKNOWN.findall(log)]
    return found


def edited_cells(submitted, released, source):
    """The locked cells (tests, instructions) whose text differs from both the released and
    the source version, as events."""
    locked = {}
    for nb in (released, source):
        for c in nb.cells:
            if c.metadata.get("nbgrader", {}).get("locked"):
                locked.setdefault(c.metadata.nbgrader["grade_id"], set()).add(c.source.strip())
    return [["edited", grade_id, ""] for grade_id, text in
            ((c.metadata.get("nbgrader", {}).get("grade_id"), c.source.strip()) for c in submitted.cells)
            if grade_id in locked and text not in locked[grade_id]]


def errors_in_notebook(nb):
    """Every error a cell raised, as (cell, "Name: message") pairs."""
    return [(cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index + 1}",
             f"{output.ename}: {output.evalue}")
            for index, cell in enumerate(nb.cells) for output in cell.get("outputs", [])
            if output.get("output_type") == "error"]


def events_in_notebook(nb):
    """What happened while the notebook ran, as [kind, cell, message]: timeouts, memory, imports, and
    library code an exercise forbids (``descent.forbid``)."""
    kinds = {"CellTimeoutError": "timeout", "MemoryError": "memory",
             "ModuleNotFoundError": "import", "ImportError": "import",
             "NotAllowedError": "forbidden"}
    found = [[kinds[error.split(":")[0]], cell, error] for cell, error in errors_in_notebook(nb)
             if error.split(":")[0] in kinds]
    found += [["output", cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index + 1}", ""]
              for index, cell in enumerate(nb.cells) for output in cell.get("outputs", [])
              if output.get("output_type") == "stream" and output.get("text", "").startswith(OUTPUT_STOPPED[:20])]
    return found


def written_answers(nb):
    """The text of every answer a person grades (graded solution and task cells), by grade_id."""
    return {c.metadata.nbgrader["grade_id"]: c.source for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade")
            and (c.metadata.nbgrader.get("solution") or c.metadata.nbgrader.get("task"))}


def grade_one(api, root, assignment, student, files):
    """Autograde one student and generate their feedback; return the result message."""
    import nbformat
    from nbgrader.api import MissingEntry

    folder = os.path.join(root, "submitted", student, assignment)
    os.makedirs(folder, exist_ok=True)
    kernel_folder(root)  # nothing a previous kernel left there
    events = []
    for notebook, path in files.items():
        submitted = nbformat.read(path, as_version=4)
        released = nbformat.read(os.path.join(root, "release", assignment, notebook + ".ipynb"), as_version=4)
        original = nbformat.read(os.path.join(root, "source", assignment, notebook + ".ipynb"), as_version=4)
        target = os.path.join(folder, notebook + ".ipynb")
        with open(path, encoding="utf-8") as f:
            ids = [c.get("id") for c in json.load(f).get("cells", [])]  # as written, before nbformat renumbers them
        repeated = repair.deduplicate(submitted)
        events += [["repeated", grade_id, ""] for grade_id in repeated]
        if repair.needs_repair(submitted, released):
            missing = repair.restore_metadata(submitted, released)
            events.append(["restored", os.path.basename(path), ", ".join(missing)])
            nbformat.write(submitted, target)
        elif repeated or ids != [c.get("id") for c in submitted.cells]:
            nbformat.write(submitted, target)
        else:
            shutil.copyfile(path, target)
        events += edited_cells(submitted, released, original)

    result = autograde(api, assignment, student)
    events += sandbox_events()
    log = result.get("log", "")
    reply = {"student": student, "ok": result["success"], "scores": {}, "feedback": {},
             "events": events + events_in_log(log), "errors": [], "answers": {}, "error": "" if result["success"] else failure(result)}

    with api.gradebook as gb:
        for notebook in gb.find_assignment(assignment).notebooks:
            try:
                submitted = gb.find_submission_notebook(notebook.name, assignment, student)
            except MissingEntry:
                continue
            reply["scores"][notebook.name] = {
                g.name: (g.score if result["success"] and not g.needs_manual_grade else None)
                for g in submitted.grades}
    if not result["success"]:
        return reply

    graded = os.path.join(root, "autograded", student, assignment)
    for notebook in sorted(reply["scores"]):
        path = os.path.join(graded, notebook + ".ipynb")
        if os.path.exists(path):
            nb = nbformat.read(path, as_version=4)
            reply["events"] += events_in_notebook(nb)
            reply["errors"] += errors_in_notebook(nb)
            reply["answers"][notebook] = written_answers(nb)
    feedback = api.generate_feedback(assignment, student)
    if feedback["success"]:
        out = os.path.join(root, "feedback", student, assignment)
        reply["feedback"] = {n: os.path.join(out, n + ".html") for n in reply["scores"]
                             if os.path.exists(os.path.join(out, n + ".html"))}
    else:
        reply["events"].append(["no-feedback", "", failure(feedback)])
    return reply


def sandbox_events():
    """The limits the sandbox enforced while this student was graded, as events (and forget them)."""
    path = os.environ.get("DESCENT_GRADE_EVENTS")
    if not path or not os.path.exists(path):
        return []
    with open(path) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    os.unlink(path)
    for line in lines:
        if "output" in line:
            print(f"a sandboxed kernel exited with status {line['exit']}:\n{line['output']}", file=sys.stderr)
    return [["limit", line["limit"], line["detail"]] for line in lines if "limit" in line]


def autograde(api, assignment, student, attempts=START_ATTEMPTS):
    """nbgrader's autograde, run again (up to ``attempts`` times in all) while it fails only
    because the kernel did not start."""
    for _ in range(attempts):
        result = api.autograde(assignment, student)
        text = result.get("log", "") + "\n" + result.get("error", "")
        if result["success"] or not KERNEL_DID_NOT_START.search(text):
            break
    return result


def failure(result):
    """Why nbgrader could not grade a notebook, in one line that starts with a kind of failure."""
    text = result.get("log", "") + "\n" + result.get("error", "")
    if re.search(r"DeadKernelError|Kernel died", text):
        return "kernel died: " + first_line(text, r"Kernel died[^\n]*|DeadKernelError[^\n]*")
    if re.search(r"Timeout waiting for IOPub|UnresponsiveKernelError|could not interrupt", text):
        return "unresponsive: a cell ignored the interrupt sent at its time limit"
    return "error: " + first_line(text, r"^\s*[\w.]*(?:Error|Exception)\b:?[^\n]*", last=True)


def first_line(text, pattern, last=False):
    found = [m.group(0).strip() for m in re.finditer(pattern, text, re.MULTILINE)]
    return (found[-1] if last else found[0]) if found else "unknown"


def main(root, assignment, result_fd):
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    limits = Limits(**json.loads(os.environ["DESCENT_GRADE_LIMITS"]))
    sys.stdin.readline()  # the first line says the course has been copied to root
    c = config(root, limits)
    api = NbGraderAPI(CourseDirectory(config=c), config=c)
    with os.fdopen(result_fd, "w", buffering=1) as results:
        results.write(json.dumps({"ready": True}) + "\n")
        for line in sys.stdin:
            task = json.loads(line)
            try:
                reply = grade_one(api, root, assignment, task["student"], task["files"])
            except Exception as error:  # one student's failure must not stop the others
                reply = {"student": task["student"], "ok": False, "scores": {}, "feedback": {},
                         "events": [], "errors": [], "answers": {}, "error": f"error: {type(error).__name__}: {error}"}
            results.write(json.dumps(reply) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
