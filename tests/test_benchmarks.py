"""Smoke tests of the benchmark harness (``benchmarks/``): no timed assertions.

They check the timing helper's protocol, the peers' NumPy formulas against
``jax.nn`` (an independent implementation), the book's NumPy forward against
the book's printed accuracy, that every implementation of the book network's
training step computes the same step, the ratio and target logic on hand-made
rows, the JSON schema of a whole run with fake workers, and one real worker
process end to end.
"""

import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from benchmarks import __main__ as bench_main
from benchmarks import _activations, _analysis, _data, _mlp, _report, _timing
from benchmarks._common import Case, Settings, row

ROOT = Path(__file__).resolve().parent.parent


def test_measure_calls_block_after_every_call_and_reports_spread():
    calls, blocked = [], []

    def fn(a, b):
        calls.append((a, b))
        return a + b

    t = _timing.measure(
        fn, 1, 2, block=blocked.append, reps=4, min_rep_seconds=0.0, max_number=1
    )
    # one untimed first call, one calibration rep, then reps - 1 more
    assert len(calls) == 1 + 1 + 3
    assert blocked == [3] * len(calls)
    assert t["reps"] == 4 and t["number"] == 1
    assert 0 <= t["min"] <= t["median"] <= t["max"]
    assert t["first_call"] >= 0


def test_measure_batches_fast_calls_up_to_min_rep_seconds():
    t = _timing.measure(lambda: None, reps=2, min_rep_seconds=1e-3)
    assert t["number"] > 1
    assert t["median"] * t["number"] >= 1e-3 * 0.5  # a rep is about that long


def test_side_by_side_interleaves_repetitions():
    order = []
    fns = [(lambda k=k: order.append(k), ()) for k in "AB"]
    out = _timing.measure_side_by_side(fns, reps=3, min_rep_seconds=0.0, max_number=1)
    assert len(out) == 2
    # A: first + calibration, B: first + calibration, then A, B, A, B
    assert "".join(order) == "AABB" + "ABAB"


def test_side_by_side_time_budget_cuts_reps_of_slow_calls_but_keeps_three():
    slow = (lambda: time.sleep(0.02), ())
    (t,) = _timing.measure_side_by_side(
        [slow], reps=11, min_rep_seconds=0.0, max_number=1, max_seconds=0.01
    )
    assert t["reps"] == 3
    (t,) = _timing.measure_side_by_side(
        [(lambda: None, ())], reps=11, min_rep_seconds=0.0, max_seconds=1.0
    )
    assert t["reps"] == 11


@pytest.mark.parametrize("bad", [{"reps": 0}, {"min_rep_seconds": -1.0}])
def test_measure_rejects_bad_settings_by_name(bad):
    name = next(iter(bad))
    with pytest.raises(ValueError, match=name):
        _timing.measure(lambda: None, **bad)


def test_roofline_copy_moves_the_bytes():
    x = jnp.arange(4096, dtype=jnp.float32)
    y = jax.jit(_activations.roofline_copy)(x)
    np.testing.assert_array_equal(np.asarray(y), -np.arange(4096, dtype=np.float32))
    assert y.unsafe_buffer_pointer() != x.unsafe_buffer_pointer()


PROBE = np.linspace(-7.5, 7.5, 2 * _activations.ROW_WIDTH, dtype=np.float32)
JAX_NN = {
    "step": lambda x: jnp.heaviside(x, 0.0),
    "hard_sigmoid": jax.nn.hard_sigmoid,
    "gelu": lambda x: jax.nn.gelu(x, approximate=False),
    "softsign": jax.nn.soft_sign,
}


WITH_NUMPY = [
    a
    for a in _activations.ACTIVATIONS
    if _activations.numpy_forward(a.name) is not None
]


