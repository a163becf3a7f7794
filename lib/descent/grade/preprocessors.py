"""nbgrader preprocessors the grading run adds to nbgrader's own."""
import re

from nbgrader.preprocessors import NbGraderPreprocessor
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
    """Drop from every traceback the lines that quote a hidden test.

    IPython prints the lines around a failing ``assert``, so a visible test that fails would
    show the hidden tests below it in the feedback. Run before ``ClearHiddenTests``, which
    removes the hidden region from the cell itself.
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
        return bool(text) and text in hidden

    def preprocess_cell(self, cell, resources, cell_index):
        hidden = self.hidden_lines(cell.source) if cell.cell_type == "code" else set()
        if hidden:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output.traceback = ["\n".join(line for line in entry.splitlines() if not self.quotes(line, hidden))
                                        for entry in output.traceback]
        return cell, resources
