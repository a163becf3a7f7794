"""nbgrader preprocessors the grading run adds to nbgrader's own."""
import asyncio
import copy
import re

import nbformat
import zmq
from jupyter_core.utils import ensure_async
from nbgrader import utils
from nbgrader.preprocessors import Execute, NbGraderPreprocessor, SaveAutoGrades
from traitlets import Integer, Unicode


class TruncateOutput(NbGraderPreprocessor):
    """Cut every text output of a cell to at most ``max_chars`` characters.

    nbgrader's ``LimitOutput`` counts lines, so one enormous line passes it; this counts
    characters, so a submission that prints megabytes still gives a readable feedback page.
    """

    max_chars = Integer(20_000, help="most characters kept of one output (-1: no limit)").tag(config=True)

    def cut(self, text):
        if self.max_chars < 0 or len(text) <= self.max_chars:
            return text
        return text[: self.max_chars] + f"\n... output truncated ({len(text):,} characters in all) ...\n"

    def preprocess_cell(self, cell, resources, cell_index):
        for output in cell.get("outputs", []):
            if "text" in output:
                output.text = self.cut(output.text)
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/") and isinstance(value, str):
                    output.data[mime] = self.cut(value)
        return cell, resources


ANSI = re.compile(r"\x1b\[[0-9;]*m")
CONTEXT = re.compile(r"^\s*(?:-*>\s*)?\d+\s?")


class HideHiddenTestsInTracebacks(NbGraderPreprocessor):
    """Drop from every output of a test cell the lines that quote one of its hidden tests.

    IPython prints the lines around a failing ``assert``, so a visible test that fails would
    show the hidden tests below it in the feedback; and a function the test calls can print its
    caller's source (``linecache``, ``inspect``) on purpose. Run before ``ClearHiddenTests``,
    which removes the hidden region from the cell itself. (Text encoded before it is printed
    is not recognized: see "Security" in INSTRUCTORS.md.)
    """

    begin = Unicode("BEGIN HIDDEN TESTS").tag(config=True)
    end = Unicode("END HIDDEN TESTS").tag(config=True)

    def hidden_lines(self, source):
        lines, inside = set(), False
        for line in source.splitlines():
            if self.begin in line:
                inside = True
            if inside and line.strip():
                lines.add(line.strip())
            if self.end in line:
                inside = False
        return lines

    def quotes(self, line, hidden):
        text = CONTEXT.sub("", ANSI.sub("", line), count=1).strip()
        return bool(text) and (text in hidden or any(h in text for h in hidden if len(h) >= 8))

    def clean(self, text, hidden):
        return "\n".join(line for line in text.split("\n") if not self.quotes(line, hidden))

    def preprocess_cell(self, cell, resources, cell_index):
        hidden = self.hidden_lines(cell.source) if cell.cell_type == "code" else set()
        if hidden:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output.traceback = [self.clean(entry, hidden) for entry in output.traceback]
                    output.evalue = self.clean(output.evalue, hidden)
                if "text" in output:
                    output.text = self.clean(output.text, hidden)
                for mime, value in output.get("data", {}).items():
                    if mime.startswith("text/") and isinstance(value, str):
                        output.data[mime] = self.clean(value, hidden)
        return cell, resources


def test_score(cell, log=None):
    """(score, max points) of a graded cell, by its outputs.

    A test cell with an error anywhere in its output scores 0, whatever came before the error
    (nbgrader stops at the first ``execute_result``, so a cell that displayed a value and then
    failed kept its points). Text on stderr is not a failure: a warning the student's code
    emits costs nothing. Otherwise nbgrader's rules apply (a numeric ``execute_result`` is
    partial credit; no output is full marks)."""
    if cell.cell_type == "code" and not utils.is_solution(cell):
        if any(output.output_type == "error" for output in cell.outputs):
            return 0, float(cell.metadata["nbgrader"]["points"])
        cell = copy.deepcopy(cell)
        cell.outputs = [output for output in cell.outputs
                        if not (output.output_type == "stream" and output.name == "stderr")]
    return utils.determine_grade(cell, log)


class SaveTestScores(SaveAutoGrades):
    """nbgrader's SaveAutoGrades, scoring test cells with ``test_score``."""

    def _add_score(self, cell, resources):
        grade = self.gradebook.find_grade(cell.metadata["nbgrader"]["grade_id"], self.notebook_id,
                                          self.assignment_id, self.student_id)
        grade.auto_score, _ = test_score(cell, self.log)
        grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
        self.gradebook.db.commit()


class OutputLimit(Execute):
    """nbgrader's Execute, counting the bytes of output as they arrive.

    Past ``max_bytes`` for the notebook, further output is dropped (errors are kept, cut to
    20,000 characters) and the running cell is interrupted; no single message larger than the
    limit is even received (ZeroMQ's MAXMSGSIZE closes the connection instead), so a
    submission cannot make the grader hold its output in memory.
    """

    max_bytes = Integer(8 * 1024**2, help="bytes of output one notebook may produce (0: no limit)").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self.output_bytes, self.output_stopped, self.interrupted = 0, False, None
        return super().preprocess(nb, resources, km)

    async def async_start_new_kernel_client(self):
        if self.max_bytes:
            self.km.context.setsockopt(zmq.MAXMSGSIZE, self.max_bytes + 2**20)
        return await super().async_start_new_kernel_client()

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        if msg["msg_type"] == "error":
            content["traceback"] = [TruncateOutput(max_chars=20_000).cut("\n".join(content.get("traceback", [])))]
            return super().output(outs, msg, display_id, cell_index)
        self.output_bytes += len(content.get("text", "")) + sum(len(str(v)) for v in content.get("data", {}).values())
        if not self.max_bytes or self.output_bytes <= self.max_bytes:
            return super().output(outs, msg, display_id, cell_index)
        if not self.output_stopped:
            self.output_stopped = True
            outs.append(nbformat.v4.new_output("stream", name="stdout", text=OUTPUT_STOPPED.format(self.max_bytes)))
        if self.interrupted != cell_index:
            self.interrupted = cell_index
            asyncio.ensure_future(ensure_async(self.km.interrupt_kernel()))
        return None


OUTPUT_STOPPED = "\n... output stopped: the notebook printed more than {:,} bytes; the cell was interrupted ...\n"
