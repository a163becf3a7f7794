"""Run one grading kernel inside a bubblewrap sandbox and hold it to its limits; the grading
kernelspec runs this file (as a script: it imports the standard library only)::

    python sandbox.py LIMITS_JSON CONNECTION_FILE

The kernel (``kernel.py``, then IPython) sees a read-only system (``/usr``), Python, the
library, a private ``/tmp``, ``/dev/shm`` and home folder (its working folder), each a tmpfs of
at most ``disk`` bytes, and the folder of its own connection file, where it creates its Unix
sockets (the kernelspec asks for the ``ipc`` transport): a folder the grading process made
for its kernels alone and marked with ``MARKER`` (nothing else is ever shared writable). Every namespace is its own: no
network, no other process, no host name. Nothing else of the machine is visible: not the
course, not the hidden tests, not the gradebook, not other submissions. The environment is
rebuilt from scratch. As root, the kernel runs as a user of its own (``setpriv``), so the
process-count limit holds (root ignores it).

This process stays outside, as the kernel's parent, and watches the sandbox every 0.2 s: the
memory of all its processes plus its tmpfs files, the CPU seconds of all of them (dead children
included), the number of processes. Past a limit it kills the sandbox and appends one line of
JSON saying which limit to the file named by ``DESCENT_GRADE_EVENTS``. When this process dies,
bubblewrap dies with it, and with bubblewrap every process of the sandbox (its PID namespace).
"""
import ctypes
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time

HOME = "/home/student"
MARKER = ".descent-grade-kernels"
PASSED_ON = ("NPY_", "OPENBLAS_", "OMP_", "MKL_", "PYTHONHASHSEED", "DESCENT_TERM")  # numerics settings and the term, no secrets
POLL = 0.2
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def bwrap_command(limits, connection_file, uid):
    """The bubblewrap command line that runs the kernel for ``connection_file``."""
    python = sys.executable
    library = limits["library"]
    kernel = [python, os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernel.py"),
              "--memory", str(limits["memory"]), "--cpu", str(limits["cpu"]), "--file-size", str(limits["file_size"])]
    # RLIMIT_NPROC counts the processes of a user: only a user of the kernel's own makes it a limit per kernel.
    kernel += ["--processes", str(limits["processes"])] if uid is not None else []
    kernel += ["--HistoryManager.enabled=False", "-f", connection_file]
    command = ["bwrap", "--die-with-parent", "--new-session", "--unshare-ipc", "--unshare-pid",
               "--unshare-net", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "grading"]
    if uid is None:
        command.append("--unshare-user")
    made = {"/"}

    def parents(path):
        ops = []
        for k in range(2, len(path.split("/"))):
            parent = "/".join(path.split("/")[:k])
            if parent not in made:
                made.add(parent)
                ops += ["--dir", parent]
        made.add(path)
        return ops

    for top in ("bin", "lib", "lib32", "lib64", "sbin"):
        if os.path.islink("/" + top):
            command += ["--symlink", os.readlink("/" + top), "/" + top]
        elif os.path.isdir("/" + top):
            command += ["--ro-bind", "/" + top, "/" + top]
        made.add("/" + top)
    command += ["--ro-bind", "/usr", "/usr"]
    made.add("/usr")
    for name in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime"):
        if os.path.exists("/etc/" + name):
            command += parents("/etc/" + name) + ["--ro-bind", "/etc/" + name, "/etc/" + name]
    command += ["--proc", "/proc", "--dev", "/dev"]
    made.update({"/proc", "/dev", "/dev/shm", "/tmp", HOME})
    size = str(limits["disk"])
    command += ["--perms", "1777", "--size", size, "--tmpfs", "/tmp",
                "--perms", "1777", "--size", size, "--tmpfs", "/dev/shm"]
    command += parents(HOME) + ["--perms", "1777", "--size", size, "--tmpfs", HOME]
    for folder in dict.fromkeys(os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, library)):
        if not folder.startswith("/usr/") and folder != "/usr":
            command += parents(folder) + ["--ro-bind", folder, folder]
    run = os.path.dirname(connection_file)
    command += parents(run) + ["--bind", run, run, "--chdir", HOME, "--clearenv"]
    env = {"HOME": HOME, "TMPDIR": "/tmp", "LANG": "C.UTF-8", "PYTHONPATH": library,
           "PATH": os.pathsep.join([os.path.dirname(python), "/usr/bin", "/bin"]),
           "MPLCONFIGDIR": HOME + "/.config/matplotlib"}
    env.update({k: v for k, v in os.environ.items() if k.startswith(PASSED_ON)})
    for key, value in sorted(env.items()):
        command += ["--setenv", key, value]
    if uid is not None:
        command += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--",
                    shutil.which("setpriv") or "/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                    "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
    else:
        command.append("--")
    return command + kernel


