"""The built book and a lecture, checked in a real browser (headless Chromium, driven by Playwright).

    python .ci/browser_check.py [--book _build/html] [--slides _build/slides] [--out _build/browser]
                                [--lecture 02_gradient_descent]

On every page of the built book, opened from disk with the network cut (as a reader opens
``_build/html/index.html``):
- no uncaught error and no error in the console (a request to the network counts as one);
- no traceback, warning, error or file-system path in any rendered cell output;
- no table, code block or displayed equation wider than the text column (window 1400 × 900);
- no glued value rendered empty;
- one search field on the search page;
- each chapter links a download of its graded exercise (a notebook with nbgrader cells, after the
  setup cell that gets the library when the notebook is opened on its own) and the
  "Working the exercises" page, and the site carries the course archive with every exercise.
In JupyterLab, on a copy of a lecture: nbgrader's instructor menus are hidden (as the README sets
JupyterLab up for students), Run All works, the sliders render, moving one redraws its figure;
then the same in the slideshow (jupyterlab-slideshow).
The same lecture's static slides (``python -m descent.slides``), opened from disk with the network
cut: no console error and no request off the disk, a figure on the slide of its first widget, every
speaker note in the page and, after S, in the speaker view; no input shown for a hide-input cell.

Screenshots (a slide after its slider moved, the widest table, the static widget slide and the
speaker view) go to ``--out``; the script exits
1 with a list of failures if any check fails. Needs ``chromium`` at /usr/bin/chromium.
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 900}
# What a reader should never see in a cell's output.
FORBIDDEN_OUTPUT = {
    "traceback": re.compile(r"Traceback \(most recent call last\)|-{5,}>|^\s*File \"", re.M),
    "warning": re.compile(r"\b\w*Warning\b:"),
    "file-system path": re.compile(r"site-packages|\.venv\b|(?<![\w.])/(?:home|root|tmp|work|usr|opt)/"),
}
CHAPTER = re.compile(r"^book/(\d\d)_\w+\.html$")

MEASURE_PAGE = """() => {
  const article = document.querySelector('article.bd-article') || document.body;
  const style = getComputedStyle(article);
  const column = article.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const describe = (el) => (el.innerText || el.textContent || '').trim().slice(0, 80).replace(/\\s+/g, ' ');
  const wide = [];
  const tables = [];
  article.querySelectorAll('table').forEach((el, index) => {
    const width = Math.max(el.scrollWidth, el.getBoundingClientRect().width);
    // The width its content would take unwrapped: which table is the hardest to fit.
    const saved = el.style.width;
    el.style.width = 'max-content';
    const natural = el.getBoundingClientRect().width;
    el.style.width = saved;
    tables.push({index, width, natural, column});
    if (width > column + 1) wide.push({kind: 'table', width, column, text: describe(el)});
  });
  article.querySelectorAll('pre').forEach((el) => {
    if (el.scrollWidth > el.clientWidth + 1 || el.getBoundingClientRect().width > column + 1)
      wide.push({kind: 'code', width: el.scrollWidth, column: el.clientWidth, text: describe(el)});
  });
  article.querySelectorAll('mjx-container[display="true"]').forEach((el) => {
    const inner = el.firstElementChild;
    const width = inner ? inner.getBoundingClientRect().width : el.scrollWidth;
    if (width > column + 1)
      wide.push({kind: 'equation', width, column, text: el.getAttribute('aria-label') || ''});
  });
  const outputs = Array.from(article.querySelectorAll('.cell_output')).map((el) => ({
    text: el.innerText,
    classes: Array.from(el.querySelectorAll('.output')).map((o) => o.className).join(' '),
  }));
  const emptyGlue = Array.from(article.querySelectorAll('.pasted-text, .pasted-inline, .pasted-math'))
    .filter((el) => !(el.textContent || '').trim() && !el.querySelector('img, mjx-container, svg'))
    .map((el) => describe(el.parentElement));
  const visible = (el) => { const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden'; };
  const searchFields = Array.from(document.querySelectorAll(
    'form.bd-search, .search-button-field, button.search-button')).filter(visible).length;
  const links = Array.from(article.querySelectorAll('a[href]')).map((a) => ({
    href: a.getAttribute('href'), text: a.textContent.trim(),
    download: a.classList.contains('download')}));
  return {column, wide, tables, outputs, emptyGlue, searchFields, links};
}"""


class Failures(list):
    def add(self, where, what):
        self.append(f"{where}: {what}")
        print(f"FAIL {where}: {what}", flush=True)


def book_pages(book):
    skip = {"_static", "_sources", "_downloads", "_images"}
    return sorted(p for p in book.rglob("*.html") if not skip & set(p.relative_to(book).parts))


def check_exercise_links(book, page, links, failures):
    """The chapter links its graded exercise (a downloadable nbgrader notebook) and the guide."""
    name = page.relative_to(book).as_posix()
    number = CHAPTER.match(name).group(1)
    notebooks = [link for link in links if link["download"] and link["href"].endswith(".ipynb")]
    if len(notebooks) != 1:
        failures.add(name, f"expected one download of its graded exercise, found {len(notebooks)}")
        return
    target = (page.parent / notebooks[0]["href"]).resolve()
    try:
        notebook = json.loads(target.read_text())
        graded = [c for c in notebook["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
        setup = notebook["cells"][0]
        first = "".join(notebook["cells"][1]["source"])  # the exercise's title, after the setup cell
    except (OSError, ValueError, KeyError, IndexError) as error:
        failures.add(name, f"its exercise download {notebooks[0]['href']} is not a notebook: {error}")
        return
    if setup.get("id") != "descent-setup" or "find_spec(\"descent\")" not in "".join(setup["source"]):
        failures.add(name, f"its exercise download {target.name} does not start with the setup cell "
                           "that gets the library when the notebook is opened on its own")
    if not graded:
        failures.add(name, f"its exercise download {target.name} has no graded test cells")
    if f"exercise {int(number)}" not in first.lower():
        failures.add(name, f"its exercise download {target.name} is not exercise {int(number)}: {first[:60]!r}")
    if not any(link["href"].split("#")[0].endswith("exercises.html") for link in links):
        failures.add(name, "no link to the 'Working the exercises' page")


def check_course_archive(book, failures):
    archive = book / "descent-course.zip"
    try:
        names = set(zipfile.ZipFile(archive).namelist())
    except (OSError, zipfile.BadZipFile) as error:
        failures.add("descent-course.zip", f"missing or unreadable: {error}")
        return
    needed = {"descent/pyproject.toml", "descent/requirements-lock.txt", "descent/lib/descent/__init__.py"}
    needed |= {f"descent/exercises/{p.parent.name}/{p.name}"
               for p in (book.parent.parent / "exercises").glob("*/*.ipynb")}
    for missing in sorted(needed - names):
        failures.add("descent-course.zip", f"lacks {missing}")


def watched_page(browser, blocked):
    """A new page whose requests to URLs matching ``blocked`` are refused and listed, and whose
    console errors and uncaught exceptions are collected: (context, page, network, messages)."""
    context = browser.new_context(viewport=VIEWPORT)
    network, messages = [], []
    context.route(re.compile(blocked), lambda route: (network.append(route.request.url), route.abort()))
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and messages.append(m.text))
    page.on("pageerror", lambda e: messages.append(f"uncaught: {e}"))
    return context, page, network, messages


def check_book(browser, book, out, failures):
    context, page, network, messages = watched_page(browser, r"^(https?|wss?)://")
    widest = None
    pages = book_pages(book)
    chapters = 0
    for path in pages:
        name = path.relative_to(book).as_posix()
        redirect = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', path.read_text()[:500])
        if redirect:
            if not (path.parent / redirect.group(1)).exists():
                failures.add(name, f"redirects to {redirect.group(1)}, which does not exist")
            continue
        messages.clear()
        network.clear()
        page.goto(path.as_uri(), wait_until="load")
        page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        page.wait_for_timeout(150)
        found = page.evaluate(MEASURE_PAGE)
        for text in messages:
            failures.add(name, f"console error: {text[:200]}")
        for url in network:
            failures.add(name, f"requests the network: {url[:120]}")
        for item in found["wide"]:
            failures.add(name, f"{item['kind']} {item['width']:.0f} px wide in a {item['column']:.0f} px "
                               f"column: {item['text']!r}")
        for output in found["outputs"]:
            for what, pattern in FORBIDDEN_OUTPUT.items():
                match = pattern.search(output["text"])
                if match:
                    failures.add(name, f"a cell output shows a {what}: {output['text'][max(0, match.start() - 60):match.end() + 60]!r}")
            if re.search(r"\b(stderr|traceback|error)\b", output["classes"]):
                failures.add(name, f"a cell output is an error or stderr stream: {output['text'][:120]!r}")
        for text in found["emptyGlue"]:
            failures.add(name, f"a glued value renders empty in: {text!r}")
        if name == "search.html" and found["searchFields"] != 1:
            failures.add(name, f"{found['searchFields']} search fields visible, expected 1")
        if CHAPTER.match(name):
            chapters += 1
            check_exercise_links(book, path, found["links"], failures)
        for table in found["tables"]:
            if widest is None or table["natural"] > widest[1]:
                widest = (path, table["natural"], table["index"], table["column"], table["width"])
    if chapters == 0:
        failures.add(str(book), "no chapter pages found")
    check_course_archive(book, failures)
    if widest:
        path, natural, index, column, width = widest
        page.goto(path.as_uri(), wait_until="load")
        page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        # The sticky header and the skip link would cover the table's top in an element screenshot.
        page.add_style_tag(content=".bd-header, .bd-header-article, .skip-link { visibility: hidden; }")
        table = page.locator("article.bd-article table").nth(index)
        table.scroll_into_view_if_needed()
        table.screenshot(path=str(out / "widest_table.png"))
        print(f"widest table: {path.relative_to(book)}, table {index + 1}: {natural:.0f} px unwrapped, "
              f"{width:.0f} px as shown in a {column:.0f} px column")
    context.close()
    print(f"book: {len(pages)} pages, {chapters} chapters checked", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lab(root, settings, port, token):
    """JupyterLab on ``root``, private settings and workspaces, no news or update checks."""
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(settings.parent / "workspaces"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    log = open(root.parent / "lab.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
         "--ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--LabApp.expose_app_in_browser=True"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2)
            return process
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.5)
    process.terminate()
    raise RuntimeError(f"JupyterLab did not start; see {root.parent / 'lab.log'}")


KERNEL_IDLE = ("() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
               " const k = w && w.sessionContext && w.sessionContext.session"
               " && w.sessionContext.session.kernel; return !!k && k.status === 'idle'; }")


def move_slider_and_wait(page, scope, where, failures, key):
    """Move the first slider in ``scope`` to one end (``key``: "End" or "Home"); return seconds
    until its figure is redrawn."""
    image = f"{scope} .jp-OutputArea-output img"
    before = page.evaluate(f"() => {{ const i = document.querySelector({image!r}); return i && i.src; }}")
    if not before:
        failures.add(where, "no figure next to the sliders")
        return None
    handle = page.locator(f"{scope} .widget-slider .noUi-handle").first
    readout = page.locator(f"{scope} .widget-slider .widget-readout").first
    value = readout.inner_text()
    handle.focus()
    start = time.time()
    page.keyboard.press(key)
    try:
        page.wait_for_function(
            f"(before) => {{ const i = document.querySelector({image!r}); return i && i.src !== before; }}",
            arg=before, timeout=20000)
    except Exception:
        failures.add(where, f"moving the slider (readout {value} -> {readout.inner_text()}) did not redraw the figure")
        return None
    seconds = time.time() - start
    if readout.inner_text() == value:
        failures.add(where, f"the slider readout stayed at {value}")
    page.wait_for_function(KERNEL_IDLE, timeout=30000)
    page.wait_for_timeout(300)
    return seconds


def check_lecture(browser, lecture, out, failures):
    work = Path(tempfile.mkdtemp(prefix="descent-lab-"))
    root = work / "lectures"
    root.mkdir()
    shutil.copy(lecture, root / lecture.name)
    port, token = free_port(), os.urandom(8).hex()
    lab = start_lab(root, work / "settings", port, token)
    where = f"JupyterLab, {lecture.name}"
    try:
        page = browser.new_page(viewport=VIEWPORT)
        messages = []
        page.on("console", lambda m: m.type == "error" and messages.append(m.text))
        page.on("pageerror", lambda e: messages.append(f"uncaught: {e}"))
        page.goto(f"http://127.0.0.1:{port}/lab/tree/{lecture.name}?token={token}")
        page.wait_for_function(KERNEL_IDLE, timeout=90000)
        start = time.time()
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_selector(".widget-slider", state="attached", timeout=120000)
        page.wait_for_function(KERNEL_IDLE, timeout=180000)
        page.wait_for_timeout(500)
        print(f"{where}: Run All in {time.time() - start:.1f} s", flush=True)
        errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"], '
                              '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        for index in range(errors.count()):
            failures.add(where, f"an output is an error or stderr: {errors.nth(index).inner_text()[:200]!r}")
        instructor = page.evaluate("""() => ['nbgrader:open-formgrader', 'nbgrader:open-create-assignment',
            'nbgrader:open-course-list'].filter((c) => window.jupyterapp.commands.hasCommand(c))""")
        if instructor:
            failures.add(where, f"nbgrader's instructor menus are shown to students: {instructor}")
        sliders = page.locator(".jp-Cell .widget-slider").count()
        as_text = page.locator(".jp-OutputArea-output", has_text="interactive(children=").count()
        if sliders < 4 or as_text:
            failures.add(where, f"{sliders} sliders rendered, {as_text} widgets shown as text")
        page.evaluate("""() => document.querySelector('.jp-Notebook .jp-Cell:has(.widget-slider)')
            .setAttribute('data-browser-check', 'first-widget')""")
        scope = '[data-browser-check="first-widget"]'
        seconds = move_slider_and_wait(page, scope, f"{where}, notebook view", failures, "End")
        if seconds is not None:
            print(f"{where}, notebook view: figure redrawn {seconds:.2f} s after the slider moved")

        page.evaluate("() => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = 0; }")
        button = page.locator('.jp-NotebookPanel-toolbar [data-jp-item-name="deck"] button').first
        button.click()
        page.wait_for_selector(".jp-deck-mod-onscreen", timeout=10000)
        for _ in range(40):
            if page.locator(".jp-deck-mod-onscreen .widget-slider").count():
                break
            page.evaluate("() => window.jupyterapp.commands.execute('deck:forward')")
            page.wait_for_timeout(300)
        else:
            failures.add(f"{where}, slideshow", "no slide shows a slider")
            return
        page.wait_for_timeout(500)
        as_text = page.locator(".jp-deck-mod-onscreen", has_text="interactive(children=").count()
        if as_text:
            failures.add(f"{where}, slideshow", "the widget shows as text")
        seconds = move_slider_and_wait(page, ".jp-deck-mod-onscreen", f"{where}, slideshow", failures, "Home")
        if seconds is not None:
            print(f"{where}, slideshow: figure redrawn {seconds:.2f} s after the slider moved")
        page.wait_for_timeout(300)
        page.screenshot(path=str(out / "slide_after_slider.png"))
        for text in messages:
            failures.add(where, f"console error: {text[:200]}")
    finally:
        lab.terminate()
        try:
            lab.wait(timeout=20)
        except subprocess.TimeoutExpired:
            lab.kill()
        shutil.rmtree(work, ignore_errors=True)


SLIDES_STATE = """() => {
  const cells = {};
  document.querySelectorAll('[id^="cell-id="]').forEach((el) => {
    cells[el.id.slice(8)] = !!el.querySelector('.jp-InputArea-editor');
  });
  const outputs = Array.from(document.querySelectorAll('.jp-OutputArea')).map((el) => el.textContent);
  const requests = Array.from(document.querySelectorAll('script[src], link[href], img[src]'))
    .map((el) => el.getAttribute('src') || el.getAttribute('href'));
  return {slides: Reveal.getTotalSlides(), notes: document.querySelectorAll('aside.notes').length,
          widgets: document.querySelectorAll('.descent-widget-note').length, cells, outputs, requests};
}"""

# Go to the slide of the first frozen widget with all its fragments shown; describe its figure.
SHOW_FIRST_WIDGET = """() => {
  const note = document.querySelector('.descent-widget-note');
  const slide = note.closest('section');
  const where = Reveal.getIndices(slide);
  Reveal.slide(where.h, where.v, slide.querySelectorAll('.fragment').length - 1);
  const image = note.closest('.jp-OutputArea').querySelector('img');
  if (!image) return {title: slide.querySelector('h1, h2, h3')?.textContent, image: null};
  const box = image.getBoundingClientRect();
  const shown = Array.from(slide.querySelectorAll('.fragment')).every((f) => f.classList.contains('visible'));
  return {title: (slide.querySelector('h1, h2, h3') || {}).textContent, note: note.textContent,
          image: {width: image.naturalWidth, height: box.height, top: box.top, shown,
                  current: Reveal.getCurrentSlide() === slide}};
}"""


def check_slides(browser, slides, lecture, out, failures):
    """The lecture's static slides (``python -m descent.slides``) opened from disk with the network
    cut: no console error and no request off the disk, reveal.js and its notes plugin loaded from the
    folder, a figure where the live widget was, every speaker note in the page and in the speaker
    view (S), every hide-input cell without its input."""
    deck = slides / f"{lecture.stem}.html"
    where = f"static slides, {deck.name}"
    if not deck.exists():
        failures.add(where, f"missing: run python -m descent.slides lectures --out {slides}")
        return
    notebook = json.loads(lecture.read_text())
    notes = sum(c["metadata"].get("slideshow", {}).get("slide_type") == "notes" for c in notebook["cells"])
    shown = [c for c in notebook["cells"] if c["cell_type"] == "code"
             and c["metadata"].get("slideshow", {}).get("slide_type") != "skip"
             and "remove-cell" not in c["metadata"].get("tags", [])]
    hidden = [c["id"] for c in shown if {"hide-input", "remove-input"} & set(c["metadata"].get("tags", []))
              or c["metadata"].get("jupyter", {}).get("source_hidden")]
    context, page, network, messages = watched_page(browser, r"^(?!file:|data:|about:)")
    page.goto(deck.as_uri(), wait_until="load")
    try:
        page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=20000)
    except Exception:
        failures.add(where, "reveal.js did not start")
        context.close()
        return
    page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
    state = page.evaluate(SLIDES_STATE)
    for source in state["requests"]:
        if re.match(r"^[a-z]+:", source) and not source.startswith(("file:", "data:")):
            failures.add(where, f"links a file off the disk: {source[:120]}")
    for missing in ("reveal.js/dist/reveal.js", "reveal.js/plugin/notes/notes.js"):
        if missing not in state["requests"] or not (slides / missing).exists():
            failures.add(where, f"does not load {missing} from beside the page")
    if state["notes"] != notes:
        failures.add(where, f"{state['notes']} speaker notes in the page, the lecture has {notes}")
    for cell in hidden:
        if state["cells"].get(cell, True):
            failures.add(where, f"cell {cell} is tagged hide-input but its input shows (or it is missing)")
    for text in state["outputs"]:
        for what, pattern in FORBIDDEN_OUTPUT.items():
            match = pattern.search(text)
            if match:
                failures.add(where, f"an output shows a {what}: {text[max(0, match.start() - 60):match.end() + 60]!r}")
    if not state["widgets"]:
        failures.add(where, "no widget replaced by its figure")
    else:
        widget = page.evaluate(SHOW_FIRST_WIDGET)
        page.wait_for_timeout(800)
        image = widget["image"]
        if not image or image["width"] < 100 or image["height"] < 100 or not image["shown"] or not image["current"]:
            failures.add(where, f"the widget's slide ({widget['title']!r}) shows no figure: {image}")
        page.screenshot(path=str(out / "static_slide_widget.png"))
    if notes:
        # The speaker view (S) opens in a window of its own and shows the current slide's notes.
        page.evaluate("() => Reveal.slide(0, 0)")
        first = page.evaluate("() => { const n = Reveal.getSlideNotes(); return n ? n.replace(/<[^>]+>/g, '').trim() : ''; }")
        with context.expect_page(timeout=10000) as opened:
            page.keyboard.press("s")
        speaker = opened.value
        try:
            speaker.wait_for_function(
                "() => { const n = document.querySelector('.speaker-controls-notes .value');"
                " return n && n.textContent.trim().length > 0; }", timeout=15000)
            shown = speaker.evaluate("() => document.querySelector('.speaker-controls-notes .value').textContent.trim()")
            if first and first.split()[0] not in shown:
                failures.add(where, f"the speaker view shows {shown[:80]!r}, not the first slide's notes {first[:80]!r}")
            speaker.screenshot(path=str(out / "static_speaker_view.png"))
        except Exception as error:
            failures.add(where, f"the speaker view (S) shows no notes: {str(error).splitlines()[0]}")
        speaker.close()
    for text in messages:
        failures.add(where, f"console error: {text[:200]}")
    for url in network:
        failures.add(where, f"requests the network: {url[:120]}")
    context.close()
    print(f"{where}: {state['slides']} slides, {state['notes']} speaker notes, {state['widgets']} widgets "
          f"frozen to figures, {len(hidden)} hidden inputs", flush=True)


def main(argv=None):
    root = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path, default=root / "_build" / "html")
    parser.add_argument("--slides", type=Path, default=root / "_build" / "slides")
    parser.add_argument("--out", type=Path, default=root / "_build" / "browser")
    parser.add_argument("--lecture", default="02_gradient_descent")
    args = parser.parse_args(argv)
    if not (args.book / "index.html").exists():
        parser.error(f"no built book at {args.book}: run jupyter-book build . first")
    args.out.mkdir(parents=True, exist_ok=True)
    failures = Failures()
    start = time.time()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            check_book(browser, args.book.resolve(), args.out, failures)
            lecture = root / "lectures" / f"{args.lecture}.ipynb"
            check_lecture(browser, lecture, args.out, failures)
            check_slides(browser, args.slides.resolve(), lecture, args.out, failures)
        finally:
            browser.close()
    print(f"browser check: {len(failures)} failures in {time.time() - start:.0f} s; screenshots in {args.out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
