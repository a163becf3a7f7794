"""Sphinx extension for the Descent book: what the site offers depends on one setting.

- ``repository.url`` in ``_config.yml`` is the only place the course's repository is named. When
  it is empty, the book shows no repository, issue or launch buttons (they would point nowhere);
  when it is set, they appear.
- The built site carries the course itself, ``descent-course.zip`` (the library, the exercises and
  the lectures, with the files that install them), so a reader of the offline book can work the
  graded exercises without any other download.
- Each page loads each inline script once (sphinx-thebe's configuration script otherwise appears
  twice and the browser reports ``THEBE_JS_URL`` as declared twice).
- The bibliography labels its entries as the text cites them, "Armijo 1966", "Kingma and Ba 2015",
  "Goyal et al. 2017" (the ``authoryear`` pybtex style, selected in ``_config.yml``).
"""
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
COURSE_FILES = ["README.md", "LICENSE", "pyproject.toml", "requirements.txt", "requirements-lock.txt",
                "lib", "exercises", "lectures"]
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
    return {"parallel_read_safe": True, "parallel_write_safe": True}