@pytest.mark.parametrize("act", WITH_NUMPY, ids=lambda a: a.name)
def test_numpy_formulas_agree_with_jax_nn(act):
    ref = JAX_NN.get(act.name) or getattr(jax.nn, act.name)
    x = PROBE.reshape(_activations.shape(act, PROBE.size))
    fwd = _activations.numpy_forward(act.name)
    np.testing.assert_allclose(fwd(x), ref(jnp.asarray(x)), rtol=2e-5, atol=2e-6)
    fwd_grad = _activations.numpy_forward_grad(act.name)
    if fwd_grad is None or act.name == "step":
        return
    ct = np.cos(x)  # a cotangent that is not all ones
    y_ref, pullback = jax.vjp(ref, jnp.asarray(x))
    (dx_ref,) = pullback(jnp.asarray(ct))
    y, dx = fwd_grad(x, ct)
    np.testing.assert_allclose(y, y_ref, rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-4, atol=1e-5)


def test_numpy_gelu_tanh_variant_agrees_with_jax_nn():
    x = PROBE
    np.testing.assert_allclose(
        _activations.numpy_forward("gelu", "tanh")(x),
        jax.nn.gelu(x, approximate=True),
        rtol=2e-5,
        atol=2e-6,
    )
    _, dx = _activations.numpy_forward_grad("gelu", "tanh")(x, np.ones_like(x))
    dx_ref = jax.vmap(jax.grad(lambda v: jax.nn.gelu(v, approximate=True)))(x)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-4, atol=1e-5)


def test_book_numpy_forward_reaches_the_books_accuracy():
    images, labels = _data.mnist_test()
    assert images.shape == (10_000, 784) and labels.shape == (10_000,)
    probs = _mlp.book_predict(_data.book_weights(), images)
    assert np.mean(np.argmax(probs, axis=1) == labels) == pytest.approx(0.9352)


def test_wide_flops_counts_3l_minus_1_matmuls_for_training():
    fwd, train = _mlp.wide_flops(8, 4, layers=2)
    assert fwd == 2 * (2 * 4 * 8 * 8)
    assert train == 5 * (2 * 4 * 8 * 8)


def _book_train_inputs():
    weights, x, labels = _mlp._book_inputs()
    return weights, x, labels, jax.nn.one_hot(labels, 10, dtype=x.dtype)


# The plain-JAX peer adds its biases as users write it (``h @ w + b``), which
# relies on rank promotion: allow it here as the benchmark workers do (JAX's
# default), not the "raise" that conftest.py sets for the library's tests.
allow_rank_promotion = pytest.mark.usefixtures("_allow_rank_promotion")


@pytest.fixture
def _allow_rank_promotion():
    with jax.numpy_rank_promotion("allow"):
        yield


@allow_rank_promotion
def test_book_train_step_implementations_compute_the_same_step():
    weights, x, labels, onehot = _book_train_inputs()
    probs = _mlp.book_predict(_data.book_weights(), np.asarray(x))
    want = -np.mean(np.log(probs[np.arange(labels.size), labels]))
    updated = {}
    # The peers come with the bench extra; the test extra alone has neither.
    needs = {"flax-nnx": "flax", "equinox": "equinox"}
    impls = [
        impl
        for impl in _mlp.BOOK_TRAIN_IMPLS
        if impl not in needs or importlib.util.find_spec(needs[impl]) is not None
    ]
    assert impls[:2] == ["jaxnn", "jax.nn"]
    for impl in impls:
        fn, args, first_loss = _mlp._book_train_fn(impl, weights, x, onehot)
        loss = first_loss()
        assert loss == pytest.approx(want, rel=1e-5), impl
        if impl == "flax-nnx":  # first_loss() left its model one step on
            second = float(fn(*args))
        else:
            params, opt_state, step_loss = fn(*args)
            assert float(step_loss) == pytest.approx(loss)
            second = float(fn(params, opt_state, *args[2:])[-1])
            updated[impl] = jax.tree.leaves(params)
        assert second < loss, impl  # the step descends
        assert first_loss() == loss, impl  # from the initial weights again
    for mine, ref in zip(updated["jaxnn"], updated["jax.nn"], strict=True):
        np.testing.assert_allclose(mine, ref, rtol=1e-5, atol=1e-7)


