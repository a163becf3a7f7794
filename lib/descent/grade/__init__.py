"""Grade a folder of submitted notebooks with nbgrader: grades, feedback, and a note on each mishap.

From the command line (or ``descent-grade``)::

    python -m descent.grade 01_backpropagation downloads/ --out grades/

and from Python::

    from descent.grade import grade, Limits
    result = grade("01_backpropagation", "downloads/", "grades/", Limits(timeout=60))

This package stands apart from the rest of ``descent``: it needs nbgrader and the standard
library only, and it never imports the course's code (the notebooks it grades do).
"""
from descent.grade.batch import BrokenEnvironment, Limits, Result, grade

__all__ = ["grade", "Limits", "Result", "BrokenEnvironment"]
