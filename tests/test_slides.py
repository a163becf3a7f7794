"""Static slides (descent.slides): a small lecture with a speaker note, a hidden-input figure, a
removed cell and a widget from descent.widgets, executed and exported once for the module; the page
must load nothing from the network and show the widget's figure in its place."""
import re

import nbformat
import pytest

from descent import slides

NOTE = "Ask the room which rate diverges first"
HIDDEN = "fig_hidden_source_marker"
COLLAPSED = "fig_collapsed_source_marker"
REMOVED = "removed_cell_marker"
LOADED = re.compile(r"<(?:script|link|img|iframe|source)\b[^>]*?\b(?:src|href)=\"([^\"]*)\"", re.I)


def cell(kind, source, slide_type="-", tags=(), **metadata):
    new = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
    made = new(source, metadata={"slideshow": {"slide_type": slide_type}, **metadata})
    if tags:
        made.metadata["tags"] = list(tags)
    return made


def lecture():
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    notebook.cells = [
        cell("code", "import matplotlib.pyplot as plt\nfrom descent import problems, widgets", "skip"),
        cell("markdown", "# A tiny lecture\n\nThe update $\\theta_t = \\theta_{t-1} - \\eta g_t$.", "slide"),
        cell("markdown", f"{NOTE}: **1.9** is still stable.", "notes"),
        cell("code", f"{HIDDEN} = 1\nplt.plot([0, 1], [1, 0])\nplt.show()", "subslide", tags=["hide-input"],
             jupyter={"source_hidden": True}),
        cell("code", f"{COLLAPSED} = 1\nplt.plot([0, 1], [0, 1])\nplt.show()", "fragment",
             jupyter={"source_hidden": True}),
        cell("code", f"print('{REMOVED}')", "-", tags=["remove-cell"]),
        cell("markdown", "## Try it", "slide"),
        cell("code", "widgets.lr_explorer(problems.quadratic(condition_number=10), lr=0.05, steps=5)", "fragment"),
    ]
    for index, made in enumerate(notebook.cells):
        made.id = f"cell{index}"
    return notebook


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("slides")
    source = folder / "lectures" / "01_tiny.ipynb"
    source.parent.mkdir()
    nbformat.write(lecture(), source)
    out = folder / "out"
    lines = []
    pages = slides.export_all([source.parent], out, timeout=60, report=lines.append)
    assert pages == [out / "01_tiny.html"] and len(lines) == 1
    return out, pages[0].read_text(encoding="utf-8")


def cell_html(page, cell_id):
    """The HTML of one exported cell, from its anchor to the next cell's."""
    start = page.index(f'id="cell-id={cell_id}"')
    following = page.find('id="cell-id=', start + 1)
    return page[start:following if following != -1 else len(page)]


def test_the_page_loads_nothing_from_the_network(exported):
    out, page = exported
    loaded = LOADED.findall(page)
    assert loaded, "no script or style sheet found at all"
    remote = [url for url in loaded if re.match(r"^(https?:)?//", url)]
    assert not remote, f"loaded from the network: {remote}"
    assert not re.search(r"@import\s+url\(\s*['\"]?(https?:)?//", page)
    for css in (out / "reveal.js").rglob("*.css"):
        assert not re.search(r"@import\s+url\(\s*['\"]?(https?:)?//", css.read_text()), css
    assert "require(" not in page and "unpkg.com" not in page and "cdnjs" not in page


def test_reveal_and_mathjax_sit_beside_the_page_and_the_page_loads_them(exported):
    out, page = exported
    for part in ("reveal.js/dist/reveal.js", "reveal.js/dist/reveal.css", "reveal.js/dist/theme/white.css",
                 "reveal.js/plugin/notes/notes.js", "mathjax/tex-chtml.js"):
        assert (out / part).is_file(), part
        assert part in LOADED.findall(page), f"the page does not load {part}"
    assert (out / "reveal.js/dist/theme/fonts/source-sans-pro/source-sans-pro.css").is_file()
    assert "reveal.js 5." in (out / "reveal.js/dist/reveal.js").read_text()[:200]
    assert "plugins: [RevealNotes]" in page


def test_notes_cells_become_speaker_notes(exported):
    _, page = exported
    notes = re.findall(r'<aside class="notes">(.*?)</aside>', page, re.S)
    assert len(notes) == 1 and NOTE in notes[0] and "<strong>1.9</strong>" in notes[0]


