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
        for worker in self.workers:
            try:
                worker.process.stdin.close()
                worker.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
            self.stop(worker)
