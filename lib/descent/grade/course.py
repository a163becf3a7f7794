"""A private nbgrader course directory for one grading run, and the configuration it runs under.

Layout (nbgrader's defaults)::

    ROOT/source/ASSIGNMENT/...            a copy of the assignment's graded source
    ROOT/release/ASSIGNMENT/...           the student version nbgrader generates from it
    ROOT/gradebook.db                     the assignment, its graded cells and points
    ROOT/kernels/descent-grade/kernel.json  the kernel every submission runs in (resource limits)

Nothing here touches the instructor's files: the source is copied in, and each grading
process works in its own copy of ROOT.
"""
import dataclasses
import json
import os
import shutil
import sys

KERNEL_NAME = "descent-grade"
REFERENCE_ID = "reference-solution"
IGNORED = [".ipynb_checkpoints", "*.pyc", "__pycache__", ".pytest_cache", ".DS_Store"]


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one submission may use: seconds per cell, and for its kernel (all its processes)
    bytes of memory (temporary files included), CPU seconds for the whole notebook, bytes per
    written file, processes, bytes of each temporary folder, and bytes of output for the whole
    notebook (0 means no limit). ``sandbox``: run each kernel in bubblewrap (Linux)."""

    timeout: int = 60
    memory: int = 2 * 1024**3
    cpu: int = 1200
    file_size: int = 256 * 1024**2
    processes: int = 64
    disk: int = 256 * 1024**2
    output: int = 8 * 1024**2
    sandbox: bool = True


def config(root, limits):
    """The nbgrader configuration of a private course directory at ``root``."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import ClearHiddenTests, Execute, GetGrades, LimitOutput, SaveAutoGrades
    from nbgrader.converters import Autograde
    from traitlets.config import Config

    from descent.grade.preprocessors import HideHiddenTestsInTracebacks, OutputLimit, SaveTestScores, TruncateOutput

    c = Config()
    c.CourseDirectory.root = root
    c.CourseDirectory.course_id = "descent-grade"
    c.CourseDirectory.db_url = "sqlite:///" + os.path.join(root, "gradebook.db")
    c.CourseDirectory.ignore = IGNORED
    c.Exchange.root = os.path.join(root, "exchange")
    c.Execute.timeout = limits.timeout
    c.Execute.interrupt_on_timeout = True
    c.Execute.kernel_name = KERNEL_NAME
    c.OutputLimit.max_bytes = limits.output
    # One connection file (and, sandboxed, the Unix sockets beside it) in the copy's kernel folder.
    c.KernelManager.connection_file = os.path.join(root, "kernels-run", "kernel.json")
    if limits.sandbox:
        # The kernel has no network: it is reached through Unix sockets beside its connection file.
        c.KernelManager.transport = "ipc"
    # A test cell the student deleted is put back (and run) rather than scored as missing.
    c.OverwriteCells.add_missing_cells = True
    # Long outputs are cut to a readable size in the graded notebook and the feedback.
    steps = list(Autograde.class_traits()["autograde_preprocessors"].default())
    steps.insert(steps.index(LimitOutput) + 1, TruncateOutput)
    # Output is counted as it arrives, and dropped past the limit.
    steps[steps.index(Execute)] = OutputLimit
    # A test with an error anywhere scores 0; a warning on stderr costs nothing.
    steps[steps.index(SaveAutoGrades)] = SaveTestScores
    c.Autograde.autograde_preprocessors = steps
    # Feedback shows the visible tests and the outcome of every test, never a hidden test's code.
    c.GenerateFeedback.preprocessors = [HideHiddenTestsInTracebacks, ClearHiddenTests, GetGrades,
                                        CSSHTMLHeaderPreprocessor]
    c.ClearHiddenTests.enforce_metadata = False
    return c


