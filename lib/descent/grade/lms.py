"""Grade files a learning platform imports: ``canvas.csv`` and ``moodle.csv``, one row per rostered student graded.

**Canvas** (Grades → Import): the layout of Canvas's own gradebook export, which its importer
reads back. The header is ``Student, ID, SIS User ID, SIS Login ID, Section``, then one column
per assignment named ``Title (assignment id)``; a second row ``Points Possible`` gives the
assignment's points. Canvas finds the student by ``ID`` (the Canvas user id), else by ``SIS User
ID``, else by ``SIS Login ID``, else by the name in ``Student``; it finds the assignment by the
id in parentheses, else by its title, else creates a new assignment of that title.

**Moodle** (Grades → Import → CSV file): any header row; on the import page the teacher maps one
column to the user ("Email address" to "Email address", or "ID number" to "ID number") and the
grade column to a grade item. The file has ``Full name, Email address, ID number``, then one
column named by the assignment's title.

Both files hold the total score in points (after the late penalty, when one is asked for). Students without a submission are left out of both
(the platform keeps what it has), and so are submissions that no roster row claims: the command's
summary and grades.csv name them.
"""
import csv
import dataclasses
import io
import os

from descent.grade.report import atomic_write, number
from descent.grade.timing import after_penalty

CANVAS_STUDENT = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_STUDENT = ("Full name", "Email address", "ID number")


def canvas_title(title, assignment_id=None):
    """The header of an assignment's column in Canvas: ``Title (id)``, or the bare title without an id."""
    return f"{title} ({assignment_id})" if assignment_id else title


def canvas(rows, title, maximum, assignment_id=None):
    """The text of canvas.csv for the rostered rows (each with ``.person`` and ``.total``)."""
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow([*CANVAS_STUDENT, canvas_title(title, assignment_id)])
    writer.writerow(["Points Possible", "", "", "", "", number(maximum)])
    for r in rows:
        p = r.person
        writer.writerow([p.name or p.student_id, p.canvas_id, p.sis_id, p.login_id, p.section, number(r.total)])
    return table.getvalue()


def moodle(rows, title):
    """The text of moodle.csv for the rostered rows (each with ``.person`` and ``.total``)."""
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow([*MOODLE_STUDENT, title])
    for r in rows:
        p = r.person
        writer.writerow([p.name or p.student_id, p.email, p.sis_id, number(r.total)])
    return table.getvalue()


def unidentifiable(rows):
    """Warnings for students each platform could only find by name (no id it can match on)."""
    warnings = []
    by_name = [r.person.student_id for r in rows if not (r.person.canvas_id or r.person.sis_id or r.person.login_id)]
    if by_name:
        warnings.append(f"canvas.csv: {len(by_name)} students have no canvas_id, sis_id or login_id; Canvas "
                        f"will match them by name only ({', '.join(by_name[:5])}{' …' if len(by_name) > 5 else ''})")
    no_key = [r.person.student_id for r in rows if not (r.person.email or r.person.sis_id)]
    if no_key:
        warnings.append(f"moodle.csv: {len(no_key)} students have no email or sis_id, so Moodle cannot "
                        f"match them ({', '.join(no_key[:5])}{' …' if len(no_key) > 5 else ''})")
    return warnings


def write(out, rows, title, maximum, canvas_id=None, penalty=None):
    """Write canvas.csv and moodle.csv into ``out`` for the rows that have a roster entry; return warnings.
    ``penalty``: percent of the earned points taken per late day (the files then hold what is left)."""
    rostered = sorted((r for r in rows if r.person is not None and r.total is not None),
                      key=lambda r: r.person.student_id)
    if penalty is not None:
        rostered = [dataclasses.replace(r, total=after_penalty(r.total, r.timing.late_days, penalty)) for r in rostered]
    atomic_write(os.path.join(out, "canvas.csv"), canvas(rostered, title, maximum, canvas_id))
    atomic_write(os.path.join(out, "moodle.csv"), moodle(rostered, title))
    return unidentifiable(rostered)
