"""Reading the columns ``jaxnn fit`` needs from a CSV file, straight into arrays.

The file is read in blocks of rows. A block whose cells are all plain numbers
takes the fast path (each column converted by NumPy in one call), so memory
stays a small multiple of the file's size and a million rows take about a
second. A block with anything unusual in it (a blank row, a missing cell, a
stray character) is re-read cell by cell, to skip blank rows or to name the
file's line number (the header is line 1) and the column of the first bad cell.

Numbers are written as a spreadsheet or ``repr`` writes them: ``-1.5``,
``2e-3``, ``.5``. Python's ``float`` also accepts ``1_5`` (15), ``nan``,
``inf`` and non-ASCII digits; none of them is a number here.
"""

import csv
import itertools
import operator
import re
from collections.abc import Iterator, Sequence
from typing import IO, NamedTuple

import numpy as np

BLOCK_ROWS = 1 << 16
FLOAT32_MAX = float(np.finfo(np.float32).max)

# A finite decimal number, optionally signed, with an optional exponent.
# ASCII digits only: \d would also match other scripts' digits.
NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_DECIMAL_COMMA_NUMBER = re.compile(r"[+-]?(?:\d+,?\d*|,\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_NON_FINITE = {"nan", "-nan", "+nan", "inf", "+inf", "-inf", "infinity"}
_NON_FINITE |= {"+infinity", "-infinity"}
# Cells of one column are joined with this separator to screen a whole block
# with one regular-expression search.
_SEP = "\x1f"
_STRAY = re.compile(r"[^0-9.eE+\- \t\x1f]")
_STRAY_DECIMAL_COMMA = re.compile(r"[^0-9,eE+\- \t\x1f]")
_DELIMITERS = (",", ";", "\t", "|")
_QUOTED = re.compile(r'"[^"]*"')


class CsvError(ValueError):
    """A CSV file that cannot be read as asked; the message names file and line."""


class Columns(NamedTuple):
    """What :func:`read_columns` returns."""

    x: np.ndarray
    """Shape ``(n, len(x_cols))``, float64."""
    y: np.ndarray
    """Shape ``(n,)``, float64 0.0 or 1.0."""
    delimiter: str
    """The cell separator used (given, or detected from the header line)."""


def _delimiter_of(header: str) -> str:
    """The likeliest separator of a header line: the most frequent candidate
    outside quoted names (ties go to the comma)."""
    header = _QUOTED.sub("", header)
    counts = [header.count(d) for d in _DELIMITERS]
    best = max(range(len(_DELIMITERS)), key=lambda k: counts[k])
    return _DELIMITERS[best] if counts[best] else ","


def _open(path: str) -> IO[str]:
    try:
        with open(path, "rb") as raw:
            start = raw.read(4)
    except OSError as e:
        raise CsvError(f"cannot read {path}: {e.strerror or e}") from None
    if start[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise CsvError(
            f"{path}: the file is UTF-16 text; save it as 'CSV UTF-8' (or plain "
            "CSV) and try again"
        )
    # utf-8-sig drops the byte-order mark a spreadsheet's "CSV UTF-8" starts with.
    return open(path, newline="", encoding="utf-8-sig")


def _line_breaks(row: Sequence[str]) -> int:
    """How many line breaks the quoted cells of a row contain."""
    return sum(c.count("\n") + c.count("\r") - c.count("\r\n") for c in row)


class _Reader:
    """The rows of a CSV after its header, in blocks, with their line numbers."""

    def __init__(self, path: str, f: IO[str], delimiter: str | None):
        self.path = path
        try:
            first = f.readline()
        except UnicodeDecodeError as e:
            raise CsvError(
                f"{path}: not UTF-8 text ({e.reason} at byte {e.start})"
            ) from None
        if not first.strip():
            raise CsvError(f"{path}: the file is empty (expected a header row)")
        self.delimiter = delimiter or _delimiter_of(first)
        self.rows = csv.reader(itertools.chain([first], f), delimiter=self.delimiter)
        try:
            self.header = [h.strip() for h in next(self.rows)]
        except csv.Error as e:
            raise CsvError(f"{path}: line 1: {e}") from None

    def blocks(self) -> Iterator[tuple[int, list[list[str]]]]:
        """Yield (line number of the block's first row, rows), blank rows kept."""
        while True:
            start = self.rows.line_num + 1
            try:
                block = list(itertools.islice(self.rows, BLOCK_ROWS))
            except csv.Error as e:
                raise CsvError(f"{self.path}: line {self.rows.line_num}: {e}") from None
            except UnicodeDecodeError as e:
                raise CsvError(
                    f"{self.path}: not UTF-8 text after line {self.rows.line_num} "
                    f"({e.reason})"
                ) from None
            if not block:
                return
            yield start, block


class _Spec(NamedTuple):
    path: str
    names: tuple[str, ...]  # the x columns, then the label column
    position: tuple[int, ...]  # their cell positions
    positive: str | None
    float64: bool
    decimal_comma: bool
    delimiter: str


def _hint_decimal(spec: _Spec, text: str) -> str:
    if not spec.decimal_comma and _DECIMAL_COMMA_NUMBER.fullmatch(text):
        if spec.delimiter == ",":
            return " (a decimal comma? pass --decimal-comma and --delimiter ';')"
        return " (a decimal comma? pass --decimal-comma)"
    if spec.decimal_comma and "." in text:
        return " (with --decimal-comma, '.' is not read: write 1234,5 not 1.234,5)"
    return ""


def _number(spec: _Spec, line: int, col: str, text: str) -> float:
    """One cell as a float, or a CsvError naming line, column and the cell."""
    where = f"{spec.path}: line {line}, column {col!r}"
    if not text:
        raise CsvError(f"{where}: empty cell; fill it in or delete the row")
    pattern = _DECIMAL_COMMA_NUMBER if spec.decimal_comma else NUMBER
    if not pattern.fullmatch(text):
        if text.lower() in _NON_FINITE:
            raise CsvError(f"{where}: expected a finite number, got {text!r}")
        raise CsvError(
            f"{where}: expected a number, got {text!r}{_hint_decimal(spec, text)}"
        )
    value = float(text.replace(",", ".") if spec.decimal_comma else text)
    if not np.isfinite(value):
        raise CsvError(f"{where}: {text} is beyond the range of float64 numbers")
    if not spec.float64 and abs(value) > FLOAT32_MAX:
        raise CsvError(
            f"{where}: {text} is beyond the range of float32 numbers (about "
            f"{FLOAT32_MAX:.4g}); pass --float64 to fit in float64"
        )
    return value


def _label(spec: _Spec, line: int, text: str, seen: set[str]) -> float:
    col = spec.names[-1]
    if spec.positive is not None:
        if len(seen) < 20:
            seen.add(text)
        return 1.0 if text == spec.positive else 0.0
    if text in ("0", "1"):
        return float(text)
    try:
        value = _number(spec, line, col, text)
    except CsvError:
        value = np.nan
    if value not in (0.0, 1.0):
        raise CsvError(
            f"{spec.path}: line {line}, column {col!r}: expected a 0/1 label, got "
            f"{text!r} (use --positive VALUE to say which value counts as 1)"
        )
    return value


def _slow_block(
    spec: _Spec, start: int, block: list[list[str]], seen: set[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Convert a block cell by cell: skip blank rows, name the first bad cell."""
    x_rows, y_rows = [], []
    line = start
    width = max(spec.position) + 1
    for row in block:
        here, line = line, line + 1 + _line_breaks(row)
        if not any(c.strip() for c in row):
            continue
        if len(row) < width:
            name, j = next(
                (n, j)
                for n, j in zip(spec.names, spec.position, strict=True)
                if j >= len(row)
            )
            raise CsvError(
                f"{spec.path}: line {here} has {len(row)} cells, so none for "
                f"column {name!r} (cell {j + 1} of the header)"
            )
        cells = [row[j].strip() for j in spec.position]
        x_rows.append(
            [
                _number(spec, here, n, c)
                for n, c in zip(spec.names[:-1], cells[:-1], strict=True)
            ]
        )
        y_rows.append(_label(spec, here, cells[-1], seen))
    n_x = len(spec.position) - 1
    return np.array(x_rows, np.float64).reshape(-1, n_x), np.array(y_rows, np.float64)


def _fast_column(spec: _Spec, cells: list[str]) -> np.ndarray | None:
    """A column of plain numbers converted in one NumPy call; None if unusual."""
    joined = _SEP.join(cells)
    stray = _STRAY_DECIMAL_COMMA if spec.decimal_comma else _STRAY
    if stray.search(joined):
        return None
    if spec.decimal_comma:
        cells = joined.replace(",", ".").split(_SEP)
    try:
        # Safe only after the screen above: float() would read "1_5" as 15.
        values = np.array(cells, dtype=np.float64)
    except ValueError:
        return None
    if not np.all(np.isfinite(values)):
        return None
    if not spec.float64 and np.any(np.abs(values) > FLOAT32_MAX):
        return None
    return values


def _fast_block(
    spec: _Spec, block: list[list[str]], seen: set[str]
) -> tuple[np.ndarray, np.ndarray] | None:
    if min(map(len, block)) <= max(spec.position):
        return None
    columns = [list(map(operator.itemgetter(j), block)) for j in spec.position]
    x = []
    for cells in columns[:-1]:
        values = _fast_column(spec, cells)
        if values is None:
            return None
        x.append(values)
    labels = columns[-1]
    if spec.positive is not None:
        stripped = list(map(str.strip, labels))
        if len(seen) < 20:
            seen.update(itertools.islice(set(stripped), 20))
        y = np.fromiter(map(spec.positive.__eq__, stripped), bool, len(stripped))
        y = y.astype(np.float64)
    else:
        labels_01 = _fast_column(spec, labels)
        if labels_01 is None or not np.all((labels_01 == 0.0) | (labels_01 == 1.0)):
            return None
        y = labels_01
    return np.stack(x, axis=1), y


def read_columns(
    path: str,
    x_cols: Sequence[str],
    y_col: str,
    *,
    positive: str | None = None,
    delimiter: str | None = None,
    decimal_comma: bool = False,
    float64: bool = False,
) -> Columns:
    """Read feature columns and a 0/1 label column of a CSV file with a header.

    Args:
        path: the file; UTF-8, with or without a byte-order mark.
        x_cols: the feature columns, read as finite numbers.
        y_col: the label column: 0/1, or any text with ``positive``.
        positive: the label value that counts as 1 (every other value is 0).
        delimiter: the cell separator; default: the most frequent of
            ``, ; tab |`` in the header line.
        decimal_comma: numbers are written ``1,5`` (and ``.`` is refused).
        float64: allow numbers beyond float32's range.

    Returns:
        A :class:`Columns`.

    Raises:
        CsvError: a message that names the file, and the line and column of
            the first bad cell.

    Examples:
        >>> import pathlib, tempfile
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
        >>> _ = p.write_text("\\ufeffsize;spread\\n1,5;no\\n3,0;yes\\n")
        >>> read_columns(str(p), ["size"], "spread", positive="yes",
        ...              decimal_comma=True)
        Columns(x=array([[1.5], [3. ]]), y=array([0., 1.]), delimiter=';')
    """
    with _open(path) as f:
        reader = _Reader(path, f, delimiter)
        header = reader.header
        wanted = [*x_cols, y_col]
        index = []
        for col in wanted:
            hits = [j for j, h in enumerate(header) if h == col]
            if not hits:
                hint = ""
                if len(header) == 1 and delimiter is None:
                    hint = " (the header has one column: pass --delimiter)"
                raise CsvError(
                    f"{path}: no column {col!r}; available: {', '.join(header)}{hint}"
                )
            if len(hits) > 1:
                lines = ", ".join(str(j + 1) for j in hits)
                raise CsvError(
                    f"{path}: the header names column {col!r} more than once "
                    f"(cells {lines}); rename the copies so each name is unique"
                )
            index.append(hits[0])
        spec = _Spec(
            path,
            tuple(wanted),
            tuple(index),
            positive,
            float64,
            decimal_comma,
            reader.delimiter,
        )
        xs, ys = [], []
        seen: set[str] = set()
        for start, block in reader.blocks():
            out = _fast_block(spec, block, seen)
            if out is None:
                out = _slow_block(spec, start, block, seen)
            xs.append(out[0])
            ys.append(out[1])
            del block
    n_x = len(x_cols)
    x = np.concatenate(xs) if xs else np.empty((0, n_x))
    y = np.concatenate(ys) if ys else np.empty((0,))
    if len(y) == 0:
        raise CsvError(f"{path}: no data rows after the header")
    if positive is not None and not y.any():
        values = ", ".join(sorted(seen)[:10]) + (", ..." if len(seen) > 10 else "")
        raise CsvError(
            f"{path}: --positive {positive!r} matches no cell of column {y_col!r} "
            f"(values: {values})"
        )
    return Columns(x, y, reader.delimiter)