def write_kernelspec(root, limits):
    """Install the grading kernel under root: the same Python, one BLAS thread, resource limits,
    and (``limits.sandbox``) bubblewrap around it (``sandbox.py``)."""
    here = os.path.dirname(os.path.abspath(__file__))
    if limits.sandbox:
        settings = dict(dataclasses.asdict(limits), library=library_folder())
        argv = [sys.executable, os.path.join(here, "sandbox.py"), json.dumps(settings), "{connection_file}"]
    else:
        argv = [sys.executable, os.path.join(here, "kernel.py"), "--memory", str(limits.memory),
                "--cpu", str(limits.cpu), "--file-size", str(limits.file_size),
                "--HistoryManager.enabled=False", "-f", "{connection_file}"]
    one_thread = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    spec = {"argv": argv, "display_name": "Python 3 (grading)", "language": "python", "env": one_thread,
            # signals cannot reach a kernel in its own PID namespace: interrupt it by message
            "interrupt_mode": "message"}
    folder = os.path.join(root, "kernels", KERNEL_NAME)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "kernel.json"), "w") as f:
        json.dump(spec, f, indent=1)


def library_folder():
    """The folder that holds the ``descent`` package the grader itself runs from."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def environment(root):
    """Environment variables under which nbgrader finds the grading kernel of ``root``."""
    env = dict(os.environ)
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [root, env.get("JUPYTER_PATH")]))
    # nbgrader runs alembic as a subprocess: put this Python's bin/ first on PATH.
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    return env


def kernel_folder(root):
    """The folder of the kernels' connection files and sockets for the course copy at ``root``:
    made (world-writable, so that a kernel's own user can create its sockets; its parents are
    private to the grader) and marked for ``sandbox.py``; emptied before each student."""
    folder = os.path.join(root, "kernels-run")
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    os.chmod(folder, 0o777)
    with open(os.path.join(folder, ".descent-grade-kernels"), "w"):
        pass
    return folder


@dataclasses.dataclass(frozen=True)
class Cell:
    """One graded cell: its notebook, its grade_id, its points, and whether a person grades it
    (``manual``: a written answer, which nbgrader cannot score)."""

    notebook: str
    grade_id: str
    points: float
    manual: bool = False


def prepare(source, root, limits):
    """Copy the assignment folder ``source`` into a new course at ``root`` and release it.

    Returns the graded cells, in notebook order. Raises ``RuntimeError`` with nbgrader's log if
    the source cannot be released (for example, a duplicate grade_id).
    """
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    assignment = os.path.basename(os.path.normpath(source))
    read_schema_version_in_process()
    shutil.copytree(source, os.path.join(root, "source", assignment),
                    ignore=shutil.ignore_patterns(*IGNORED))
    write_kernelspec(root, limits)
    c = config(root, limits)
    api = NbGraderAPI(CourseDirectory(config=c), config=c)
    result = api.generate_assignment(assignment)
    if not result["success"]:
        raise RuntimeError(f"nbgrader could not release {source}:\n{result.get('log', '')}{result['error']}")
    return graded_cells(source)


def read_schema_version_in_process():
    """Let nbgrader read the gradebook schema version in this process.

    To stamp a new gradebook, nbgrader 0.9 runs ``alembic heads`` as a subprocess, which
    imports all of nbgrader again (several seconds); the answer is the head revision of
    nbgrader's own migration scripts, which alembic reads here in milliseconds.
    """
    import nbgrader
    import nbgrader.api
    from alembic.script import ScriptDirectory

    try:
        head = ScriptDirectory(os.path.join(os.path.dirname(nbgrader.__file__), "alembic")).get_current_head()
    except Exception:  # keep nbgrader's own way if its layout ever changes
        return
    if head:
        nbgrader.api.get_alembic_version = lambda: head


def graded_cells(source):
    """The graded cells of the assignment, in the order of the notebooks and their cells."""
    import nbformat

    cells = []
    for name in sorted(notebook_names(source)):
        nb = nbformat.read(os.path.join(source, name + ".ipynb"), as_version=4)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                cells.append(Cell(name, meta["grade_id"], float(meta.get("points", 0)),
                                  manual=bool(meta.get("solution") or meta.get("task"))))
    return cells


def notebook_names(source):
    """Names (without .ipynb) of the notebooks at the top of an assignment folder."""
    return sorted(f[:-6] for f in os.listdir(source) if f.endswith(".ipynb"))


def code_cells(source):
    """How many code cells the assignment's notebooks have in all."""
    import nbformat

    return sum(c.cell_type == "code" for name in notebook_names(source)
               for c in nbformat.read(os.path.join(source, name + ".ipynb"), as_version=4).cells)
