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
