"""Give back its nbgrader metadata to a notebook that lost it, by matching its cells with the release.

A notebook copied into a new file, or passed through a tool that strips cell metadata, still
has the same cells; without their ``nbgrader`` metadata nbgrader cannot tell which are tests, and
would score the notebook 0 without a word. Cells whose text is unchanged (instructions, tests,
given code) match the released cell exactly; between two matched cells, the student's cells
take the metadata of the released cells in between when their number and types agree, and
otherwise the first cell of the right type takes it. The grading notes say this was done.
"""
import copy
import difflib


def grade_ids(nb):
    return {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells} - {None}


def needs_repair(submitted, released):
    """True when the notebook carries none of the released notebook's nbgrader cell ids."""
    return not grade_ids(submitted) & grade_ids(released)


def restore_metadata(submitted, released):
    """Copy nbgrader metadata from ``released`` onto the matching cells of ``submitted`` (in place).

    Returns the grade_ids of the released grade cells (tests) that found no match.
    """
    ours = [c.source.strip() for c in released.cells]
    theirs = [c.source.strip() for c in submitted.cells]
    pairs = []
    a0 = b0 = 0
    for a, b, n in difflib.SequenceMatcher(a=ours, b=theirs, autojunk=False).get_matching_blocks():
        pairs += pair_gap(released.cells, range(a0, a), submitted.cells, range(b0, b))
        pairs += [(a + i, b + i) for i in range(n)]
        a0, b0 = a + n, b + n
    for a, b in pairs:
        for key in ("nbgrader", "deletable", "editable"):
            if key in released.cells[a].metadata:
                submitted.cells[b].metadata[key] = copy.deepcopy(released.cells[a].metadata[key])
    placed = {a for a, _ in pairs}
    return [c.metadata["nbgrader"]["grade_id"] for i, c in enumerate(released.cells)
            if c.metadata.get("nbgrader", {}).get("grade") and i not in placed]


def pair_gap(ours, gap_ours, theirs, gap_theirs):
    """Pair the unmatched released cells with the student's cells in the same stretch."""
    if len(gap_ours) == len(gap_theirs):
        return [(a, b) for a, b in zip(gap_ours, gap_theirs) if ours[a].cell_type == theirs[b].cell_type]
    pairs, free = [], list(gap_theirs)
    for a in gap_ours:
        for b in free:
            if theirs[b].cell_type == ours[a].cell_type:
                pairs.append((a, b))
                free = free[free.index(b) + 1:]
                break
    return pairs


def deduplicate(nb):
    """Make a notebook with copied and pasted cells gradable (in place); return the grade_ids
    that appeared more than once.

    A repeated cell ``id`` is replaced by a fresh one. Of the cells that share a grade_id, the
    last keeps its nbgrader metadata and the others lose it, so they run as ordinary cells
    (nbgrader's own deduplication leaves them an empty ``nbgrader`` entry, on which its
    restoring of deleted cells fails and the whole notebook scores 0).
    """
    seen = set()
    for cell in nb.cells:
        if "id" in cell and cell.id in seen:
            cell.id = fresh_id(seen)
        seen.add(cell.get("id"))
    last = {}
    for index, cell in enumerate(nb.cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id:
            last[grade_id] = index
    repeated = []
    for index, cell in enumerate(nb.cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id and last[grade_id] != index:
            del cell.metadata["nbgrader"]
            repeated.append(grade_id)
    return list(dict.fromkeys(repeated))


def fresh_id(taken):
    """A cell id (eight hex digits, as JupyterLab writes them) not in ``taken``."""
    n = len(taken)
    while f"{n:08x}" in taken:
        n += 1
    return f"{n:08x}"
