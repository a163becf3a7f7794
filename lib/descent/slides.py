"""Lectures as static slides: reveal.js pages that open from disk, with no kernel and no network.

    python -m descent.slides lectures/ --out _build/slides                       # every lecture
    python -m descent.slides lectures/02_gradient_descent.ipynb --out _build/slides

Each notebook is executed afresh (in its own folder, one BLAS thread, ``--timeout`` seconds per
cell; an error, a warning or a traceback in any output stops the export) and written as
``OUT/<name>.html`` by nbconvert's SlidesExporter, with what the page needs copied beside it:
reveal.js 5 (from the sphinx-revealjs package) into ``OUT/reveal.js/`` and MathJax 3 (as the
grader's feedback pages get it, :mod:`descent.grade.mathjax`) into ``OUT/mathjax/``.

What changes on the way from a live notebook to a static page:

- a widget needs a kernel, so its place shows what its Output widget drew when the notebook ran
  (the figure at the sliders' first position) and a line naming the controls that are live in
  JupyterLab;
- cells of slide type "notes" become reveal.js speaker notes (press S in the slides);
- a cell tagged ``hide-input`` (or whose input JupyterLab collapses, ``jupyter.source_hidden``)
  shows its output only, ``remove-input`` likewise; ``remove-output`` drops the output and
  ``remove-cell`` the whole cell.
"""
import argparse
import concurrent.futures
import html
import importlib.util
import os
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat
from jinja2 import DictLoader
from nbclient import NotebookClient
from nbclient.output_widget import OutputWidget
from nbconvert import SlidesExporter

from descent.grade import mathjax

REVEAL_FOLDER = "reveal.js"
# The parts of reveal.js the page loads: the core, the white theme with its font, the notes plugin.
REVEAL_PARTS = ["LICENSE", "dist/reveal.js", "dist/reveal.css", "dist/theme/white.css",
                "dist/theme/fonts/source-sans-pro", "plugin/notes/notes.js"]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
HIDE_INPUT_TAGS = {"hide-input", "remove-input"}
# What a static page must never show: a traceback, a warning, a path of the machine that built it.
FORBIDDEN_OUTPUT = re.compile(r"Traceback \(most recent call last\)|\b\w*Warning\b:|site-packages"
                              r"|(?<![\w.])/(?:home|root|tmp|work|usr|opt)/")

