"""The XOR example (examples/xor.py) runs and shows what it claims."""

import contextlib
import importlib.util
import io
import math
import pathlib

import pytest

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "xor.py"


@pytest.fixture(scope="module")
def xor():
    spec = importlib.util.spec_from_file_location("jaxnn_example_xor", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def run(xor):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        results = xor.main()
    return results, out.getvalue()


@pytest.fixture(scope="module")
def results(run):
    return run[0]


def test_nonlinear_networks_fit_xor(results):
    for name in ("relu", "sigmoid"):
        assert results[name]["accuracy"] == 1.0, name
        assert results[name]["loss"] < 0.01, name


def test_linear_network_cannot(results):
    linear = results["linear"]
    # Logistic regression on XOR is minimised by w = 0, b = 0: loss ln 2.
    assert linear["loss"] >= math.log(2) - 1e-4
    assert linear["accuracy"] <= 0.75
    assert linear["collapse_error"] < 1e-5
    assert abs(linear["xor_gap"]) < 1e-5


def test_prints_a_table(run):
    out = run[1]
    assert "linear" in out and "relu" in out and "sigmoid" in out
    assert "collapses to one Dense" in out
