"""Smoke tests of the benchmark harness (``benchmarks/``): no timed assertions.

They check the timing protocol, that the activations suite covers every
activation jaxnn names, the book's NumPy against ``jax.nn`` (an independent
implementation) and against the book's printed accuracy, that every
implementation of the book network's training step computes the same step,
the ratios and targets on hand-made rows, a whole run with fake workers, and
real worker processes end to end.
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
import optax
import pytest

import jaxnn
from benchmarks import __main__ as bench_main
from benchmarks import _activations, _data, _mlp, _report, _targets, _timing
from benchmarks._timing import PROFILES
from benchmarks._worker import Case, row

ROOT = Path(__file__).resolve().parent.parent


def test_measure_calls_block_after_every_call_and_reports_spread():
    calls, blocked = [], []

    def fn(a, b):
        calls.append((a, b))
        return a + b

    t = _timing.measure(fn, 1, 2, block=blocked.append, reps=4, min_rep_seconds=0.0)
    # one untimed first call, one calibration run (the first rep), 3 more reps
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
    out = _timing.measure_side_by_side(fns, reps=3, min_rep_seconds=0.0)
    assert len(out) == 2
    # A: first + calibration, B: first + calibration, then A, B, A, B
    assert "".join(order) == "AABB" + "ABAB"


def test_side_by_side_time_budget_cuts_reps_of_slow_calls_but_keeps_three():
    slow = (lambda: time.sleep(0.02), ())
    (t,) = _timing.measure_side_by_side(
        [slow], reps=11, min_rep_seconds=0.0, max_seconds=0.01
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


def test_every_activation_jaxnn_names_is_timed_once():
    timed = dict(_activations.activations())
    for name in jaxnn.activation_names():
        fn = jaxnn.get_activation(name)
        assert name in timed or any(fn is other for other in timed.values()), name
    cases = _activations.cases("xla", PROFILES["smoke"], "cpu")
    want = {f"{name}/{mode}" for name in timed for mode in _activations.MODES}
    for dtype in ("float32", "bfloat16"):
        assert {c.case for c in cases if c.dtype == dtype} == want | {"copy"}


def test_accelerator_sizes_span_2_20_to_2_26_largest_first():
    sizes = _activations.sizes(PROFILES["full"], "gpu")
    assert min(sizes["float32"]) == 2**20 and max(sizes["float32"]) == 2**26
    cases = _activations.cases("xla", PROFILES["full"], "gpu")
    assert cases[0].size == 2**26 and cases[0].dtype == "float32"


PROBE = np.linspace(-7.5, 7.5, 2 * _activations.ROW_WIDTH, dtype=np.float32)
JAX_NN = {
    "step": lambda x: jnp.heaviside(x, 0.0),
    "identity": jax.nn.identity,
    "sigmoid": jax.nn.sigmoid,
    "relu": jax.nn.relu,
    "softmax": jax.nn.softmax,
}


@pytest.mark.parametrize("name", list(_activations.BOOK_NUMPY))
def test_book_numpy_agrees_with_jax_nn(name):
    ref = JAX_NN[name]
    x = PROBE.reshape(-1, _activations.ROW_WIDTH) if name == "softmax" else PROBE
    fwd = _activations.numpy_function(name, "forward")
    np.testing.assert_allclose(fwd(x), ref(jnp.asarray(x)), rtol=2e-5, atol=2e-6)
    fwd_grad = _activations.numpy_function(name, "forward+grad")
    if fwd_grad is None:
        return
    ct = np.cos(x)  # a cotangent that is not all ones
    y_ref, pullback = jax.vjp(ref, jnp.asarray(x))
    (dx_ref,) = pullback(jnp.asarray(ct))
    y, dx = fwd_grad(x, ct)
    np.testing.assert_allclose(y, y_ref, rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-4, atol=1e-5)


def test_a_peer_computing_another_function_is_marked():
    assert _activations.equivalent(jax.nn.relu, jax.nn.relu, False) == ""
    note = _activations.equivalent(jax.nn.relu, jax.nn.elu, False)
    assert "not a like-for-like ratio" in note


def test_book_numpy_forward_reaches_the_books_accuracy():
    images, labels = _data.mnist_test()
    assert images.shape == (10_000, 784) and labels.shape == (10_000,)
    probs = _mlp.book_predict(_data.book_weights(), images)
    assert np.mean(np.argmax(probs, axis=1) == labels) == pytest.approx(0.9352)


def test_wide_flops_counts_3l_minus_1_matmuls_for_training():
    fwd, train = _mlp.wide_flops(8, 4, layers=2)
    assert fwd == 2 * (2 * 4 * 8 * 8)
    assert train == 5 * (2 * 4 * 8 * 8)


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
    weights, x, labels = _mlp.book_inputs()
    onehot = jax.nn.one_hot(labels, 10, dtype=x.dtype)
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
        tx = optax.sgd(_mlp.BOOK_LR)
        spec = ("sigmoid", "log_softmax", x, onehot, _mlp._xent, tx)
        step, args = _mlp.contender(impl, weights, *spec)
        first = step(*args)
        loss = float(jax.tree.leaves(first)[-1])  # the loss comes last
        assert loss == pytest.approx(want, rel=1e-5), impl
        if impl == "flax-nnx":  # the step updated its model in place
            second = float(step(*args))
        else:
            params, opt_state, _ = first
            second = float(step(params, opt_state, *args[2:])[-1])
            updated[impl] = jax.tree.leaves(params)
        assert second < loss, impl  # the step descends
    for mine, ref in zip(updated["jaxnn"], updated["jax.nn"], strict=True):
        np.testing.assert_allclose(mine, ref, rtol=1e-5, atol=1e-7)


@allow_rank_promotion
def test_book_train_case_times_every_peer_and_skips_missing_ones(monkeypatch):
    (case,) = [
        c
        for c in _mlp.cases("xla", PROFILES["smoke"], "cpu")
        if c.case == _mlp.BOOK_TRAIN
    ]
    assert case.implementations == ("jaxnn", "jax.nn", "flax-nnx", "equinox")
    for package in ("flax", "equinox"):  # importing them fails, installed or not
        monkeypatch.setitem(sys.modules, package, None)
    rows = case.run(case)
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


def test_xla_activation_case_gives_rows_with_the_schema():
    kw = {"block": jax.block_until_ready, "reps": 1, "min_rep_seconds": 0.0}
    for name, mode in (("relu", "forward"), ("softmax", "forward+grad")):
        case = Case(
            "activations", f"{name}/{mode}", ("jaxnn", "jax.nn"), 2048, "float32", None
        )
        rows = _activations._xla_activation(
            case, jaxnn.get_activation(name), getattr(jax.nn, name), kw
        )
        assert [r["implementation"] for r in rows] == ["jaxnn", "jax.nn"]
        for r in rows:
            assert set(r["seconds"]) == {"median", "min", "max"}
            assert r["throughput"]["unit"] == "GB/s" and r["roofline_gbs"] > 0
            assert (r["suite"], r["size"], r["dtype"]) == (
                "activations",
                2048,
                "float32",
            )
        assert rows[1]["peer_equivalent"] is True


def _timed(case, impl, median, side="xla", **extra):
    t = {"median": median, "min": median, "max": median, "first_call": 1.0}
    t |= {"reps": 1, "number": 1}
    return row(case, impl, t, throughput=1 / median, unit="1/s", side=side, **extra)


def _case(suite, name, size, dtype="float32"):
    return Case(suite, name, (), size, dtype, None)


def test_ratios_are_times_to_xla_peers_and_speedups_over_blas_peers():
    book = _case("mlp", _targets.BOOK, 10_000)
    rows = [
        _timed(book, "jaxnn", 2.0),
        _timed(book, "flax-nnx", 4.0),
        _timed(book, "book NumPy", 8.0, side="blas"),
        _timed(_case("mlp", _targets.BOOK, 10_000, "bfloat16"), "equinox", 1.0),
    ]
    _targets.analyse(rows, "cpu")
    ratios = {(x["to"], x["kind"]): x["value"] for x in rows[0]["ratios"]}
    assert ratios == {("flax-nnx", "time"): 0.5, ("book NumPy", "speedup"): 4.0}
    assert all("ratios" not in r for r in rows[1:])  # only jaxnn's rows


def test_targets_judge_the_platforms_rows():
    act = _case("activations", "tanh/forward", 2**26)
    train = _case("mlp", _targets.TRAIN, 10_000)
    fit = _case("logistic", "one fit", 686)
    copy = {"roofline_gbs": 4.0, "roofline_gbs_best": 4.0}  # throughput 0.5 -> 1/8
    rows = [
        _timed(act, "jaxnn", 2.0, **copy),
        _timed(act, "jax.nn", 1.0, peer_equivalent=True, **copy),
        _timed(train, "jaxnn", 2.0),
        _timed(train, "flax-nnx", 1.0),
        _timed(fit, "jaxnn", 1.0),
        _timed(fit, "statsmodels", 3.0, side="blas", dtype="float64"),
    ]
    cpu = _targets.analyse([dict(r) for r in rows], "cpu")
    verdicts = {t["target"]: t["met"] for r in cpu for t in r.get("targets", [])}
    assert verdicts == {
        "activations, every size <= 1.1x the time of jax.nn": False,
        "warm fit >= 2x faster than statsmodels": True,
        "one fit: first call <= 2 s": True,
    }
    gpu = _targets.analyse(rows, "gpu")
    verdicts = {t["target"]: t for r in gpu for t in r.get("targets", [])}
    assert set(verdicts) == {
        "activations forward, float32, 2^26 >= 85% of roofline copy (-x)",
        "activations forward, float32, 2^26 <= 1.05x the time of jax.nn",
        "book MNIST train step (SGD) <= 1.1x the time of flax-nnx",
    }
    assert all(t["met"] is False for t in verdicts.values())
    copy_target = verdicts[
        "activations forward, float32, 2^26 >= 85% of roofline copy (-x)"
    ]
    assert copy_target["value"] == pytest.approx(0.125)
    summary = {t["target"]: t for t in _targets.summary(gpu, "gpu")}
    assert len(summary) == sum(t.platform == "gpu" for t in _targets.TARGETS)
    assert summary["book MNIST forward <= 1.1x the time of equinox"]["met"] is None
    assert (
        summary["book MNIST train step (SGD) <= 1.1x the time of flax-nnx"]["measured"]
        == "2.00x"
    )


def test_no_target_judges_a_peer_that_computes_another_function():
    act = _case("activations", "gelu/forward", 2**10)
    copy = {"roofline_gbs": 1.0, "roofline_gbs_best": 1.0}
    rows = [
        _timed(act, "jaxnn", 2.0, **copy),
        _timed(act, "jax.nn", 1.0, peer_equivalent=False, **copy),
    ]
    _targets.analyse(rows, "cpu")
    assert "targets" not in rows[0]
    assert {"to": "jax.nn", "equivalent": False}.items() <= rows[0]["ratios"][1].items()
    assert _targets.headlines(rows)[0]["value"].startswith("median")  # no geomean


def test_a_whole_run_writes_the_json_schema_markdown_and_plot(tmp_path, monkeypatch):
    case = _case("mlp", _targets.BOOK, 10_000)

    def fake_worker(suite, side, profile, platform, timeout, reps):
        assert profile == "quick" and timeout > 0 and reps is None
        rows = []
        if suite == "mlp":
            impl = "book NumPy" if side == "blas" else "jaxnn"
            rows.append(_timed(case, impl, 1.0 if side == "blas" else 0.5, side=side))
        info = {"device": {"platform": "cpu", "kind": "cpu", "count": 1}}
        worker = {"suite": suite, "side": side, "complete": True}
        return {"rows": rows, "info": info if side == "xla" else {}, "worker": worker}

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
    assert len(results["run"]["source_sha256"]) == 64
    (jaxnn_row,) = [r for r in results["results"] if r["implementation"] == "jaxnn"]
    assert jaxnn_row["ratios"] == [
        {"to": "book NumPy", "kind": "speedup", "value": 2.0, "value_of_mins": 2.0}
    ]
    line = "| mlp | book MNIST forward >= 1.3x faster than book NumPy | 2.00x | met |"
    assert line in md.read_text()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # Judged again from the JSON alone: the same verdicts and report.
    again = tmp_path / "again.md"
    assert bench_main.main(["--from-json", str(out), "--markdown", str(again)]) == 0
    judged, *rest = [ln for ln in again.read_text().splitlines() if "again" in ln]
    assert not rest and f"--from-json {out}" in judged
    assert again.read_text().replace(judged + "\n", "") == md.read_text()


def test_report_formats_seconds():
    assert _report.fmt_seconds(1.5) == "1.5 s"
    assert _report.fmt_seconds(2.5e-3) == "2.5 ms"
    assert _report.fmt_seconds(7e-6) == "7 µs"


def test_a_real_worker_process_writes_rows(tmp_path):
    out = tmp_path / "rows.json"
    cmd = [sys.executable, "-m", "benchmarks._worker", "--suite", "mlp"]
    cmd += ["--side", "blas", "--profile", "smoke", "--reps", "1", "--out", str(out)]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, timeout=300)
    saved = json.loads(out.read_text())
    (r,) = saved["rows"]
    assert saved["complete"] and r["side"] == "blas" and r["reps"] == 1
    assert r["implementation"] == "book NumPy"
    assert r["accuracy"] == pytest.approx(0.9352)
    assert r["seconds"]["median"] > 0 and r["throughput"]["unit"] == "images/s"


def test_profiles_measure_less_in_turn():
    full, quick, smoke = (PROFILES[p] for p in ("full", "quick", "smoke"))
    assert full.reps > quick.reps > smoke.reps
    assert full.min_rep_seconds > quick.min_rep_seconds > smoke.min_rep_seconds


def test_a_worker_that_runs_out_of_time_leaves_a_note_not_a_crash():
    result = bench_main.run_worker("mlp", "blas", "quick", "cpu", timeout=0.01)
    (note,) = result["rows"]
    assert note["skipped"] and "timed out" in note["note"]
    assert result["worker"]["complete"] is False


@allow_rank_promotion
def test_wide_mlp_rows_are_fractions_of_the_dot_timed_beside_them():
    (case,) = [
        c
        for c in _mlp.cases("xla", PROFILES["smoke"], "cpu")
        if c.case == _mlp.WIDE_FWD
    ]
    rows = _targets.analyse(case.run(case), "cpu")
    by_impl = {r["implementation"]: r for r in rows}
    assert by_impl["jnp.dot"]["case"] == "jnp.dot"
    assert by_impl["jnp.dot"]["throughput"]["unit"] == "GFLOP/s"
    kinds = {(x["to"], x["kind"]) for x in by_impl["jaxnn"]["ratios"]}
    assert kinds == {("jnp.dot", "fraction"), ("flax-nnx", "time"), ("equinox", "time")}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--reps", "0"], "--reps must be positive, got 0"),
        (["--deadline", "-5"], "--deadline must be positive, got -5.0"),
        (["--from-json", "{tmp}/x.json"], "is not a results file"),
    ],
    ids=["reps", "deadline", "from-json"],
)
def test_bad_options_are_named_in_the_error(argv, message, tmp_path, capsys):
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(SystemExit):
        bench_main.main([a.format(tmp=tmp_path) for a in argv])
    assert message in capsys.readouterr().err