# nbconvert's reveal template loads jQuery, require.js, mermaid and the widget manager from CDNs and
# reveal.js through require.js; this one loads reveal.js and its notes plugin from the folder beside
# the page and nothing else. MathJax's block stays as nbconvert writes it: export() swaps it for the
# local copy.
TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_css -%}
<style type="text/css">
/* A slide taller than the screen scrolls instead of being cut off; a long code line wraps. */
.reveal .slides > section > section { max-height: {{ reveal_height }}px; overflow-y: auto; }
.reveal .jp-InputArea-editor pre { white-space: pre-wrap; }
.reveal .slides h1, .reveal .slides h2, .reveal .slides h3 { text-transform: none; }
.descent-widget-note { font-size: 60%; font-style: italic; color: #555; }
</style>
{%- endblock html_head_css -%}
{% block footer_js %}
<script src="{{ reveal_url_prefix }}/dist/reveal.js"></script>
<script src="{{ reveal_url_prefix }}/plugin/notes/notes.js"></script>
<script>
Reveal.initialize({
  controls: true, progress: true, hash: true, center: false,
  transition: "{{ reveal_transition }}", slideNumber: "{{ reveal_number }}",
  width: {{ reveal_width }}, height: {{ reveal_height }},
  plugins: [RevealNotes],
});
</script>
{% endblock footer_js %}
"""


def reveal_source():
    """The reveal.js folder (dist/, plugin/) that the sphinx-revealjs package ships.

    Found without importing the package (which would import Sphinx)."""
    spec = importlib.util.find_spec("sphinx_revealjs")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("static slides need reveal.js: pip install sphinx-revealjs "
                           "(pinned in requirements.txt)")
    folder = Path(spec.submodule_search_locations[0]) / "_static" / "revealjs"
    if not (folder / "dist" / "reveal.js").is_file():
        raise RuntimeError(f"sphinx-revealjs is installed but {folder} has no dist/reveal.js")
    return folder


def install_assets(out):
    """Copy reveal.js and MathJax into ``out`` (once per folder of slides)."""
    source, target = reveal_source(), Path(out) / REVEAL_FOLDER
    for part in REVEAL_PARTS:
        origin, destination = source / part, target / part
        destination.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, destination, dirs_exist_ok=True)
        else:
            shutil.copyfile(origin, destination)
    if not mathjax.install(str(out)):
        raise RuntimeError("static slides need MathJax: pip install sphinx-mathjax-offline "
                           "(pinned in requirements.txt)")


class CapturedOutput(OutputWidget):
    """nbclient's stand-in for the front end of an Output widget, which keeps what the widget
    captures, without echoing each output back to the kernel: the kernel never reads it back, and
    that echo is sent on the socket the client is waiting on for the cell's reply, a wait it could
    leave asleep until the cell's time limit (seen as 120 s stalls on widget cells)."""

    def sync_state(self):
        pass


def execute(notebook, path, timeout):
    """Run every cell of ``notebook`` (read from ``path``) in a fresh kernel, in the notebook's
    folder, keeping the widgets' state; raise if a cell fails or an output shows what a slide
    must not (:func:`check_outputs`)."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", store_widget_state=True,
                            # ipykernel's start-up notice on stderr ("running over TCP") says nothing here
                            extra_arguments=["--IPKernelApp.log_level=ERROR"],
                            resources={"metadata": {"path": str(Path(path).parent)}})
    client.widget_registry["@jupyter-widgets/output"]["OutputModel"] = CapturedOutput
    client.execute()
    check_outputs(notebook, path)
    return notebook


def check_outputs(notebook, path):
    """Raise if an output of ``notebook`` (read from ``path``) shows what a slide must not: a stderr
    stream, an error (even from a cell tagged raises-exception), a warning, a traceback, a path of
    the machine that ran it."""
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            text = _output_text(output)
            refused = output.get("name") == "stderr" or output["output_type"] == "error"
            if refused or FORBIDDEN_OUTPUT.search(text):
                raise RuntimeError(f"{path}, cell {index}: an output a slide must not show: {text[:300]!r}")


def _output_text(output):
    if output["output_type"] == "stream":
        return output["text"]
    if output["output_type"] == "error":
        return f"{output['ename']}: {output['evalue']}"
    data = output.get("data", {})
    return str(data.get("text/plain", "")) + str(data.get("text/html", ""))


def _referenced_models(value):
    """Model ids a widget's state refers to ("IPY_MODEL_<id>", alone or in a list), in order."""
    if isinstance(value, str) and value.startswith("IPY_MODEL_"):
        return [value[len("IPY_MODEL_"):]]
    if isinstance(value, list):
        return [model for item in value for model in _referenced_models(item)]
    return []


def widget_outputs(model_id, state, seen=None):
    """The outputs captured by the Output widgets inside widget ``model_id`` (depth first)."""
    seen = set() if seen is None else seen
    if model_id in seen or model_id not in state:
        return []
    seen.add(model_id)
    model = state[model_id]
    if model["model_name"] == "OutputModel":
        return list(model["state"].get("outputs", []))
    return [output for value in model["state"].values() for child in _referenced_models(value)
            for output in widget_outputs(child, state, seen)]


def widget_controls(model_id, state, seen=None):
    """The descriptions of the controls (sliders, dropdowns, …) inside widget ``model_id``."""
    seen = set() if seen is None else seen
    if model_id in seen or model_id not in state:
        return []
    seen.add(model_id)
    model = state[model_id]["state"]
    own = [model["description"]] if model.get("description") else []
    return own + [name for value in model.values() for child in _referenced_models(value)
                  for name in widget_controls(child, state, seen)]


def freeze_widgets(notebook):
    """Replace each widget view by what its Output widgets drew and a line naming its live
    controls; drop the widget state (a static page has no widget manager)."""
    state = notebook.metadata.pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        frozen = []
        for output in cell.outputs:
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                frozen.append(output)
                continue
            controls = ", ".join(widget_controls(view["model_id"], state))
            note = "Live in JupyterLab" + (f": move {controls}" if controls else "") + "."
            frozen.extend(widget_outputs(view["model_id"], state))
            frozen.append(nbformat.v4.new_output("display_data", data={
                "text/plain": note,
                "text/html": f'<p class="descent-widget-note">{html.escape(note)}</p>'}))
        cell.outputs = frozen
    return notebook


def hide_for_slides(notebook):
    """Apply the cells' tags: hide-input/remove-input (or a collapsed input) show the output only,
    remove-output drops the output, remove-cell the cell."""
    kept = []
    for cell in notebook.cells:
        tags = set(cell.metadata.get("tags", []))
        if "remove-cell" in tags:
            continue
        if tags & HIDE_INPUT_TAGS or cell.metadata.get("jupyter", {}).get("source_hidden"):
            cell.metadata["transient"] = {"remove_source": True}
        if "remove-output" in tags and cell.cell_type == "code":
            cell.outputs = []
        kept.append(cell)
    notebook.cells = kept
    return notebook


def exporter():
    """nbconvert's SlidesExporter with the offline template, no prompts, reveal.js beside the page."""
    slides = SlidesExporter(extra_loaders=[DictLoader({"descent_slides.html.j2": TEMPLATE})],
                            template_file="descent_slides.html.j2")
    slides.reveal_url_prefix = REVEAL_FOLDER
    slides.reveal_theme = "white"  # copied with its font; "simple", nbconvert's default, loads Google's fonts
    slides.reveal_number = "c/t"
    slides.exclude_input_prompt = True
    slides.exclude_output_prompt = True
    return slides


def export(path, out, timeout=120):
    """Execute the notebook at ``path`` and write ``out/<name>.html``; return that path.

    The page expects reveal.js and MathJax beside it: :func:`install_assets` (done by
    :func:`export_all`)."""
    path, out = Path(path), Path(out)
    notebook = execute(nbformat.read(path, as_version=4), path, timeout)
    notebook = hide_for_slides(freeze_widgets(notebook))
    page, _ = exporter().from_notebook_node(notebook, resources={"metadata": {"name": path.stem}})
    page = mathjax.localize(page)
    target = out / f"{path.stem}.html"
    target.write_text(page, encoding="utf-8")
    return target


def notebooks(paths):
    """The notebooks named by ``paths``: files as given, folders' ``*.ipynb`` sorted by name."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(sorted(path.glob("*.ipynb")))
        elif path.suffix == ".ipynb" and path.is_file():
            found.append(path)
        else:
            raise ValueError(f"paths: {str(path)!r} is neither a notebook (.ipynb) nor a folder")
    if not found:
        raise ValueError(f"paths: no notebooks in {[str(p) for p in paths]}")
    return found


def export_all(paths, out, timeout=120, jobs=1, report=print):
    """Export every notebook named by ``paths`` into ``out`` (``jobs`` at a time) with reveal.js
    and MathJax beside them; return the written pages. ``report`` gets one line per notebook."""
    if jobs < 1:
        raise ValueError(f"jobs: {jobs} is not allowed; give 1 or more notebooks at a time")
    found = notebooks(paths)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    install_assets(out)
    with concurrent.futures.ProcessPoolExecutor(max_workers=min(jobs, len(found))) as pool:
        futures = {pool.submit(_timed_export, path, out, timeout): path for path in found}
        pages = []
        for future in concurrent.futures.as_completed(futures):
            page, seconds = future.result()
            report(f"{futures[future]} -> {page} ({seconds:.1f} s)")
            pages.append(page)
    return sorted(pages)


def _timed_export(path, out, timeout):
    start = time.perf_counter()
    page = export(path, out, timeout)
    return page, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m descent.slides", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="lecture notebooks, or folders of them (e.g. lectures/)")
    parser.add_argument("--out", default=os.path.join("_build", "slides"),
                        help="folder for the pages and their reveal.js and MathJax (default _build/slides)")
    parser.add_argument("--timeout", type=int, default=120, help="seconds one cell may run (default 120)")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks executed at once (default 1)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        pages = export_all(args.paths, args.out, args.timeout, args.jobs)
    except ValueError as error:
        parser.error(str(error))
    except RuntimeError as error:  # a cell failed, or an output a slide must not show
        print(f"python -m descent.slides: {error}", file=sys.stderr)
        return 1
    print(f"{len(pages)} slide decks in {args.out} ({time.perf_counter() - start:.0f} s); "
          f"open one in a browser, press S for the speaker notes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
