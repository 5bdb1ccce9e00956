"""The GBSG2 breast-cancer trial data: tumour size against nodal spread.

The German Breast Cancer Study Group 2 trial (Schumacher et al., J Clin Oncol
1994; 686 patients, distributed with R's ``TH.data`` and Python's
``lifelines``) ships with jaxnn as ``data/gbsg2.csv``; see ``data/NOTICE.md``
for its attribution. It is read with :mod:`importlib.resources` and
:mod:`csv`, so no pandas is needed.
"""

import csv
import io
from importlib import resources

import numpy as np

_CSV = "gbsg2.csv"


def _parse_column(cells: list[str]) -> np.ndarray:
    """A column as int64 if every cell is an integer, else float64, else text."""
    try:
        return np.array([int(c) for c in cells], dtype=np.int64)
    except ValueError:
        pass
    try:
        return np.array([float(c) for c in cells], dtype=np.float64)
    except ValueError:
        return np.array(cells, dtype=np.str_)


def gbsg2() -> dict[str, np.ndarray]:
    """The full GBSG2 table, one NumPy array per column.

    Columns (686 rows): ``horTh`` (hormonal therapy, ``"no"``/``"yes"``),
    ``age`` (years), ``menostat`` (``"Pre"``/``"Post"``), ``tsize`` (tumour
    size, mm), ``tgrade`` (``"I"``, ``"II"``, ``"III"``), ``pnodes`` (number of
    positive lymph nodes), ``progrec`` and ``estrec`` (progesterone and
    oestrogen receptors, fmol), ``time`` (recurrence-free survival, days) and
    ``cens`` (1 if the recurrence was observed).

    Returns:
        A dict from column name (in the file's order) to a 1-D array: int64 for
        integer columns, float64 for other numbers, text (``numpy.str_``)
        otherwise. Each call returns fresh arrays.

    Examples:
        >>> import jaxnn.datasets
        >>> table = jaxnn.datasets.gbsg2()
        >>> list(table)[:4]
        ['horTh', 'age', 'menostat', 'tsize']
        >>> table["tsize"].shape, table["tsize"].dtype
        ((686,), dtype('int64'))
    """
    text = resources.files("jaxnn.datasets").joinpath("data", _CSV).read_text("utf-8")
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    rows = [row for row in reader if row]
    for line, row in enumerate(rows, start=2):
        if len(row) != len(header):  # pragma: no cover - the shipped file is fixed
            raise ValueError(
                f"{_CSV}: line {line} has {len(row)} cells, expected {len(header)}"
            )
    return {
        name: _parse_column([row[j] for row in rows]) for j, name in enumerate(header)
    }


def tumor() -> tuple[np.ndarray, np.ndarray]:
    """Tumour size (cm) and whether the cancer had spread, from GBSG2.

    The default data of jaxnn's logistic-regression example: size is
    ``tsize / 10`` (mm to cm) and spread is 1.0 where four or more lymph nodes
    were positive (``pnodes >= 4``, extensive nodal involvement), else 0.0.
    Every patient in the trial had at least one positive node.

    Returns:
        A pair ``(size, spread)`` of 1-D float64 NumPy arrays of length 686.

    Examples:
        >>> import jaxnn.datasets
        >>> size, spread = jaxnn.datasets.tumor()
        >>> size.shape, spread.shape
        ((686,), (686,))
        >>> float(size[0]), float(spread[0])
        (2.1, 0.0)
    """
    table = gbsg2()
    size = table["tsize"].astype(np.float64) / 10.0
    spread = (table["pnodes"] >= 4).astype(np.float64)
    return size, spread
