"""Tests of jaxnn/datasets/_tumor.py: the shipped GBSG2 table and tumor().

The reference is an independent parse of the same CSV with NumPy's
``genfromtxt``, plus facts about the trial published with the data (686
patients; R's TH.data documents GBSG2 with these ten columns).
"""

from importlib import resources

import numpy as np

import jaxnn.datasets
from jaxnn.datasets import gbsg2, tumor

COLUMNS = [
    "horTh", "age", "menostat", "tsize", "tgrade",
    "pnodes", "progrec", "estrec", "time", "cens",
]  # fmt: skip


def _genfromtxt() -> np.ndarray:
    path = resources.files("jaxnn.datasets").joinpath("data", "gbsg2.csv")
    with resources.as_file(path) as p:
        return np.genfromtxt(p, delimiter=",", names=True, dtype=None, encoding="utf-8")


def test_public_names() -> None:
    assert {"tumor", "gbsg2"} <= set(jaxnn.datasets.__all__)


def test_gbsg2_matches_an_independent_parse() -> None:
    table = gbsg2()
    ref = _genfromtxt()
    assert list(table) == COLUMNS == list(ref.dtype.names)
    for name in COLUMNS:
        assert table[name].shape == (686,)
        np.testing.assert_array_equal(table[name], ref[name], err_msg=name)
    assert table["age"].dtype == np.int64 and table["horTh"].dtype.kind == "U"
    assert set(table["menostat"]) == {"Pre", "Post"}
    assert set(table["tgrade"]) == {"I", "II", "III"}
    assert table["pnodes"].min() >= 1  # every patient had a positive node


def test_gbsg2_returns_fresh_arrays() -> None:
    a = gbsg2()
    a["tsize"][:] = 0
    assert gbsg2()["tsize"].max() > 0


def test_tumor_is_size_in_cm_and_four_or_more_nodes() -> None:
    size, spread = tumor()
    ref = _genfromtxt()
    assert size.shape == spread.shape == (686,)
    assert size.dtype == spread.dtype == np.float64
    np.testing.assert_allclose(size, ref["tsize"] / 10.0)
    np.testing.assert_array_equal(spread, np.where(ref["pnodes"] >= 4, 1.0, 0.0))
    assert set(np.unique(spread)) == {0.0, 1.0}
    # Tumour sizes of 3 mm to 12 cm, as in the trial's published range.
    assert 0.2 < size.min() < size.max() <= 12.0