def test_hidden_inputs_show_their_figure_only_and_removed_cells_are_gone(exported):
    _, page = exported
    notebook = lecture()
    for marker in (HIDDEN, COLLAPSED):
        assert marker not in page, f"the input of the cell with {marker} shows"
    for index in (3, 4):
        html = cell_html(page, notebook.cells[index].id)
        assert "data:image/png;base64," in html and "jp-InputArea-editor" not in html
    assert REMOVED not in page
    assert "import matplotlib" not in page  # the skipped setup cell


def test_the_widget_is_replaced_by_its_first_figure_and_names_its_live_controls(exported):
    _, page = exported
    assert "application/vnd.jupyter.widget" not in page and "interactive(children" not in page
    html = cell_html(page, lecture().cells[7].id)
    figure = html.find("data:image/png;base64,")
    note = html.find("Live in JupyterLab: move η, start θ₁, start θ₂, steps.")
    assert 0 < figure < note, "no figure before the line naming the widget's controls"
    assert "jp-InputArea-editor" in html and "lr_explorer" in html  # the short call stays visible


@pytest.mark.parametrize("output, shown", [
    (nbformat.v4.new_output("stream", name="stderr", text="too large a rate\n"), "too large a rate"),
    (nbformat.v4.new_output("stream", name="stdout", text="UserWarning: rate\n"), "UserWarning: rate"),
    (nbformat.v4.new_output("execute_result", data={"text/plain": "'/home/ann/descent/data.csv'"},
                            execution_count=1), "/home/ann"),
    (nbformat.v4.new_output("error", ename="ValueError", evalue="lr: -1 is not allowed", traceback=[]),
     "ValueError: lr: -1 is not allowed"),
])
def test_an_output_a_slide_must_not_show_stops_the_export(output, shown):
    notebook = lecture()
    notebook.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="loss 0.25\n")]
    notebook.cells[4].outputs = [output]
    with pytest.raises(RuntimeError, match=f"tiny.ipynb, cell 4: an output a slide must not show.*{shown}"):
        slides.check_outputs(notebook, "tiny.ipynb")
    notebook.cells[4].outputs = []
    slides.check_outputs(notebook, "tiny.ipynb")


def test_a_failing_cell_stops_the_export(tmp_path):
    notebook = lecture()
    notebook.cells = [cell("markdown", "# Fails", "slide"), cell("code", "1 / 0")]
    nbformat.write(notebook, tmp_path / "fails.ipynb")
    with pytest.raises(Exception, match="ZeroDivisionError"):
        slides.export(tmp_path / "fails.ipynb", tmp_path)
    assert not (tmp_path / "fails.html").exists()


def test_the_command_names_the_failing_cell_in_one_line(tmp_path, capsys):
    notebook = lecture()
    notebook.cells = [cell("markdown", "# Warns", "slide"),
                      cell("code", "import warnings\nwarnings.warn('a rate too large')")]
    nbformat.write(notebook, tmp_path / "warns.ipynb")
    assert slides.main([str(tmp_path / "warns.ipynb"), "--out", str(tmp_path / "out")]) == 1
    error = capsys.readouterr().err
    assert "warns.ipynb, cell 1: an output a slide must not show" in error and "a rate too large" in error
    assert "Traceback" not in error


def test_widget_outputs_walk_nested_containers_in_order():
    state = {
        "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_slider", "IPY_MODEL_tabs"]}},
        "slider": {"model_name": "FloatSliderModel", "state": {"description": "η"}},
        "tabs": {"model_name": "TabModel", "state": {"children": ["IPY_MODEL_out1", "IPY_MODEL_out2"]}},
        "out1": {"model_name": "OutputModel", "state": {"outputs": [{"output_type": "stream", "text": "a"}]}},
        "out2": {"model_name": "OutputModel", "state": {"outputs": [{"output_type": "stream", "text": "b"}]}},
    }
    assert [o["text"] for o in slides.widget_outputs("box", state)] == ["a", "b"]
    assert slides.widget_controls("box", state) == ["η"]
    assert slides.widget_outputs("missing", state) == []


def test_paths_that_are_not_notebooks_are_refused_with_their_name(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match=r"paths: '.*notes.txt' is neither a notebook"):
        slides.notebooks([tmp_path / "notes.txt"])
    with pytest.raises(ValueError, match=r"paths: no notebooks in"):
        slides.notebooks([tmp_path])
    with pytest.raises(ValueError, match=r"jobs: 0 is not allowed"):
        slides.export_all([tmp_path], tmp_path / "out", jobs=0)
