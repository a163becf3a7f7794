"""When each submission was handed in, where that time comes from, and how many days late it is.

Sources, in this order (the first that gives a time wins; ``time_source`` in grades.csv says which):

1. ``timestamp.txt``: nbgrader's exchange writes it beside a submission when a student submits,
   and ``nbgrader collect`` copies it into ``submitted/<student>/<assignment>/``; it is looked
   for in the submission's folder and below it.
2. ``--times FILE``: a CSV file with a column ``submitted`` (ISO 8601) and a column
   ``submission`` (the submission name) or ``student_id`` (the roster's id).
3. The notebook's modification time (the latest, for several notebooks). A file downloaded from
   a learning platform may carry the time of the download or of unzipping, not of submission.

Canvas's ``_LATE`` mark in a file name is not a time: it is reported beside (``lms_late``).
No late penalty is applied unless asked for (``--late-penalty PERCENT``, :func:`after_penalty`).

Times without a time zone are taken as UTC. Late days count the days started after the due
time: ``late_days = ceil((submitted - due) / 1 day)`` when submitted after due, else 0, so one
second late is 1 day and exactly 24 hours late is still 1.
"""
import dataclasses
import datetime
import math
import os

import dateutil.tz
from nbgrader.utils import parse_utc

from descent.grade.csvfile import read_lines

UTC = datetime.timezone.utc
DAY = datetime.timedelta(days=1)
SOURCES = {"timestamp": "nbgrader timestamp.txt", "times": "times file", "mtime": "file modified"}


class TimeError(ValueError):
    """A time that cannot be read: the message names where it came from and the format allowed."""


@dataclasses.dataclass(frozen=True)
class Timing:
    """When a submission was handed in (aware, UTC), from which source, and its late days (None without a due time)."""

    submitted: datetime.datetime = None
    source: str = ""
    late_days: int = None
    problem: str = ""       # a source that was there but could not be read


def parse(text, where):
    """An ISO 8601 date and time as an aware UTC datetime; without a time zone, UTC is assumed."""
    try:
        moment = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        raise TimeError(f"{where}: {text!r} is not an ISO 8601 date and time; write for example "
                        "2026-10-02T23:59:00-07:00, or 2026-10-03T06:59Z (without a time zone, UTC is assumed)") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def late_days(submitted, due):
    """Days started after ``due``: 0 when on time, 1 for one second up to 24 hours late, and so on
    (None when either time is unknown)."""
    if due is None or submitted is None:
        return None
    return max(0, math.ceil((submitted - due) / DAY))


def after_penalty(total, days, percent):
    """The points left after a late penalty of ``percent`` of the earned points per late day:
    ``total * max(0, 1 - percent / 100 * days)``, rounded to hundredths (None when ``total`` is)."""
    if total is None:
        return None
    return round(total * max(0.0, 1.0 - percent / 100.0 * (days or 0)), 2)


def read_times(path):
    """``--times FILE``: {submission name or student id: aware UTC datetime}; raise TimeError on any problem."""
    lines = read_lines(path, "times file", TimeError)
    header = [c.strip().lower() for c in (lines[0] if lines else [])]
    ids = [header.index(c) for c in ("submission", "student_id") if c in header]
    if "submitted" not in header or not ids:
        raise TimeError(f"times file {path}, row 1: the header must name 'submitted' and 'submission' "
                        f"or 'student_id'; it has {', '.join(header) or 'nothing'}")
    at = header.index("submitted")
    times = {}
    for number, line in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in line):
            continue
        if len(line) != len(header):
            raise TimeError(f"times file {path}, row {number}: {len(line)} fields where the header has {len(header)}")
        who = next((line[k].strip() for k in ids if line[k].strip()), "")
        if not who:
            raise TimeError(f"times file {path}, row {number}: no submission name or student_id")
        times[who] = parse(line[at], f"times file {path}, row {number}")
    return times


def nbgrader_timestamp(path):
    """The time in the first ``timestamp.txt`` at or below the submission's folder, or None.

    nbgrader writes ``%Y-%m-%d %H:%M:%S.%f %Z`` in its exchange's time zone (UTC unless
    ``c.Exchange.timezone`` says otherwise); a zone abbreviation this machine cannot resolve
    ("PDT") raises TimeError rather than being read as UTC.
    """
    if not os.path.isdir(path):
        return None
    for here, _, files in sorted(os.walk(path)):   # a folder sorts before the folders in it
        if "timestamp.txt" in files:
            where = os.path.join(here, "timestamp.txt")
            with open(where, encoding="utf-8", errors="replace") as f:
                text = f.read().strip()
            parts = text.split(" ")
            if len(parts) == 3 and dateutil.tz.gettz(parts[2]) is None:
                raise TimeError(f"{where}: the time zone {parts[2]!r} of {text!r} is not one this machine knows; "
                                "nbgrader's exchange writes UTC unless c.Exchange.timezone is set")
            try:
                return parse_utc(text).replace(tzinfo=UTC)
            except (ValueError, OverflowError):
                raise TimeError(f"{where}: {text!r} is not a time nbgrader writes "
                                "(such as 2026-10-03 06:59:00.000000 UTC)") from None
    return None


def timing(path, files, names, times, due):
    """The Timing of one submission: its folder or file ``path``, its notebook ``files``, the keys it is
    known by in ``--times`` (``names``), the times read from that file, and the due time (or None)."""
    problem = ""
    try:
        submitted, source = nbgrader_timestamp(path), "timestamp"
    except TimeError as error:
        submitted, problem = None, f"{error}; the next source was used."
    if submitted is None:
        submitted, source = next((times[n] for n in names if n in times), None), "times"
    if submitted is None and files:
        seconds = max(os.stat(p).st_mtime for p in files)
        submitted, source = datetime.datetime.fromtimestamp(seconds, UTC), "mtime"
    if submitted is None:
        return Timing(problem=problem)
    return Timing(submitted, SOURCES[source], late_days(submitted, due), problem)


def iso(moment):
    """A time as grades.csv writes it: ISO 8601 in UTC, to the second, ending in Z."""
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
