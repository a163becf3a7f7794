"""Sphinx extension for the Descent book: what the site offers depends on one setting.

- ``repository.url`` in ``_config.yml`` is the only place the course's repository is named. When
  it is empty, the book shows no repository, issue or launch buttons (they would point nowhere);
  when it is set, they appear.
- The built site carries the course itself, ``descent-course.zip`` (the library, the exercises and
  the lectures, with the files that install them), so a reader of the offline book can work the
  graded exercises without any other download.
- A graded exercise downloaded from a chapter page starts with a setup cell: opened outside the
  course folder (on its own, in Colab), it installs ``descent`` from the repository when
  ``repository.url`` is set, and otherwise stops with a message that says how to get the course.
  Inside the course folder, and in the grader's sandbox, the library is found and the cell does
  nothing.
- Each page loads each inline script once (sphinx-thebe's configuration script otherwise appears
  twice and the browser reports ``THEBE_JS_URL`` as declared twice).
- The bibliography labels its entries as the text cites them, "Armijo 1966", "Kingma and Ba 2015",
  "Goyal et al. 2017" (the ``authoryear`` pybtex style, selected in ``_config.yml``).
"""
import json
import string
import zipfile
from collections import Counter
from pathlib import Path

from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle

COURSE_ARCHIVE = "descent-course.zip"
# What a student needs to install the library and open the exercises and the lectures.
COURSE_FILES = ["README.md", "SYLLABUS.md", "LICENSE", "pyproject.toml", "requirements.txt",
                "requirements-lock.txt", "lib", "exercises", "lectures"]
REPOSITORY_BUTTONS = ("use_repository_button", "use_issues_button")


def configure_buttons(app, config):
    """Repository, issue and launch buttons only when ``repository.url`` is set; the light or dark
    theme as the reader's system prefers."""
    options = config.html_theme_options
    # Without a default the theme logs "Got invalid theme mode" on a reader's first page.
    config.html_context = {"default_mode": "auto", **config.html_context}
    has_repository = bool(str(options.get("repository_url") or "").strip())
    for button in REPOSITORY_BUTTONS:
        options[button] = has_repository
    if not has_repository:
        options.pop("launch_buttons", None)
        options.pop("repository_url", None)


def _course_files(root):
    for name in COURSE_FILES:
        path = root / name
        if path.is_file():
            yield path
        elif path.is_dir():
            for file in sorted(path.rglob("*")):
                parts = set(file.relative_to(root).parts)
                if file.is_file() and not parts & {"__pycache__", ".ipynb_checkpoints"} \
                        and not file.name.endswith((".pyc", ".egg-info")) \
                        and not any(p.endswith(".egg-info") for p in parts):
                    yield file


def write_course_archive(app):
    """Zip the course into a folder that the HTML builder copies to the site's root."""
    root = Path(app.srcdir)
    extra = Path(app.outdir).parent / "course_archive"
    extra.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(extra / COURSE_ARCHIVE, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in _course_files(root):
            archive.write(file, Path("descent") / file.relative_to(root))
    app.config.html_extra_path = [*app.config.html_extra_path, str(extra)]


SETUP_CELL_ID = "descent-setup"
SETUP_INTRO = """# Setup: this notebook needs the course's library, `descent`. Inside the course folder it is
# installed already and this cell does nothing; opened on its own (a download, Colab),"""


def setup_cell_source(repository_url, branch="main"):
    """The first cell of a downloaded exercise: install ``descent`` from the repository when the
    library is missing (or say how to get the course when no repository is configured)."""
    url = str(repository_url or "").strip().rstrip("/")
    if url:
        requirement = f"descent[plot] @ git+{url.removesuffix('.git')}.git@{branch}"
        return (SETUP_INTRO + "\n# it installs it from the course's repository.\n"
                "import importlib\nimport importlib.util\nimport subprocess\nimport sys\n\n"
                'if importlib.util.find_spec("descent") is None:\n'
                f"    subprocess.check_call([sys.executable, '-m', 'pip', 'install', '-q', {requirement!r}])\n"
                "    importlib.invalidate_caches()\n")
    return (SETUP_INTRO + "\n# it says how to get the course.\n"
            "import importlib.util\n\n"
            'if importlib.util.find_spec("descent") is None:\n'
            "    raise ModuleNotFoundError(\n"
            "        \"This notebook needs the course's library, descent. Download descent-course.zip from the \"\n"
            "        \"book's page 'Working the exercises', unzip it, install it with the two commands on that \"\n"
            "        \"page, and open this notebook from the course's exercises/ folder.\")\n")


def add_setup_cells(app, exception):
    """Put the setup cell first in every notebook the site offers as a download."""
    downloads = Path(app.outdir) / "_downloads"
    if exception is not None or not downloads.is_dir():
        return
    options = app.config.html_theme_options
    source = setup_cell_source(options.get("repository_url"), options.get("repository_branch") or "main")
    for path in sorted(downloads.rglob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = [c for c in nb["cells"] if c.get("id") != SETUP_CELL_ID]
        cell = {"cell_type": "code", "execution_count": None, "id": SETUP_CELL_ID, "metadata": {},
                "outputs": [], "source": source.splitlines(keepends=True)}
        nb["cells"] = [cell, *cells]
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def load_inline_scripts_once(app, pagename, templatename, context, doctree):
    """Drop a second copy of an inline script (same body) from the page."""
    seen, unique = set(), []
    for script in context.get("script_files", []):
        body = getattr(script, "attributes", {}).get("body")
        if body:
            if body in seen:
                continue
            seen.add(body)
        unique.append(script)
    context["script_files"] = unique


def _surname(person):
    return str(Text.from_latex(" ".join(person.prelast_names + person.last_names)))


def author_year(entry):
    """"Armijo 1966", "Kingma and Ba 2015", "Goyal et al. 2017"."""
    authors = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_surname(person) for person in authors]
    if len(names) > 2 or "others" in names:       # "and others" in the .bib: et al.
        who = f"{names[0]} et al."
    else:
        who = " and ".join(names) or entry.key
    return f"{who} {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabels(BaseLabelStyle):
    """Author-year labels; two entries with the same label get a, b, … after the year."""

    def format_labels(self, sorted_entries):
        labels = [author_year(entry) for entry in sorted_entries]
        repeated, seen = Counter(labels), Counter()
        for label in labels:
            if repeated[label] > 1:
                seen[label] += 1
                label += string.ascii_lowercase[seen[label] - 1]
            yield label


class AuthorYearStyle(UnsrtStyle):
    default_label_style = AuthorYearLabels
    default_sorting_style = "author_year_title"


register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)


def setup(app):
    app.connect("config-inited", configure_buttons)
    app.connect("builder-inited", write_course_archive)
    app.connect("html-page-context", load_inline_scripts_once)
    app.connect("build-finished", add_setup_cells)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