def check_run_folder(connection_file):
    """Refuse a connection file outside a folder the grading run made for its kernels (marked by
    ``MARKER``): that folder is shared with the sandbox, writable."""
    run = os.path.dirname(connection_file)
    if not os.path.isfile(os.path.join(run, MARKER)):
        sys.exit(f"sandbox.py: {run} is not a grading run's kernel folder (no {MARKER} in it)")


def die_with_parent():
    """Ask Linux to kill the calling process when its parent exits."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def descendants(root):
    """The pids of ``root`` and every process below it."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
            except (OSError, IndexError):
                continue
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def folder_bytes(folder):
    """Bytes of the files directly in ``folder`` (the kernel folder, where a kernel may write)."""
    total = 0
    with os.scandir(folder) as entries:
        for entry in entries:
            try:
                total += entry.stat(follow_symlinks=False).st_blocks * 512
            except OSError:
                continue
    return total


def usage(pids, inner):
    """(bytes of memory, CPU seconds) used by the processes ``pids`` and the sandbox's tmpfs files."""
    memory, ticks = 0, 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            ticks += sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
            with open(f"/proc/{pid}/status", "rb") as f:
                for line in f:
                    if line.startswith(b"RssAnon:"):
                        memory += int(line.split()[1]) * 1024
        except (OSError, IndexError, ValueError):
            continue
    if inner:
        for mount in ("/tmp", "/dev/shm", HOME):
            try:
                st = os.statvfs(f"/proc/{inner}/root{mount}")
                memory += (st.f_blocks - st.f_bfree) * st.f_frsize
            except OSError:
                pass
    return memory, ticks / CLOCK_TICKS


def report(what):
    path = os.environ.get("DESCENT_GRADE_EVENTS")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(what) + "\n")


def watch(process, limits, run):
    """Wait for the sandbox to end; kill it past a limit. Returns its exit status."""
    drain = process.stdout.fileno()
    os.set_blocking(drain, False)
    tail = b""
    while True:
        ready, _, _ = select.select([drain], [], [], POLL)
        if ready:
            try:
                while True:  # the kernel's own stdout and stderr: its last lines are kept
                    chunk = os.read(drain, 1 << 16)
                    if not chunk:
                        break
                    tail = (tail + chunk)[-2000:]
            except BlockingIOError:
                pass
        if process.poll() is not None:
            if process.returncode != 0:
                report({"exit": process.returncode, "output": tail.decode(errors="replace")})
            return process.returncode
        pids = descendants(process.pid)
        inner = pids[1] if len(pids) > 1 else None
        memory, cpu = usage(pids, inner)
        broken = None
        if limits["memory"] and memory > limits["memory"]:
            broken = ("memory", f"{memory / 2**20:.0f} MB in {len(pids) - 2} processes and temporary files")
        elif limits["cpu"] and cpu > limits["cpu"]:
            broken = ("cpu", f"{cpu:.0f} CPU seconds")
        elif limits["processes"] and len(pids) - 2 > limits["processes"]:
            broken = ("processes", f"{len(pids) - 2} processes")
        elif limits["disk"] and folder_bytes(run) > limits["disk"]:
            broken = ("disk", f"{folder_bytes(run) / 2**20:.0f} MB written beside its sockets")
        if broken:
            report({"limit": broken[0], "detail": broken[1]})
            process.kill()
            process.wait()
            return -signal.SIGKILL


def main(limits, connection_file):
    die_with_parent()
    connection_file = os.path.abspath(connection_file)
    uid = int(os.environ["DESCENT_GRADE_UID"]) if os.geteuid() == 0 and "DESCENT_GRADE_UID" in os.environ else None
    check_run_folder(connection_file)
    if uid is not None:
        os.chown(connection_file, uid, uid)  # the kernel's user reads it

    def start():
        os.umask(0o022)
        die_with_parent()

    command = bwrap_command(limits, connection_file, uid)
    command[0] = shutil.which("bwrap")
    # bubblewrap's own processes (PID 1 of the sandbox among them) carry no environment either
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, preexec_fn=start, env={})
    signal.signal(signal.SIGTERM, lambda *_: (process.kill(), process.wait(), sys.exit(1)))
    return watch(process, limits, os.path.dirname(connection_file))


if __name__ == "__main__":
    del sys.path[0]
    code = main(json.loads(sys.argv[1]), sys.argv[2])
    sys.exit(code if code >= 0 else 128 - code)


def unavailable():
    """Why kernels cannot be sandboxed on this machine, or None if they can."""
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux (bubblewrap); this is {sys.platform}"
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    probe = subprocess.run(["bwrap", "--ro-bind", "/", "/", "--unshare-pid", "--unshare-net", "--dev", "/dev",
                            "--proc", "/proc", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"bubblewrap cannot make a sandbox here: {probe.stderr.strip() or probe.returncode}"
    return None
