"""Ratios between rows measured in different processes, and the issue's targets.

Kinds of ratio (each stored with the row it describes):

- ``time``: this row's median seconds / the reference's (lower is better);
- ``speedup``: the reference's median seconds / this row's (higher is better);
- ``fraction``: this row's throughput / the reference's (the roofline or the
  same-run ``jnp.dot``; 1.0 is the reference).

``value`` compares medians, and the verdicts use it; ``value_of_mins``
compares the fastest repetitions, which load from other processes disturbs
less: where the two disagree about a target, load noise is the likely cause.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from typing import Any

Row = dict[str, Any]

ACT_TIME_LIMIT = 1.1
GPU_COPY_FRACTION = 0.85
GPU_TOP_SIZE = 2**26
BOOK_SPEEDUP = 1.3
BOOK_MATMUL_LIMIT = 1.1
WIDE_DOT_FRACTION = 0.9
WIDE_PARITY = 1.05
FIT_SPEEDUP = 2.0
BOOTSTRAP_SPEEDUP = 20.0
FIRST_CALL_LIMIT = 2.0


def _median(r: Row) -> float:
    return float(r["seconds"]["median"])


def _best(r: Row) -> float:
    return float(r["seconds"]["min"])


def _compare(r: Row, ref: Row, to: str, kind: str) -> dict[str, Any]:
    """Attach a ``time`` or ``speedup`` ratio of ``r`` to ``ref``; return it."""
    if kind == "time":
        value, of_mins = _median(r) / _median(ref), _best(r) / _best(ref)
    else:
        value, of_mins = _median(ref) / _median(r), _best(ref) / _best(r)
    entry = {"to": to, "kind": kind, "value": value, "value_of_mins": of_mins}
    r.setdefault("ratios", []).append(entry)
    return entry


def _fraction(r: Row, to: str, ref_median: float, ref_best: float) -> dict[str, Any]:
    """Attach this row's throughput as a fraction of a reference throughput
    (``ref_median`` from the reference's median time, ``ref_best`` from its
    fastest repetition); return it."""
    value = r["throughput"]["value"] / ref_median
    best = r["throughput"]["value"] * _median(r) / _best(r)
    entry = {
        "to": to,
        "kind": "fraction",
        "value": value,
        "value_of_mins": best / ref_best,
    }
    r.setdefault("ratios", []).append(entry)
    return entry


def _target(
    r: Row, text: str, ratio: dict[str, Any], ok: Callable[[float], bool]
) -> None:
    """A verdict on ``ratio``: ``met`` by medians (the verdict), and
    ``met_by_mins`` by the fastest repetitions (a load-noise indicator)."""
    r.setdefault("targets", []).append(
        {
            "target": text,
            "value": ratio["value"],
            "met": bool(ok(ratio["value"])),
            "value_of_mins": ratio["value_of_mins"],
            "met_by_mins": bool(ok(ratio["value_of_mins"])),
        }
    )


class _Index:
    def __init__(self, rows: list[Row]) -> None:
        self.rows = [r for r in rows if not r.get("skipped")]

    def find(self, **want: Any) -> list[Row]:
        return [r for r in self.rows if all(r.get(k) == v for k, v in want.items())]

    def one(self, **want: Any) -> Row | None:
        found = self.find(**want)
        return found[0] if found else None


def _activations(ix: _Index, platform: str) -> None:
    for r in ix.find(suite="activations"):
        if r["implementation"] in ("jaxnn", "jax.nn") and r.get("roofline_gbs"):
            frac = _fraction(
                r, "roofline copy (-x)", r["roofline_gbs"], r["roofline_gbs_best"]
            )
            if platform == "gpu" and r["size"] == GPU_TOP_SIZE:
                text = f">= {GPU_COPY_FRACTION:.0%} of copy bandwidth at 2^26"
                _target(r, text, frac, lambda v: v >= GPU_COPY_FRACTION)
        if r["implementation"] != "jaxnn":
            continue
        key = {"suite": "activations", "case": r["case"], "size": r["size"]}
        peer = ix.one(**key, dtype=r["dtype"], implementation="jax.nn")
        if peer is not None:
            ratio = _compare(r, peer, "jax.nn", "time")
            if peer.get("peer_equivalent"):
                text = f"time <= {ACT_TIME_LIMIT}x jax.nn"
                _target(r, text, ratio, lambda v: v <= ACT_TIME_LIMIT)
        numpy_rows = ix.find(**key, dtype=r["dtype"], implementation="numpy")
        if "variant" in r:
            numpy_rows = [n for n in numpy_rows if n.get("variant") == r["variant"]]
        elif r["case"].startswith("gelu/"):
            numpy_rows = []  # jaxnn's gelu matched no known variant
        if numpy_rows:
            _compare(r, numpy_rows[0], "numpy", "speedup")


MNIST_PEERS = ("flax-nnx", "flax-nnx (nnx.jit)", "equinox")
MNIST_TRAIN_PEERS = ("jax.nn", "flax-nnx", "equinox")


def _mlp(ix: _Index) -> None:
    book = "book MNIST forward"
    numpy = ix.one(suite="mlp", case=book, implementation="book NumPy")
    matmuls = ix.one(suite="mlp", case=book, implementation="3 bare matmuls")
    for r in ix.find(suite="mlp", case=book):
        impl = r["implementation"]
        if impl in ("book NumPy", "3 bare matmuls"):
            continue
        if numpy is not None:
            ratio = _compare(r, numpy, "book NumPy", "speedup")
            if impl == "jaxnn":
                text = f">= {BOOK_SPEEDUP}x the book's NumPy"
                _target(r, text, ratio, lambda v: v >= BOOK_SPEEDUP)
        if matmuls is not None:
            ratio = _compare(r, matmuls, "3 bare matmuls", "time")
            if impl == "jaxnn":
                text = f"time <= {BOOK_MATMUL_LIMIT}x its 3 bare matmuls"
                _target(r, text, ratio, lambda v: v <= BOOK_MATMUL_LIMIT)
        if impl == "jaxnn":
            for peer in ix.find(suite="mlp", case=book):
                if peer["implementation"] in MNIST_PEERS:
                    _compare(r, peer, peer["implementation"], "time")
    # The training step is informational: time ratios to its peers, no target.
    train = "book MNIST train step (SGD)"
    jaxnn_train = ix.one(suite="mlp", case=train, implementation="jaxnn")
    if jaxnn_train is not None:
        for name in MNIST_TRAIN_PEERS:
            train_peer = ix.one(suite="mlp", case=train, implementation=name)
            if train_peer is not None:
                _compare(jaxnn_train, train_peer, name, "time")
    for case in ("wide MLP forward", "wide MLP train step (Adam)"):
        jaxnn_row = ix.one(suite="mlp", case=case, implementation="jaxnn")
        for r in ix.find(suite="mlp", case=case):
            frac = _fraction(r, "jnp.dot", r["dot_gflops"], r["dot_gflops_best"])
            if r is jaxnn_row and case == "wide MLP forward":
                text = f">= {WIDE_DOT_FRACTION:.0%} of jnp.dot throughput"
                _target(r, text, frac, lambda v: v >= WIDE_DOT_FRACTION)
            if jaxnn_row is not None and r is not jaxnn_row:
                ratio = _compare(jaxnn_row, r, r["implementation"], "time")
                if case == "wide MLP forward":
                    text = f"parity: time <= {WIDE_PARITY}x {r['implementation']}"
                    _target(jaxnn_row, text, ratio, lambda v: v <= WIDE_PARITY)


def _logistic(ix: _Index) -> None:
    for case, limit in (
        ("one fit", FIT_SPEEDUP),
        ("bootstrap fits", BOOTSTRAP_SPEEDUP),
    ):
        r = ix.one(suite="logistic", case=case, implementation="jaxnn")
        if r is None:
            continue
        loop = "" if case == "one fit" else " loop"
        for peer_name in ("statsmodels", "scikit-learn"):
            peer = ix.one(suite="logistic", case=case, implementation=peer_name + loop)
            if peer is None:
                continue
            ratio = _compare(r, peer, peer_name + loop, "speedup")
            if peer_name == "statsmodels":
                text = f">= {limit:g}x statsmodels{loop}"
                _target(r, text, ratio, lambda v, limit=limit: v >= limit)
                if case == "one fit" and "weight" in r:
                    r["statsmodels_abs_diff"] = {
                        "weight": abs(r["weight"] - peer["weight"]),
                        "bias": abs(r["bias"] - peer["bias"]),
                    }
        if case == "one fit":
            first = float(r["first_call_seconds"])
            entry = {"value": first, "value_of_mins": first}
            text = f"first call < {FIRST_CALL_LIMIT:g} s"
            _target(r, text, entry, lambda v: v < FIRST_CALL_LIMIT)


def analyse(rows: list[Row], platform: str) -> list[Row]:
    """Attach ratios and per-row target verdicts to ``rows`` (in place)."""
    ix = _Index(rows)
    _activations(ix, platform)
    _mlp(ix)
    _logistic(ix)
    return rows


def _summary_item(
    suite: str,
    text: str,
    rows: list[Row],
    match: Callable[[dict[str, Any]], bool],
    worst: Callable[[list[float]], float],
    fmt: str,
) -> dict[str, Any]:
    hits = [
        (r, t)
        for r in rows
        for t in r.get("targets", [])
        if match(t) and r["suite"] == suite
    ]
    if not hits:
        return {"suite": suite, "target": text, "met": None, "measured": "not measured"}
    values = [t["value"] for _, t in hits]
    misses = [(r, t) for r, t in hits if not t["met"]]
    detail = ", ".join(
        f"{r['case']} {r['dtype']} n={r['size']}: {fmt.format(t['value'])}"
        for r, t in misses[:6]
    )
    if len(misses) > 6:
        detail += f", ... ({len(misses)} in all)"
    measured = fmt.format(worst(values))
    by_mins = fmt.format(worst([t["value_of_mins"] for _, t in hits]))
    if len(hits) > 1:
        measured = f"worst {measured} over {len(hits)} results; {len(misses)} missed"
        missed_by_mins = sum(not t["met_by_mins"] for _, t in hits)
        by_mins = f"worst {by_mins}; {missed_by_mins} missed"
    return {
        "suite": suite,
        "target": text,
        "met": not misses,
        "measured": measured,
        "misses": detail,
        "by_minimum_times": by_mins,
    }


def summary(rows: list[Row], platform: str) -> list[dict[str, Any]]:
    """One line per target of the issue: the measured value and met / missed."""

    def starts(prefix: str) -> Callable[[dict[str, Any]], bool]:
        return lambda t: t["target"].startswith(prefix)

    out = [
        _summary_item(
            "activations",
            f"time <= {ACT_TIME_LIMIT}x jax.nn's equivalent, every size",
            rows,
            starts("time <= 1.1x jax.nn"),
            max,
            "{:.2f}x",
        )
    ]
    if platform == "gpu":
        out.append(
            _summary_item(
                "activations",
                f">= {GPU_COPY_FRACTION:.0%} of same-run copy bandwidth at 2^26",
                rows,
                starts(">= 85% of copy"),
                min,
                "{:.0%}",
            )
        )
    out += [
        _summary_item(
            "mlp",
            f"book MNIST forward >= {BOOK_SPEEDUP}x the book's NumPy",
            rows,
            starts(">= 1.3x the book"),
            min,
            "{:.2f}x",
        ),
        _summary_item(
            "mlp",
            f"book MNIST forward <= {BOOK_MATMUL_LIMIT}x its 3 bare matmuls",
            rows,
            starts("time <= 1.1x its 3"),
            max,
            "{:.2f}x",
        ),
        _summary_item(
            "mlp",
            f"wide MLP forward >= {WIDE_DOT_FRACTION:.0%} of same-run jnp.dot",
            rows,
            starts(">= 90% of jnp.dot"),
            min,
            "{:.0%}",
        ),
        _summary_item(
            "mlp",
            "wide MLP forward parity (within 5%) with Flax NNX",
            rows,
            starts("parity: time <= 1.05x flax-nnx"),
            max,
            "{:.2f}x",
        ),
        _summary_item(
            "mlp",
            "wide MLP forward parity (within 5%) with Equinox",
            rows,
            starts("parity: time <= 1.05x equinox"),
            max,
            "{:.2f}x",
        ),
        _summary_item(
            "logistic",
            f"warm fit >= {FIT_SPEEDUP:g}x statsmodels",
            rows,
            starts(">= 2x statsmodels"),
            min,
            "{:.1f}x",
        ),
        _summary_item(
            "logistic",
            f"1000 bootstrap fits >= {BOOTSTRAP_SPEEDUP:g}x a statsmodels loop",
            rows,
            starts(">= 20x statsmodels loop"),
            min,
            "{:.1f}x",
        ),
        _summary_item(
            "logistic",
            f"first fit call < {FIRST_CALL_LIMIT:g} s",
            rows,
            starts("first call <"),
            max,
            "{:.2f} s",
        ),
    ]
    return out


def _geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def ratio(r: Row, to: str) -> float | None:
    """The row's time ratio to the contender ``to``, or None if it has none."""
    for x in r.get("ratios", []):
        if x["to"] == to:
            return float(x["value"])
    return None


