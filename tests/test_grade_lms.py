"""descent-grade with a class: the roster, the files Canvas and Moodle import, submission times and late days.

One small graded run (four notebooks of the two-task ``squares`` assignment, downloaded as Canvas,
Moodle, nbgrader's exchange and a plain name would give them) backs the end-to-end tests; the
name rules, the roster's errors and the late-day arithmetic are tested on their own.
"""
import contextlib
import csv
import datetime
import io
import os

import pytest

import fabricate as fab
from descent.grade import lms, report, roster, timing
from descent.grade.__main__ import main

R = fab.RIGHT
WRONG_SQUARE = {**R, "square": "def square(x):\n    return 2 * x"}
UTC = datetime.timezone.utc
DUE = "2026-10-02T23:59:00-07:00"          # 2026-10-03T06:59:00Z
DUE_UTC = datetime.datetime(2026, 10, 3, 6, 59, tzinfo=UTC)

ROSTER = """\
student_id,submission,canvas_id,name,email,sis_id,login_id,section
s1001,,12345,"Doe, Jane",jane@uni.example,SIS1001,jdoe,Lab A
s1002,roeben,,Ben Roe,ben@uni.example,SIS1002,broe,Lab B
s1003,,,Cat Smith,cat@uni.example,,,Lab A
s1004,dan,,Dan Wu,dan@uni.example,SIS1004,dwu,Lab B
s1005,eve,,Eve Li,eve@uni.example,SIS1005,eli,Lab A
"""


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def stamp(path, moment):
    os.utime(path, (moment.timestamp(), moment.timestamp()))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade a class downloaded from several platforms, with a roster, a due time and a times file."""
    root = tmp_path_factory.mktemp("class")
    source = fab.course(str(root))
    released = fab.release(str(root))
    downloads = root / "downloads"
    # Canvas: on time by its file time, 2 hours before the due time
    jane = fab.write(fab.answer(released, R), str(downloads / "doejane_12345_67890_squares.ipynb"))
    stamp(jane, DUE_UTC - datetime.timedelta(hours=2))
    # Canvas, marked LATE; its time comes from the times file: 25 hours late, so 2 days
    ben = fab.write(fab.answer(released, WRONG_SQUARE), str(downloads / "roeben_LATE_23456_67891_squares.ipynb"))
    stamp(ben, DUE_UTC + datetime.timedelta(days=30))
    # Moodle, in a folder of its own, by the file's time: one second late
    cat = fab.write(fab.answer(released, R), str(downloads / "Cat Smith_555_assignsubmission_file_" / "squares.ipynb"))
    stamp(cat, DUE_UTC + datetime.timedelta(seconds=1))
    # collected from nbgrader's exchange: timestamp.txt wins over the file's time; 24 hours late is 1 day
    dan = fab.write(fab.answer(released, R), str(downloads / "dan" / "squares" / "squares.ipynb"))
    write(str(downloads / "dan" / "squares" / "timestamp.txt"), "2026-10-04 06:59:00.000000 UTC")
    stamp(dan, DUE_UTC + datetime.timedelta(days=9))
    # nobody on the roster (and not a notebook, which costs no grading time)
    write(str(downloads / "stranger.ipynb"), "{}")
    roster_file = write(str(root / "roster.csv"), ROSTER)
    times = write(str(root / "times.csv"), "student_id,submitted\ns1002,2026-10-04T07:59:00Z\n")
    out = root / "out"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()):
        code = main([source, str(downloads), "--out", str(out), "--timeout", "5", "--jobs", "2",
                     "--roster", roster_file, "--due", DUE, "--times", times,
                     "--title", "Squares", "--canvas-id", "4321"])
    grades = read_csv(out / "grades.csv")
    return {"code": code, "printed": printed.getvalue(), "out": out, "header": grades[0],
            "rows": {r[0]: dict(zip(grades[0], r)) for r in grades[1:]}}


def test_the_run_succeeds_and_every_student_and_submission_has_a_row(graded):
    assert graded["code"] == 0, graded["printed"]
    assert sorted(graded["rows"]) == ["s1001", "s1002", "s1003", "s1004", "s1005", "stranger"]


def test_grades_name_rows_by_roster_id_and_keep_the_download_name(graded):
    assert graded["header"] == ["student_id", "test_square", "test_mean", "total", "max", "to_grade_by_hand", "submission",
                                "roster", "submitted", "time_source", "late_days", "lms_late"]
    rows = graded["rows"]
    assert rows["s1001"]["submission"] == "doejane_12345_67890_squares" and rows["s1001"]["total"] == "5"
    assert rows["s1002"]["submission"] == "roeben_LATE_23456_67891_squares" and rows["s1002"]["total"] == "3"
    assert rows["s1003"]["submission"] == "Cat Smith_555_assignsubmission_file_"
    assert rows["s1004"]["submission"] == "dan"
    assert {r["roster"] for k, r in rows.items() if k.startswith("s1") and k != "s1005"} == {"matched"}


def test_missing_students_and_unknown_submissions_are_reported_not_dropped(graded):
    rows = graded["rows"]
    assert rows["s1005"]["roster"] == "no submission"
    assert [rows["s1005"][c] for c in ("test_square", "test_mean", "total", "max", "submitted")] == ["", "", "", "5", ""]
    assert rows["stranger"]["roster"] == "not in roster" and rows["stranger"]["total"] == "0"
    printed = graded["printed"]
    assert ("roster: 4 matched, 1 rostered students without a submission, 1 submissions not in the roster, "
            "0 submissions that claim one student") in printed
    assert "  no submission: s1005" in printed
    assert "  not in roster: stranger" in printed
    notes = {r[0]: r for r in read_csv(graded["out"] / "notes.csv")}
    assert notes["s1005"][1] == "not submitted" and "No submission" in notes["s1005"][2]
    assert notes["stranger"][1] == "not graded" and "'stranger' has no row in the roster" in notes["stranger"][2]
    feedback = sorted(os.listdir(graded["out"] / "feedback"))
    assert "s1001.html" in feedback and "stranger.html" in feedback and "s1005.html" not in feedback


def test_submission_times_come_from_the_first_source_that_has_one(graded):
    rows = graded["rows"]
    assert (rows["s1001"]["submitted"], rows["s1001"]["time_source"]) == ("2026-10-03T04:59:00Z", "file modified")
    assert (rows["s1002"]["submitted"], rows["s1002"]["time_source"]) == ("2026-10-04T07:59:00Z", "times file")
    assert (rows["s1003"]["submitted"], rows["s1003"]["time_source"]) == ("2026-10-03T06:59:01Z", "file modified")
    assert (rows["s1004"]["submitted"], rows["s1004"]["time_source"]) == ("2026-10-04T06:59:00Z",
                                                                          "nbgrader timestamp.txt")


def test_late_days_count_the_days_started_after_the_due_time(graded):
    rows = graded["rows"]
    assert {k: rows[k]["late_days"] for k in rows} == {"s1001": "0", "s1002": "2", "s1003": "1", "s1004": "1",
                                                       "s1005": "", "stranger": rows["stranger"]["late_days"]}
    assert rows["s1002"]["lms_late"] == "yes" and rows["s1001"]["lms_late"] == ""
    assert "due 2026-10-03T06:59:00Z: " in graded["printed"]
    assert "submission times from file modified (3), times file (1), nbgrader timestamp.txt (1)" in graded["printed"]
    assert "may be when it was downloaded or unzipped" in graded["printed"]
    assert "marked late by Canvas (_LATE in the file name): s1002" in graded["printed"]
    assert "no late penalty applied" in graded["printed"]


def test_the_canvas_file_has_canvas_s_columns_and_one_row_per_graded_rostered_student(graded):
    assert read_csv(graded["out"] / "canvas.csv") == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Squares (4321)"],
        ["Points Possible", "", "", "", "", "5"],
        ["Doe, Jane", "12345", "SIS1001", "jdoe", "Lab A", "5"],
        ["Ben Roe", "", "SIS1002", "broe", "Lab B", "3"],
        ["Cat Smith", "", "", "", "Lab A", "5"],
        ["Dan Wu", "", "SIS1004", "dwu", "Lab B", "5"],
    ]


def test_the_moodle_file_has_an_email_and_an_id_number_column_to_map_and_the_grade(graded):
    assert read_csv(graded["out"] / "moodle.csv") == [
        ["Full name", "Email address", "ID number", "Squares"],
        ["Doe, Jane", "jane@uni.example", "SIS1001", "5"],
        ["Ben Roe", "ben@uni.example", "SIS1002", "3"],
        ["Cat Smith", "cat@uni.example", "", "5"],
        ["Dan Wu", "dan@uni.example", "SIS1004", "5"],
    ]
    assert "canvas.csv: 1 students have no canvas_id, sis_id or login_id; Canvas will match them by name only " \
           "(s1003)" in graded["printed"]


# The parts, on their own (nothing is graded).

STUDENTS = [roster.Student("s1", 2, canvas_id="12345"),
            roster.Student("s2", 3, submission="roeben"),
            roster.Student("s3", 4, name="Jane Doe"),
            roster.Student("s4", 5, submission="ann"),
            roster.Student("s5", 6, name="Sam Kim"),
            roster.Student("s6", 7, name="Sam  kim", submission="777")]


@pytest.mark.parametrize("name, student", [
    ("ann", "s4"),
    ("ANN", "s4"),
    ("doejane_12345_67890_backpropagation", "s1"),             # Canvas: the user id
    ("doejane_LATE_12345_67890_backpropagation-1", "s1"),      # Canvas, late and resubmitted
    ("roeben_23456_67891_backpropagation", "s2"),              # Canvas: the name part
    ("Jane Doe_12345_assignsubmission_file_", "s3"),            # Moodle folder: the full name
    ("jane doe_99_assignsubmission_file_backpropagation", "s3"),  # Moodle without folders
    ("Someone_777_assignsubmission_file_", "s6"),              # Moodle: the participant number
])
def test_download_names_map_to_roster_rows(name, student):
    found, why = roster.find(STUDENTS, name)
    assert found is not None and found.student_id == student, why


def test_a_name_two_rows_share_is_ambiguous_and_an_unknown_name_is_unmatched():
    found, why = roster.find(STUDENTS, "Sam Kim_12_assignsubmission_file_")
    assert found is None and "several roster rows" in why and "s5 (row 6)" in why and "s6 (row 7)" in why
    assert roster.find(STUDENTS, "zed_99999_1_backpropagation") == (None, "has no row in the roster")
    assert roster.find(STUDENTS, "bob") == (None, "has no row in the roster")


def test_canvas_marks_late_names_and_plain_names_are_not_read_as_a_platform_s():
    assert roster.parse_name("doejane_LATE_12345_67890_backpropagation").late
    assert not roster.parse_name("doejane_12345_67890_backpropagation").late
    assert roster.parse_name("my_notebook_v2").lms == "" and roster.parse_name("ann").keys == {}


def test_a_roster_loads_with_a_byte_order_mark_spaces_and_blank_lines(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes("\ufeffStudent_ID , Submission\n s1 , ann \n\n".encode("utf-8"))
    assert roster.load(str(path)) == [roster.Student("s1", 2, submission="ann")]


@pytest.mark.parametrize("text, words", [
    ("submission,name\nann,Ann\n", ["row 1", "'student_id' is missing", "allowed: student_id, submission"]),
    ("student_id,submission,grade\ns1,ann,3\n", ["row 1", "unknown column 'grade'", "allowed:"]),
    ("student_id,email\ns1,a@b\n", ["row 1", "no column to find a student's submission", "submission, canvas_id, name"]),
    ("student_id,submission\ns1,ann\ns1,ben\n", ["row 3", "'s1' is already used in row 2", "unique"]),
    ("student_id,submission\n,ann\n", ["row 2", "student_id is empty"]),
    ("student_id,submission\ns1,\n", ["row 2", "all empty"]),
    ("student_id,submission\ns1,ann,extra\n", ["row 2", "3 fields where the header has 2"]),
    ("", ["empty"]),
])
def test_a_bad_roster_is_refused_naming_the_file_the_row_and_what_is_allowed(tmp_path, text, words):
    path = tmp_path / "roster.csv"
    path.write_text(text)
    with pytest.raises(roster.RosterError) as error:
        roster.load(str(path))
    message = str(error.value)
    assert str(path) in message
    for word in words:
        assert word in message, message


def test_an_unreadable_roster_is_refused_before_grading(tmp_path):
    binary = tmp_path / "roster.xlsx"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00binary")
    with pytest.raises(roster.RosterError, match=r"roster .*roster.xlsx: cannot be read as a UTF-8 CSV"):
        roster.load(str(binary))
    printed = io.StringIO()
    with contextlib.redirect_stderr(printed):
        code = main(["squares", str(tmp_path), "--out", str(tmp_path / "out"), "--roster", str(tmp_path / "none.csv")])
    assert code == 2 and "none.csv" in printed.getvalue() and not (tmp_path / "out").exists()


@pytest.mark.parametrize("after, days", [
    (datetime.timedelta(hours=-5), 0),
    (datetime.timedelta(0), 0),
    (datetime.timedelta(seconds=1), 1),
    (datetime.timedelta(hours=23, minutes=59), 1),
    (datetime.timedelta(days=1), 1),
    (datetime.timedelta(days=1, seconds=1), 2),
    (datetime.timedelta(days=6, hours=1), 7),
])
def test_late_days_across_the_due_time(after, days):
    assert timing.late_days(DUE_UTC + after, DUE_UTC) == days


def test_without_a_due_time_or_a_time_there_are_no_late_days():
    assert timing.late_days(DUE_UTC, None) is None and timing.late_days(None, DUE_UTC) is None


def test_times_with_a_zone_are_converted_and_times_without_one_are_utc():
    assert timing.parse(DUE, "--due") == DUE_UTC
    assert timing.parse("2026-10-03T06:59:00Z", "--due") == DUE_UTC
    assert timing.parse("2026-10-03T06:59", "--due") == DUE_UTC
    assert timing.parse("2026-10-03T08:59+02:00", "--due") == DUE_UTC
    # the same wall-clock time in California is 7 hours later than in UTC: a day's difference here
    assert timing.late_days(timing.parse("2026-10-03T00:30-07:00", "t"), timing.parse("2026-10-03T00:00", "d")) == 1
    assert timing.iso(timing.parse(DUE, "--due")) == "2026-10-03T06:59:00Z"


def test_a_bad_time_is_refused_naming_where_it_came_from():
    with pytest.raises(timing.TimeError, match=r"--due: 'Friday 5pm' is not an ISO 8601 date and time.*UTC is assumed"):
        timing.parse("Friday 5pm", "--due")
    printed = io.StringIO()
    with contextlib.redirect_stderr(printed):
        assert main(["squares", ".", "--out", "out", "--due", "2026-13-01"]) == 2
    assert "--due: '2026-13-01'" in printed.getvalue()


def test_a_times_file_is_read_by_submission_name_or_student_id_and_checked(tmp_path):
    good = write(str(tmp_path / "times.csv"), "submission,student_id,submitted\nann,,2026-10-03T06:59Z\n,s2,"
                                              "2026-10-02T23:59:00-07:00\n")
    assert timing.read_times(good) == {"ann": DUE_UTC, "s2": DUE_UTC}
    bad = write(str(tmp_path / "bad.csv"), "submission,when\nann,2026-10-03\n")
    with pytest.raises(timing.TimeError, match=r"bad.csv, row 1: the header must name 'submitted'"):
        timing.read_times(bad)
    wrong = write(str(tmp_path / "wrong.csv"), "submission,submitted\nann,yesterday\n")
    with pytest.raises(timing.TimeError, match=r"wrong.csv, row 2: 'yesterday' is not an ISO 8601"):
        timing.read_times(wrong)


def test_nbgrader_s_timestamp_wins_and_an_unknown_zone_is_not_read_as_utc(tmp_path):
    notebook = write(str(tmp_path / "ann" / "a1" / "squares.ipynb"), "{}")
    stamp(notebook, DUE_UTC)
    write(str(tmp_path / "ann" / "a1" / "timestamp.txt"), "2026-10-03 08:00:00.250000 UTC\n")
    found = timing.timing(str(tmp_path / "ann"), [notebook], ["ann"], {"ann": DUE_UTC}, DUE_UTC)
    assert found.submitted == datetime.datetime(2026, 10, 3, 8, 0, 0, 250000, tzinfo=UTC)
    assert (found.source, found.late_days, found.problem) == ("nbgrader timestamp.txt", 1, "")
    write(str(tmp_path / "ann" / "a1" / "timestamp.txt"), "2026-10-02 23:00:00.000000 PDT")
    found = timing.timing(str(tmp_path / "ann"), [notebook], ["ann"], {"ann": DUE_UTC}, DUE_UTC)
    assert (found.submitted, found.source, found.late_days) == (DUE_UTC, "times file", 0)
    assert "'PDT'" in found.problem and "timestamp.txt" in found.problem


def test_the_lms_files_leave_out_students_without_a_submission_or_a_roster_row():
    def row(person, total):
        return report.Row("x", [], total, 5, "graded", [], {}, person=person)
    jane = roster.Student("s1", 2, name="Jane Doe", canvas_id="1", email="j@x", sis_id="S1")
    rows = [row(jane, 4.5), row(None, 5), row(roster.Student("s2", 3, name="Ben"), None)]
    rostered = [r for r in rows if r.person is not None and r.total is not None]
    assert lms.canvas(rostered, "Squares", 5) == ("Student,ID,SIS User ID,SIS Login ID,Section,Squares\n"
                                                 "Points Possible,,,,,5\nJane Doe,1,S1,,,4.5\n")
    assert lms.moodle(rostered, "Squares, part 1") == ('Full name,Email address,ID number,"Squares, part 1"\n'
                                                      "Jane Doe,j@x,S1,4.5\n")


def test_canvas_id_and_title_options_are_checked():
    printed = io.StringIO()
    with contextlib.redirect_stderr(printed):
        assert main(["squares", ".", "--out", "out", "--roster", "r.csv", "--canvas-id", "abc"]) == 2
        assert main(["squares", ".", "--out", "out", "--title", "Squares"]) == 2
    assert "--canvas-id: 'abc' is not a Canvas assignment id" in printed.getvalue()
    assert "only with --roster FILE" in printed.getvalue()


def test_a_late_penalty_is_applied_only_when_asked_and_never_below_zero(tmp_path):
    assert [timing.after_penalty(8, days, 10) for days in (0, 1, 2, 11)] == [8, 7.2, 6.4, 0]
    assert timing.after_penalty(None, 3, 10) is None

    def row(student, total, days):
        person = roster.Student(student, 2, name=student, sis_id=student.upper())
        return report.Row(student, [total], total, 10, "graded", [], {}, person=person,
                          timing=timing.Timing(DUE_UTC, "times file", days))
    rows = [row("ann", 10, 0), row("ben", 10, 3)]
    assert "after_late_penalty" not in [header for header, _ in report.grade_columns([])]
    penalized = dict(report.grade_columns([], penalty=25))["after_late_penalty"]
    assert [penalized(r) for r in rows] == ["10", "2.5"]
    lms.write(str(tmp_path), rows, "Squares", 10, penalty=25)
    assert read_csv(tmp_path / "moodle.csv")[1:] == [["ann", "", "ANN", "10"], ["ben", "", "BEN", "2.5"]]
    lms.write(str(tmp_path), rows, "Squares", 10)
    assert read_csv(tmp_path / "canvas.csv")[2:] == [["ann", "", "ANN", "", "", "10"], ["ben", "", "BEN", "", "", "10"]]


@pytest.mark.parametrize("options, words", [
    (["--late-penalty", "10"], "--late-penalty needs --due"),
    (["--late-penalty", "0", "--due", DUE], "--late-penalty: 0 is not a percent per late day"),
    (["--late-penalty", "150", "--due", DUE], "--late-penalty: 150 is not a percent per late day"),
])
def test_a_late_penalty_needs_a_due_time_and_a_percent(options, words):
    printed = io.StringIO()
    with contextlib.redirect_stderr(printed):
        assert main(["squares", ".", "--out", "out", *options]) == 2
    assert words in printed.getvalue()
