"""A graded exercise downloaded from the book starts with a setup cell that gets it its library."""
import importlib.util
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
import course_site  # noqa: E402


def run(source, monkeypatch, found):
    """Run a setup cell as a kernel would, with ``descent`` found or not; return the pip calls."""
    calls = []
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object() if found else None)
    monkeypatch.setattr(subprocess, "check_call", lambda command: calls.append(command))
    exec(compile(source, "setup-cell", "exec"), {})
    return calls


def test_with_a_repository_a_missing_library_is_installed_from_it(monkeypatch):
    source = course_site.setup_cell_source("https://example.org/course/descent/", "spring")
    [command] = run(source, monkeypatch, found=False)
    assert command == [sys.executable, "-m", "pip", "install", "-q",
                       "descent[plot] @ git+https://example.org/course/descent.git@spring"]


def test_without_a_repository_the_cell_says_how_to_get_the_course(monkeypatch):
    source = course_site.setup_cell_source("")
    with pytest.raises(ModuleNotFoundError, match="Download descent-course.zip"):
        run(source, monkeypatch, found=False)


@pytest.mark.parametrize("url", ["", "https://example.org/course/descent"])
def test_inside_the_course_the_cell_does_nothing(monkeypatch, url):
    assert run(course_site.setup_cell_source(url), monkeypatch, found=True) == []


def test_every_downloaded_notebook_gets_exactly_one_setup_cell_first(tmp_path):
    notebook = Path("exercises/04_momentum/momentum.ipynb")
    target = tmp_path / "_downloads" / "abc123" / notebook.name
    target.parent.mkdir(parents=True)
    target.write_text(notebook.read_text(encoding="utf-8"), encoding="utf-8")
    app = types.SimpleNamespace(outdir=str(tmp_path), config=types.SimpleNamespace(
        html_theme_options={"repository_url": "https://example.org/course/descent"}))
    course_site.add_setup_cells(app, None)
    course_site.add_setup_cells(app, None)  # a second build-finished must not add a second cell
    cells = json.loads(target.read_text(encoding="utf-8"))["cells"]
    original = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    assert [c["id"] for c in cells] == [course_site.SETUP_CELL_ID] + [c["id"] for c in original]
    assert "git+https://example.org/course/descent.git@main" in "".join(cells[0]["source"])
    assert cells[1:] == original  # nbgrader's cells and checksums untouched