def headlines(rows: list[Row]) -> list[dict[str, Any]]:
    """A few numbers that summarise a run (for the README and the docs)."""
    out: list[dict[str, Any]] = []
    ok = [r for r in rows if not r.get("skipped")]

    acts = [
        r for r in ok if r["suite"] == "activations" and r["implementation"] == "jaxnn"
    ]
    for dtype in ("float32", "bfloat16"):
        for mode in ("forward", "forward+grad"):
            mine = [r for r in acts if r["dtype"] == dtype and r["case"].endswith(mode)]
            vs = [
                v
                for r in mine
                if any(t["target"].startswith("time <=") for t in r.get("targets", []))
                and (v := ratio(r, "jax.nn")) is not None
            ]
            if vs:
                out.append(
                    {
                        "what": f"activations {mode} {dtype}: jaxnn time / jax.nn time",
                        "value": f"geometric mean {_geomean(vs):.2f}x over "
                        f"{len(vs)} (activation, size) pairs; "
                        f"range {min(vs):.2f}x-{max(vs):.2f}x",
                    }
                )
            top = max((r["size"] for r in mine), default=None)
            fr = [
                v
                for r in mine
                if r["size"] == top
                and (v := ratio(r, "roofline copy (-x)")) is not None
            ]
            if fr:
                out.append(
                    {
                        "what": f"activations {mode} {dtype} at {top:,} elements: "
                        "fraction of the same-run copy bandwidth",
                        "value": f"median {statistics.median(fr):.0%}; "
                        f"range {min(fr):.0%}-{max(fr):.0%}",
                    }
                )
    for case, what in (
        ("book MNIST forward", "book MNIST forward (jaxnn)"),
        ("book MNIST train step (SGD)", "book MNIST train step (jaxnn)"),
        ("wide MLP forward", "wide MLP forward (jaxnn)"),
        ("wide MLP train step (Adam)", "wide MLP Adam step (jaxnn)"),
        ("one fit", "one logistic fit (jaxnn, warm)"),
        ("bootstrap fits", "1000 bootstrap fits (jaxnn)"),
    ):
        for r in ok:
            if r["case"] == case and r["implementation"] == "jaxnn" and r.get("ratios"):
                parts = []
                for x in r["ratios"]:
                    v = x["value"]
                    if x["kind"] == "fraction":
                        parts.append(f"{v:.0%} of {x['to']}")
                    elif x["kind"] == "speedup":
                        parts.append(f"{v:.3g}x faster than {x['to']}")
                    else:
                        parts.append(f"{v:.2f}x the time of {x['to']}")
                out.append({"what": what, "value": "; ".join(parts)})
    return out
