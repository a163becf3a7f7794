"""The instructor's CSV files (roster, submission times): read whole, or refused with one clear error."""
import csv


def read_lines(path, what, error):
    """The rows of the UTF-8 CSV file ``path`` (a byte-order mark is allowed) as lists of strings;
    raise ``error`` naming ``what`` and ``path`` when it cannot be read."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            return list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as problem:
        raise error(f"{what} {path}: cannot be read as a UTF-8 CSV file ({problem})") from None
