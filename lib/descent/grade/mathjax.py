"""Feedback pages that show their math offline: MathJax served from the feedback folder.

nbconvert's pages load MathJax 2.7.7 from a CDN, so a page opened offline shows raw ``$…$``.
The book ships MathJax 3 through ``sphinx-mathjax-offline``; the grading run copies the parts a
page needs (``tex-chtml.js``, the TeX extensions it loads on demand and its web fonts, about
2 MB) into ``feedback/mathjax/`` and points every page at it.
"""
import os
import re
import shutil
import sys

PACKAGE = os.path.join("sphinx-mathjax-offline", "static", "mathjax")
PARTS = ["tex-chtml.js", os.path.join("input", "tex", "extensions"), os.path.join("output", "chtml", "fonts", "woff-v2")]
FOLDER = "mathjax"

# nbconvert's block, from its "Load mathjax" comment to the end of its configuration.
NBCONVERT_BLOCK = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.DOTALL)
LOCAL_BLOCK = """<!-- MathJax 3, served from the feedback folder -->
<script>
window.MathJax = {tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']], displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']],
                        processEscapes: true, processEnvironments: true, tags: 'ams'},
                  options: {enableMenu: false}};
</script>
<script id="MathJax-script" async src="mathjax/tex-chtml.js"></script>"""


def source():
    """The folder of MathJax 3 installed with sphinx-mathjax-offline, or None."""
    for folder in sys.path:
        candidate = os.path.join(folder or ".", PACKAGE)
        if os.path.isfile(os.path.join(candidate, "tex-chtml.js")):
            return candidate
    return None


def install(feedback_folder):
    """Copy MathJax next to the feedback pages; return False (pages keep the CDN) if it is not installed."""
    found = source()
    if found is None:
        return False
    target = os.path.join(feedback_folder, FOLDER)
    for part in PARTS:
        origin, destination = os.path.join(found, part), os.path.join(target, part)
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        if os.path.isdir(origin):
            shutil.copytree(origin, destination, dirs_exist_ok=True)
        else:
            shutil.copyfile(origin, destination)
    return True


def localize(page):
    """The page with nbconvert's CDN MathJax replaced by the local copy."""
    return NBCONVERT_BLOCK.sub(lambda _: LOCAL_BLOCK, page, count=1)
