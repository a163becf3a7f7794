"""SYLLABUS.md agrees with the course: the exercises' points, the weeks, the chapters."""
import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
SYLLABUS = (ROOT / "SYLLABUS.md").read_text(encoding="utf-8")


def table(heading):
    """The rows (lists of cell texts) of the first table after a ## heading."""
    section = SYLLABUS.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip().strip("|").split("|") for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row] for row in rows[2:]]    # skip the header and the rule


def exercise_points():
    """{exercise number: points} from the test cells of solutions/NN_name/*.ipynb."""
    points = {}
    for folder in sorted((ROOT / "solutions").iterdir()):
        total = 0
        for notebook in folder.glob("*.ipynb"):
            for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
                meta = cell["metadata"].get("nbgrader", {})
                if meta.get("grade"):
                    total += meta.get("points", 0)
        points[int(folder.name[:2])] = total
    return points


def test_every_exercise_is_listed_with_its_points_and_the_total_adds_up():
    rows = table("Graded exercises")
    listed = {int(r[0].split()[0]): float(r[2]) for r in rows if r[0][0].isdigit()}
    assert listed == exercise_points()
    total = next(r for r in rows if "total" in r[0])
    assert float(total[2].strip("*")) == sum(listed.values())
    hours = [float(r[5]) for r in rows if r[0][0].isdigit()]
    assert float(total[5].strip("*")) == sum(hours)


def test_fourteen_weeks_each_exercise_released_before_it_is_due_as_both_tables_say():
    weeks = table("Weekly plan")
    assert [int(w[0]) for w in weeks] == list(range(1, 15))
    released = {int(w[3].split()[0]): int(w[0]) for w in weeks if w[3]}
    due = {int(w[4].split()[0]): int(w[0]) for w in weeks if w[4]}
    assert set(released) == set(due) == set(exercise_points())
    for row in table("Graded exercises"):
        if row[0][0].isdigit():
            number = int(row[0].split()[0])
            assert (f"week {released[number]}", f"week {due[number]}") == (row[3], row[4])
            assert released[number] < due[number]


def test_every_chapter_is_read_and_lectured():
    chapters = sorted(int(p.name[:2]) for p in (ROOT / "book").glob("0*.ipynb"))
    weeks = table("Weekly plan")
    read = {int(n) for w in weeks for n in re.findall(r"chapter (\d+)", w[2])}
    lectured = {int(n) for w in weeks for n in re.findall(r"^(\d+)", w[1])}
    assert set(chapters) <= read and set(chapters) <= lectured
    assert 8 in read, "chapter 8 (recent optimizers) has its week"
