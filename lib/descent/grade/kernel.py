"""Start an IPython kernel inside resource limits; the grading kernelspec runs this file.

Usage (as a script, so that it imports nothing but the standard library and ipykernel)::

    python kernel.py --memory BYTES --cpu SECONDS --file-size BYTES [--processes N] -f CONNECTION_FILE

``--memory`` caps the kernel's address space (RLIMIT_AS): a submission that allocates without
bound gets a ``MemoryError`` instead of exhausting the machine. ``--cpu`` caps the CPU seconds
of the whole notebook (RLIMIT_CPU): a loop that ignores interrupts is killed. ``--file-size``
caps any file the kernel writes (RLIMIT_FSIZE). ``--processes`` caps the processes and threads
of the kernel's user (RLIMIT_NPROC; the sandbox passes it when the kernel has a user of its own).
Before the first cell, ``guard.py`` is installed (it restores what the tests rely on before
every cell). On Linux the kernel also dies with the grading
process that started it, so no kernel outlives a grading run.
"""
import ctypes
import importlib.util
import os
import resource
import signal
import sys

LIMITS = {"--memory": resource.RLIMIT_AS, "--cpu": resource.RLIMIT_CPU, "--file-size": resource.RLIMIT_FSIZE,
          "--processes": resource.RLIMIT_NPROC}


def apply_limits(argv):
    """Set each limit named in argv (0 means none) and return the remaining arguments."""
    rest = []
    args = iter(argv)
    for arg in args:
        if arg in LIMITS:
            value = int(next(args))
            if value > 0:
                try:
                    resource.setrlimit(LIMITS[arg], (value, value))
                except (ValueError, OSError):  # a platform that cannot set this limit (macOS: RLIMIT_AS)
                    pass
        else:
            rest.append(arg)
    return rest


def die_with_parent():
    """Ask Linux to kill this process when its parent (the grading worker) exits."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


if __name__ == "__main__":
    HERE = os.path.dirname(os.path.abspath(__file__))
    # Running this file put its own folder first on sys.path: take it off before any import.
    del sys.path[0]
    sys.argv = [sys.argv[0]] + apply_limits(sys.argv[1:])
    die_with_parent()
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize()
    guard = importlib.util.spec_from_file_location("descent_grade_guard", os.path.join(HERE, "guard.py"))
    module = importlib.util.module_from_spec(guard)
    guard.loader.exec_module(module)
    module.install(app.shell)
    app.start()
