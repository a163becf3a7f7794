"""Grading processes working in parallel, each in its own copy of the course, under a deadline.

A process that overruns its deadline for one student, or dies, is killed and replaced; that
student's result says so and the others carry on.
"""
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
import dataclasses

from descent.grade.course import environment

# The kernels' users when grading as root: ids no account uses, a thousand per run.
UID_BASE = 2_000_000_000


@dataclasses.dataclass
class Worker:
    root: str
    process: subprocess.Popen = None
    results: object = None
    task: dict = None
    deadline: float = 0.0


class Pool:
    """``jobs`` worker processes, each to work in a copy of the course at ``root``.

    The processes start (and import nbgrader) at once; ``begin()`` hands them the course
    once it is prepared.
    """

    def __init__(self, root, assignment, limits, jobs, deadline):
        self.root = root
        self.assignment = assignment
        self.limits = limits
        self.deadline = deadline
        self.selector = selectors.DefaultSelector()
        self.started = 0
        self.uids = range(UID_BASE + os.getpid() % 100_000 * 1000, UID_BASE + os.getpid() % 100_000 * 1000 + 1000)
        self.workers = [self.start(Worker(f"{root}-worker{k}")) for k in range(jobs)]

    def begin(self):
        """Copy the prepared course for each worker and let them read it."""
        for worker in self.workers:
            shutil.copytree(self.root, worker.root)
            self.send(worker, {"course": worker.root})

    def send(self, worker, message):
        worker.process.stdin.write(json.dumps(message) + "\n")
        worker.process.stdin.flush()

    def start(self, worker):
        read_end, write_end = os.pipe()
        env = environment(worker.root)
        env["DESCENT_GRADE_LIMITS"] = json.dumps(dataclasses.asdict(self.limits))
        # a user of its own for this worker's kernels (used when grading as root), and where the
        # sandbox says which limit it enforced
        self.started += 1
        env["DESCENT_GRADE_UID"] = str(self.uids.start + self.started)
        env["DESCENT_GRADE_EVENTS"] = f"{worker.root}.events"
        log = open(f"{worker.root}.log", "ab")
        worker.process = subprocess.Popen(
            [sys.executable, "-m", "descent.grade.worker", worker.root, self.assignment, str(write_end)],
            stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, pass_fds=(write_end,),
            env=env, cwd=os.path.dirname(worker.root), start_new_session=True, text=True)
        log.close()
        os.close(write_end)
        worker.results = os.fdopen(read_end, "r")
        worker.task = {"student": None, "starting": True}
        worker.deadline = time.monotonic() + 300
        self.selector.register(worker.results, selectors.EVENT_READ, worker)
        return worker

    def stop(self, worker):
        self.selector.unregister(worker.results)
        worker.results.close()
        try:
            os.killpg(worker.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        worker.process.wait()

    def log_tail(self, worker, lines=15):
        with open(f"{worker.root}.log", errors="replace") as f:
            return "".join(f.readlines()[-lines:])

    def run(self, tasks):
        """Grade every task ({"student", "files"}); yield each worker reply as it arrives."""
        queue = list(tasks)
        busy = lambda: [w for w in self.workers if w.task is not None]  # noqa: E731
        while queue or busy():
            for worker in self.workers:
                if worker.task is None and queue:
                    worker.task = queue.pop(0)
                    worker.deadline = time.monotonic() + self.deadline
                    self.send(worker, worker.task)
            now = time.monotonic()
            wait = max(0.0, min(w.deadline for w in busy()) - now)
            for key, _ in self.selector.select(timeout=min(wait, 1.0)):
                worker = key.data
                line = worker.results.readline()
                if line:
                    reply = json.loads(line)
                    starting = worker.task.get("starting")
                    worker.task = None
                    if not starting:
                        yield reply
                else:
                    yield from self.replace(worker, "crashed: the grading process died", self.log_tail(worker))
            for worker in busy():
                if time.monotonic() > worker.deadline:
                    seconds = self.deadline if not worker.task.get("starting") else 300
                    yield from self.replace(worker, f"deadline: longer than {seconds:.0f} s", "")

    def replace(self, worker, what, log):
        """Kill a worker; report its student (if any) as failed; start a fresh one in its place."""
        task = worker.task
        self.stop(worker)
        if task.get("starting"):
            raise RuntimeError(f"a grading process could not start:\n{log}")
        self.start(worker)
        self.send(worker, {"course": worker.root})
        yield {"student": task["student"], "ok": False, "scores": {}, "feedback": {}, "events": [],
               "errors": [], "error": what + (f"\n{log}" if log else "")}

    def close(self):
        """Stop every worker, and make sure no process of any kernel is left."""
        for worker in self.workers:
            try:
                worker.process.stdin.close()
                worker.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
            self.stop(worker)
        kill_users(self.uids)


def kill_users(uids, seconds=10):
    """Kill every process whose user is in ``uids`` (the kernels' own users) and wait until none is left."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        left = [pid for pid, uid in process_users() if uid in uids]
        if not left:
            return
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    raise RuntimeError(f"processes of the grading kernels survived: {left}")


def process_users():
    """(pid, real uid) of every process."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as f:
                    uid = next(int(line.split()[1]) for line in f if line.startswith("Uid:"))
                found.append((int(entry), uid))
            except (OSError, StopIteration, ValueError):
                continue
    return found
