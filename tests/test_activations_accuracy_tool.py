"""The accuracy tool itself (tools/accuracy.py): its arithmetic and its CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest

import jaxnn
from tools import accuracy

ROOT = Path(__file__).resolve().parents[1]


def test_round_to_bits_is_round_to_nearest_even_without_double_rounding():
    ulp = 2.0**-7  # bfloat16 has 8 significant bits: ulp of 1 is 2^-7
    v = np.array([1 + ulp / 2, 1 + 1.5 * ulp, 1 + ulp / 2 + 2.0**-30, -(1 + ulp / 2)])
    r, boundary = accuracy.round_to_bits(v, 8, 3.0e38)
    np.testing.assert_array_equal(r, [1.0, 1 + 2 * ulp, 1 + ulp, -1.0])
    np.testing.assert_allclose(boundary[:2], 0.0)
    # ml_dtypes rounds float64 through float32 here, and gets it wrong.
    assert float(np.float64(v[2]).astype(ml_dtypes.bfloat16)) == 1.0
    r, _ = accuracy.round_to_bits(np.array([70000.0, 65519.0]), 11, 65504.0)
    np.testing.assert_array_equal(r, [np.inf, 65504.0])


def test_all_finite_half_values():
    for dtype, count in ((jnp.float16, 63487), (jnp.bfloat16, 65279)):
        xs = accuracy.all_finite(dtype)
        assert len(xs) == count  # every finite value, -0 and +0 once
        assert np.all(np.isfinite(xs))


def test_half_check_finds_what_is_not_correctly_rounded():
    good = accuracy.half_errors("sigmoid", "value", "bfloat16", jaxnn.sigmoid)
    assert good["not_correctly_rounded"] == 0 and good["max_half_ulp"] <= 1.0
    assert good["assessed"] > 40000

    def biased(x: jax.Array) -> jax.Array:  # off by ~1 bfloat16 ulp
        return (jaxnn.sigmoid(x.astype(jnp.float32)) * (1 + 2.0**-8)).astype(x.dtype)

    bad = accuracy.half_errors("sigmoid", "value", "bfloat16", biased)
    assert bad["not_correctly_rounded"] > 1000 and bad["max_half_ulp"] > 1.0


def test_dense_table_runs_and_agrees_with_the_grid():
    rows = accuracy.dense_table(n=2**12)
    assert len(rows) == 2 * len(accuracy.REFERENCES)
    sigmoid = next(
        r for r in rows if r["function"] == "sigmoid" and r["quantity"] == "derivative"
    )
    assert sigmoid["jaxnn_max_ulp"] <= 4.0 and sigmoid["jax_nn_max_ulp"] > 100


def test_every_float_is_every_float32_in_the_range():
    xs = accuracy.every_float(1.0, 2.0)
    assert xs.size == 2 * 2**23 and xs.dtype == np.float32
    assert xs[0] == 1.0 and xs[2**23 - 1] == np.nextafter(np.float32(2), 0)
    np.testing.assert_array_equal(xs[2**23 :], -xs[: 2**23])


def test_exhaustive_table_finds_a_narrow_worst_case():
    # XLA's own tanh (jax.nn's) is off by up to 4.9 ulp for 4 <= |x| < 8; every
    # float32 there finds that, and jaxnn's value within 1.5 ulp.
    rows = accuracy.exhaustive_table(["tanh"], lo=4.0, hi=8.0)
    value = next(r for r in rows if r["quantity"] == "value")
    assert value["inputs"] == 2**24 and value["jaxnn_max_ulp"] <= 1.5
    xla = accuracy.exhaustive_worst("tanh", "value", jnp.tanh, 4.0, 8.0, chunk=2**21)
    assert xla[0] > 4.5 and 4.0 <= abs(xla[1]) < 8.0


def test_markdown_tables():
    row = {"function": "f", "quantity": "value", "jaxnn_max_ulp": 1.5}
    row |= {"jaxnn_worst_x": 2.0, "jax_nn_max_ulp": np.inf, "jax_nn_worst_x": -1.0}
    rows = [row]
    assert "| f | value | 1.5 | 2 | inf | -1 |" in accuracy.markdown(rows)


@pytest.mark.parametrize("args", [["--help"]])
def test_cli_runs_as_a_module(args):
    out = subprocess.run(
        [sys.executable, "-m", "tools.accuracy", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    for flag in ("--quick", "--json", "--markdown", "--exhaustive"):
        assert flag in out.stdout


def test_main_writes_json_and_markdown(tmp_path, monkeypatch):
    # The CLI's outputs, from a run cut down to one function.
    monkeypatch.setattr(
        accuracy, "REFERENCES", {"sigmoid": accuracy.REFERENCES["sigmoid"]}
    )
    assert accuracy.main(["--quick", "--json", str(tmp_path / "a.json"),
                          "--markdown", str(tmp_path / "a.md")]) == 0  # fmt: skip
    result = json.loads((tmp_path / "a.json").read_text())
    assert result["backend"] == jax.default_backend()
    assert {r["function"] for r in result["float32_grid"]} == {"sigmoid"}
    assert len(result["half_precision"]) == 4
    assert "Half precision" in (tmp_path / "a.md").read_text()
