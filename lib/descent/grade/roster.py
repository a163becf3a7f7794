"""The class roster: who the students are, and which downloaded submission belongs to whom.

A roster is a CSV file (UTF-8, a byte-order mark allowed) with a header row. Columns, in any order:

==============  ========  =====================================================================
column          required  what it holds
==============  ========  =====================================================================
``student_id``  yes       the id written into grades.csv (unique)
``submission``  no [*]_   how the download names this student's file or folder (see below)
``canvas_id``   no [*]_   the Canvas user id (the "ID" column of a Canvas gradebook export)
``name``        no [*]_   the student's name ("Jane Doe")
``email``       no        the e-mail address (Moodle can match on it)
``sis_id``      no        the institution's id ("SIS User ID" in Canvas, "ID number" in Moodle)
``login_id``    no        the login ("SIS Login ID" in Canvas)
``section``     no        the section ("Section" in Canvas)
==============  ========  =====================================================================

.. [*] at least one of ``submission``, ``canvas_id`` and ``name``, to find the student's work.

Each submission has a *submission name*: its file name without ``.ipynb``, or its folder's name
(what grades.csv used as the student id before rosters). A roster row matches a submission when,
comparing without regard to case and runs of spaces, the first rule below that applies gives
exactly one row:

1. the row's ``submission`` is the whole submission name (``ann``, ``Jane Doe_12345_assign...``);
2. Canvas bulk downloads, named ``<name>[_LATE]_<user id>_<file id>_<file name>`` (for example
   ``doejane_12345_67890_backpropagation.ipynb``): the row's ``canvas_id``, or its
   ``submission``, is the user id (``12345``);
3. the same Canvas names: the row's ``submission`` is the name part (``doejane``);
4. Moodle downloads, named ``<full name>_<participant>_assignsubmission_file_`` (a folder) or
   ``<full name>_<participant>_assignsubmission_file_<file name>`` (for example
   ``Jane Doe_12345_assignsubmission_file_/backpropagation.ipynb``): the row's ``submission`` or
   its ``name`` is the full name (``Jane Doe``), or its ``submission`` is the participant number
   (Moodle numbers participants per assignment: prefer names there).

When a rule gives several rows (two students named Jane Doe), the submission is reported as
ambiguous rather than guessed. Canvas marks a late submission by ``_LATE`` in its name; that is
kept as a flag (:attr:`DownloadName.late`), since the name carries no time.
"""
import dataclasses
import re

from descent.grade.csvfile import read_lines

COLUMNS = ("student_id", "submission", "canvas_id", "name", "email", "sis_id", "login_id", "section")
REQUIRED = ("student_id",)
FINDERS = ("submission", "canvas_id", "name")

CANVAS = re.compile(r"^(?P<name>[^_]+?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<file>\d+)_(?P<rest>.+)$")
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<participant>\d+)_assign(?:submission|feedback)_[a-z]+_(?P<rest>.*)$")


class RosterError(ValueError):
    """The roster file cannot be used: the message names the file, the row and what is allowed."""


@dataclasses.dataclass(frozen=True)
class Student:
    """One row of the roster; ``row`` is its line number in the file (the header is line 1)."""

    student_id: str
    row: int
    submission: str = ""
    canvas_id: str = ""
    name: str = ""
    email: str = ""
    sis_id: str = ""
    login_id: str = ""
    section: str = ""


@dataclasses.dataclass(frozen=True)
class DownloadName:
    """What a learning platform's file name says: which platform, the keys it carries, and Canvas's LATE mark."""

    lms: str            # "canvas", "moodle" or "" (a plain name)
    keys: dict          # rule -> value, e.g. {"user": "12345", "name": "doejane"}
    late: bool = False


def parse_name(name):
    """Read a submission name as Canvas or Moodle write it; a plain name gives ``lms=""``.

    >>> parse_name("doejane_LATE_12345_67890_backpropagation").keys
    {'user': '12345', 'name': 'doejane'}
    """
    moodle = MOODLE.match(name)
    if moodle:
        return DownloadName("moodle", {"name": moodle["name"], "participant": moodle["participant"]})
    canvas = CANVAS.match(name)
    if canvas:
        return DownloadName("canvas", {"user": canvas["user"], "name": canvas["name"]}, bool(canvas["late"]))
    return DownloadName("", {})


def key(text):
    """Compare names without regard to case or runs of spaces."""
    return " ".join(str(text).split()).casefold()


def load(path):
    """The roster in ``path`` as a list of :class:`Student`; raise RosterError on any problem."""
    lines = read_lines(path, "roster", RosterError)
    allowed = ", ".join(COLUMNS)
    if not lines:
        raise RosterError(f"roster {path}: the file is empty; expected a header row with the columns "
                          f"student_id and submission (allowed: {allowed})")
    header = [column.strip().lower() for column in lines[0]]
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        raise RosterError(f"roster {path}, row 1: unknown column {unknown[0]!r}; allowed: {allowed}")
    repeated = [c for c in header if header.count(c) > 1]
    if repeated:
        raise RosterError(f"roster {path}, row 1: the column {repeated[0]!r} appears twice")
    for column in REQUIRED:
        if column not in header:
            raise RosterError(f"roster {path}, row 1: the column {column!r} is missing; the header must "
                              f"name student_id and at least one of {', '.join(FINDERS)} (allowed: {allowed})")
    if not any(c in header for c in FINDERS):
        raise RosterError(f"roster {path}, row 1: no column to find a student's submission by; "
                          f"add one of {', '.join(FINDERS)} (allowed: {allowed})")
    students, seen = [], {}
    for number, line in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in line):
            continue
        if len(line) != len(header):
            raise RosterError(f"roster {path}, row {number}: {len(line)} fields where the header has "
                              f"{len(header)} ({', '.join(header)})")
        values = {c: v.strip() for c, v in zip(header, line)}
        student = Student(row=number, **values)
        if not student.student_id:
            raise RosterError(f"roster {path}, row {number}: student_id is empty; every row needs one")
        if not any(getattr(student, c) for c in FINDERS):
            raise RosterError(f"roster {path}, row {number}: {', '.join(c for c in FINDERS if c in header)} "
                              f"all empty; the row cannot be matched to a submission")
        if student.student_id in seen:
            raise RosterError(f"roster {path}, row {number}: student_id {student.student_id!r} is already "
                              f"used in row {seen[student.student_id]}; ids must be unique")
        seen[student.student_id] = number
        students.append(student)
    if not students:
        raise RosterError(f"roster {path}: no student rows under the header")
    return students


def rules(name):
    """For a submission name, the list of (roster columns, value) to try in order, one list per rule."""
    parsed = parse_name(name)
    found = [[(("submission",), name)]]
    if parsed.lms == "canvas":
        found.append([(("canvas_id", "submission"), parsed.keys["user"])])
        found.append([(("submission",), parsed.keys["name"])])
    if parsed.lms == "moodle":
        found.append([(("submission", "name"), parsed.keys["name"]),
                      (("submission",), parsed.keys["participant"])])
    return found


def find(students, name):
    """The roster row for a submission name: (Student or None, why not as text or "")."""
    for rule in rules(name):
        rows = {s.student_id: s for columns, value in rule for s in students
                if any(getattr(s, c) and key(getattr(s, c)) == key(value) for c in columns)}
        if len(rows) == 1:
            return next(iter(rows.values())), ""
        if len(rows) > 1:
            lines = ", ".join(f"{s.student_id} (row {s.row})" for s in rows.values())
            return None, f"matches several roster rows: {lines}"
    return None, "has no row in the roster"
