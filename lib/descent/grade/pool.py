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
    """``jobs`` worker processes, each with a copy of the prepared course at ``root``."""

    def __init__(self, root, assignment, limits, jobs, deadline):
        self.assignment = assignment
        self.limits = limits
        self.deadline = deadline
        self.selector = selectors.DefaultSelector()
        self.workers = []
        for k in range(jobs):
            copy = f"{root}-worker{k}"
            shutil.copytree(root, copy)
            self.workers.append(self.start(Worker(copy)))

    def start(self, worker):
        read_end, write_end = os.pipe()
        env = environment(worker.root)
        env["DESCENT_GRADE_LIMITS"] = json.dumps(dataclasses.asdict(self.limits))
        log = open(os.path.join(worker.root, "worker.log"), "ab")
        worker.process = subprocess.Popen(
            [sys.executable, "-m", "descent.grade.worker", worker.root, self.assignment, str(write_end)],
            stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, pass_fds=(write_end,),
            env=env, cwd=worker.root, start_new_session=True, text=True)
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
        with open(os.path.join(worker.root, "worker.log"), errors="replace") as f:
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
                    worker.process.stdin.write(json.dumps(worker.task) + "\n")
                    worker.process.stdin.flush()
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
        worker.task = {"student": None, "starting": True}
        yield {"student": task["student"], "ok": False, "scores": {}, "feedback": {}, "events": [],
               "errors": [], "error": what + (f"\n{log}" if log else "")}

    def close(self):
        for worker in self.workers:
            try:
                worker.process.stdin.close()
            except OSError:
                pass
            self.stop(worker)