@allow_rank_promotion
def test_book_train_case_times_every_peer_and_skips_missing_ones(monkeypatch):
    (case,) = [
        c for c in _mlp.cases("xla", Settings(quick=True)) if c.case == _mlp.BOOK_TRAIN
    ]
    assert case.implementations == ("jaxnn", "jax.nn", "flax-nnx", "equinox")
    kw = {"block": jax.block_until_ready, "reps": 1, "min_rep_seconds": 0.0}
    monkeypatch.setattr(_mlp, "_kw", lambda settings, reps=None: kw)
    for package in ("flax", "equinox"):  # importing them fails, installed or not
        monkeypatch.setitem(sys.modules, package, None)
    rows = case.run()
    by_impl = {r["implementation"]: r for r in rows}
    assert set(by_impl) == set(case.implementations)
    for impl, package in (("flax-nnx", "flax"), ("equinox", "equinox")):
        assert by_impl[impl]["skipped"] and package in by_impl[impl]["note"]
    losses = [by_impl[i]["loss"] for i in ("jaxnn", "jax.nn")]
    assert losses[1] == pytest.approx(losses[0], rel=1e-5)
    for impl in ("jaxnn", "jax.nn"):
        r = by_impl[impl]
        assert not r["skipped"] and r["throughput"]["unit"] == "images/s"
        assert (r["suite"], r["size"], r["size_unit"]) == ("mlp", 10_000, "images")


def test_book_train_step_gets_ratios_a_headline_and_no_target():
    case = Case("mlp", _mlp.BOOK_TRAIN, (), 10_000, "float32", list, "images")
    medians = {"jaxnn": 2.0, "jax.nn": 1.0, "flax-nnx": 4.0, "equinox": 2.0}
    rows = [_timed(case, k, v, loss=0.2245442) for k, v in medians.items()]
    _analysis.analyse(rows, "cpu")
    ratios = [(x["to"], x["kind"], x["value"]) for x in rows[0]["ratios"]]
    assert ratios == [
        ("jax.nn", "time", 2.0),
        ("flax-nnx", "time", 0.5),
        ("equinox", "time", 1.0),
    ]
    assert all("targets" not in r for r in rows)
    assert all("ratios" not in r for r in rows[1:])
    summary = _analysis.summary(rows, "cpu")
    assert all(t["met"] is None for t in summary)
    (headline,) = _analysis.headlines(rows)
    assert headline["what"] == "book MNIST train step (jaxnn)"
    assert headline["value"].startswith("2.00x the time of jax.nn")
    results = {"results": rows, "targets": summary, "headlines": [headline]}
    results["device"] = {"platform": "cpu", "kind": "cpu", "count": 1}
    results["versions"] = {"jax": jax.__version__}
    results["run"] = {"machine": "m", "started": "s", "finished": "f", "quick": True}
    results["run"] |= {"command": "c", "loadavg": {"start": [], "end": []}}
    md = _report.markdown(results)
    assert "| book MNIST train step (jaxnn) | 2.00x the time of jax.nn;" in md
    assert "| book MNIST train step (SGD) | jaxnn | 10,000 images |" in md
    assert "loss 0.2245442" in md


def test_xla_activation_case_gives_rows_with_the_schema():
    case = Case(
        "activations", "relu/forward", ("jaxnn", "jax.nn"), 1024, "float32", list
    )
    act = next(a for a in _activations.ACTIVATIONS if a.name == "relu")
    kw = {"block": jax.block_until_ready, "reps": 1, "min_rep_seconds": 0.0}
    rows = _activations._xla_activation(
        case, act, "forward", _activations._Inputs(), {}, kw
    )
    assert [r["implementation"] for r in rows] == ["jaxnn", "jax.nn"]
    for r in rows:
        assert set(r["seconds"]) == {"median", "min", "max"}
        assert r["throughput"]["unit"] == "GB/s" and r["roofline_gbs"] > 0
        assert (r["suite"], r["size"], r["dtype"]) == ("activations", 1024, "float32")
    assert rows[1]["peer_equivalent"] is True


def _timed(case, impl, median, **extra):
    t = {"median": median, "min": median, "max": median, "first_call": 1.0}
    t |= {"reps": 1, "number": 1}
    return row(case, impl, t, throughput=1 / median, unit="1/s", **extra)


def test_analysis_flags_a_slow_activation_and_a_fast_fit():
    act = Case("activations", "tanh/forward", (), 1024, "float32", list)
    fit = Case("logistic", "one fit", (), 686, "float32", list, "rows")
    rows = [
        _timed(act, "jaxnn", 2.0, roofline_gbs=1.0, roofline_gbs_best=1.0),
        _timed(
            act,
            "jax.nn",
            1.0,
            roofline_gbs=1.0,
            roofline_gbs_best=1.0,
            peer_equivalent=True,
        ),
        _timed(fit, "jaxnn", 1.0, weight=0.4, bias=-1.4),
        _timed(fit, "statsmodels", 3.0, weight=0.4, bias=-1.4),
    ]
    _analysis.analyse(rows, "cpu")
    (target,) = rows[0]["targets"]
    assert target["value"] == pytest.approx(2.0) and target["met"] is False
    fit_targets = {t["target"]: t for t in rows[2]["targets"]}
    assert fit_targets[">= 2x statsmodels"]["value"] == pytest.approx(3.0)
    assert fit_targets[">= 2x statsmodels"]["met"] is True
    assert fit_targets["first call < 2 s"]["met"] is True
    summary = {t["target"]: t for t in _analysis.summary(rows, "cpu")}
    assert summary["time <= 1.1x jax.nn's equivalent, every size"]["met"] is False
    assert summary["1000 bootstrap fits >= 20x a statsmodels loop"]["met"] is None


def test_a_whole_run_writes_the_json_schema_markdown_and_plot(tmp_path, monkeypatch):
    case = Case("mlp", "book MNIST forward", (), 10_000, "float32", list, "images")

    def fake_worker(suite, side, quick, timeout):
        rows = []
        if suite == "mlp":
            impl = "book NumPy" if side == "blas" else "jaxnn"
            rows.append(_timed(case, impl, 1.0 if side == "blas" else 0.5))
        info = {"device": {"platform": "cpu", "kind": "cpu", "count": 1}}
        return {"rows": rows, "info": info if side == "xla" else {}, "worker": {}}

    monkeypatch.setattr(bench_main, "run_worker", fake_worker)
    out = tmp_path / "r.json"
    md, png = tmp_path / "r.md", tmp_path / "r.png"
    argv = ["--quick", "--json", str(out), "--markdown", str(md), "--plot", str(png)]
    assert bench_main.main(argv) == 0
    results = json.loads(out.read_text())
    assert set(results) == {
        "device",
        "versions",
        "run",
        "targets",
        "headlines",
        "results",
    }
    assert {"platform", "kind", "count", "cpu_model", "cores"} <= set(results["device"])
    assert {"jax", "jaxlib", "optax", "numpy", "flax", "equinox"} <= set(
        results["versions"]
    )
    assert len(results["run"]["loadavg"]["start"]) == 3
    (jaxnn_row,) = [r for r in results["results"] if r["implementation"] == "jaxnn"]
    assert jaxnn_row["ratios"][0] == {
        "to": "book NumPy",
        "kind": "speedup",
        "value": 2.0,
        "value_of_mins": 2.0,
    }
    line = "| mlp | book MNIST forward >= 1.3x the book's NumPy | 2.00x | met | 2.00x |"
    assert line in md.read_text()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_formats_seconds():
    assert _report.fmt_seconds(1.5) == "1.5 s"
    assert _report.fmt_seconds(2.5e-3) == "2.5 ms"
    assert _report.fmt_seconds(7e-6) == "7 µs"


def test_a_real_worker_process_writes_rows(tmp_path):
    out = tmp_path / "rows.json"
    cmd = [sys.executable, "-m", "benchmarks._worker", "--suite", "mlp"]
    cmd += ["--side", "blas", "--quick", "--out", str(out)]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, timeout=300)
    (r,) = json.loads(out.read_text())["rows"]
    assert r["implementation"] == "book NumPy" and r["accuracy"] == pytest.approx(
        0.9352
    )
    assert r["seconds"]["median"] > 0 and r["throughput"]["unit"] == "images/s"


def test_settings_quick_measures_less():
    assert Settings(quick=True).reps < Settings().reps


def test_a_worker_that_runs_out_of_time_leaves_a_note_not_a_crash():
    result = bench_main.run_worker("mlp", "blas", True, timeout=0.01)
    (note,) = result["rows"]
    assert note["skipped"] and "timed out" in note["note"]
    assert result["worker"]["complete"] is False
