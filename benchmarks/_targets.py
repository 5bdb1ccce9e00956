"""The targets jaxnn's benchmarks are judged by (``TARGETS``), and the ratios
they judge.

Every jaxnn row gets a ratio to each other implementation timed in the same
case at the same size (and dtype; a peer that computes in float64, as
statsmodels does, stands for every dtype): ``time`` = this time / the peer's
(lower is better) for peers on the XLA side, ``speedup`` = the peer's time /
this time for NumPy/BLAS peers. Rows timed beside a same-run reference (the
roofline copy, ``jnp.dot``) also get a ``fraction`` = this throughput / the
reference's. ``value`` compares medians and gives the verdicts;
``value_of_mins`` compares the fastest repetitions, which load from other
processes disturbs less: where the two disagree about a target, suspect noise.
"""

from __future__ import annotations

import fnmatch
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

Row = dict[str, Any]


@dataclass(frozen=True)
class Target:
    """A bound on jaxnn's ratio to ``to`` in the cases ``case`` (an fnmatch
    pattern) matches, on one platform (JAX's name for it). ``to`` is another
    implementation, a same-run reference, or "first call" (its seconds)."""

    platform: str
    suite: str
    case: str
    to: str
    bound: str  # "<=" or ">="
    limit: float
    what: str = ""  # how the text names the cases (default: ``case``)
    size: int | None = None
    dtype: str | None = None

    def judges(self, r: Row, platform: str) -> bool:
        """Whether this target applies to row ``r`` of a run on ``platform``."""
        mine = (platform, r["suite"], r["implementation"], r["size"], r["dtype"])
        return (
            (self.platform, self.suite, "jaxnn") == mine[:3]
            and fnmatch.fnmatchcase(r["case"], self.case)
            and self.size in (None, mine[3])
            and self.dtype in (None, mine[4])
        )

    def met(self, value: float) -> bool:
        return value <= self.limit if self.bound == "<=" else value >= self.limit

    @property
    def text(self) -> str:
        what = self.what or self.case
        if self.to == "first call":
            return f"{what}: first call {self.bound} {self.limit:g} s"
        if self.to in REFERENCES.values():
            return f"{what} {self.bound} {self.limit:.0%} of {self.to}"
        how = "the time of" if self.bound == "<=" else "faster than"
        return f"{what} {self.bound} {self.limit:g}x {how} {self.to}"


BOOK, TRAIN = "book MNIST forward", "book MNIST train step (SGD)"
WIDE, COPY = "wide MLP forward", "roofline copy (-x)"
# Row fields that hold a same-run reference throughput (median, fastest).
REFERENCES = {"roofline_gbs": COPY, "dot_gflops": "jnp.dot"}
GPU_ACT, GPU_TOP = "activations forward, float32, 2^26", (2**26, "float32")
TARGETS = (
    # On a CPU (the committed benchmarks/results/cpu.*).
    Target("cpu", "activations", "*", "jax.nn", "<=", 1.1, "activations, every size"),
    Target("cpu", "mlp", BOOK, "book NumPy", ">=", 1.3),
    Target("cpu", "mlp", BOOK, "3 bare matmuls", "<=", 1.1),
    Target("cpu", "mlp", WIDE, "jnp.dot", ">=", 0.9),
    Target("cpu", "mlp", WIDE, "flax-nnx", "<=", 1.05),
    Target("cpu", "mlp", WIDE, "equinox", "<=", 1.05),
    Target("cpu", "logistic", "one fit", "statsmodels", ">=", 2.0, "warm fit"),
    Target("cpu", "logistic", "bootstrap fits", "statsmodels loop", ">=", 20.0),
    Target("cpu", "logistic", "one fit", "first call", "<=", 2.0),
    # On a GPU (an H100 or H200).
    Target("gpu", "activations", "*/forward", COPY, ">=", 0.85, GPU_ACT, *GPU_TOP),
    Target("gpu", "activations", "*/forward", "jax.nn", "<=", 1.05, GPU_ACT, *GPU_TOP),
    *(
        Target("gpu", "mlp", case, peer, "<=", 1.1)
        for case in (BOOK, TRAIN)
        for peer in ("flax-nnx", "equinox")
    ),
)


def _ratios(rows: list[Row]) -> None:
    groups = defaultdict(list)
    for r in rows:
        groups[r["suite"], r["case"], r["size"]].append(r)
    for r in rows:
        for field, to in REFERENCES.items():
            if field in r:  # throughputs, by medians and by fastest repetitions
                mine = r["throughput"]["value"]
                best = mine * _secs(r, "median") / _secs(r, "min")
                r.setdefault("ratios", []).append(
                    {"to": to, "kind": "fraction", "value": mine / r[field]}
                    | {"value_of_mins": best / r[f"{field}_best"]}
                )
        if r["implementation"] != "jaxnn":
            continue
        for peer in groups[r["suite"], r["case"], r["size"]]:
            if peer is r or peer["dtype"] not in (r["dtype"], "float64"):
                continue
            kind = "speedup" if peer.get("side") == "blas" else "time"
            a, b = (peer, r) if kind == "speedup" else (r, peer)
            entry = {
                "to": peer["implementation"],
                "kind": kind,
                "value": _secs(a, "median") / _secs(b, "median"),
                "value_of_mins": _secs(a, "min") / _secs(b, "min"),
            }
            if peer.get("peer_equivalent") is False:
                entry["equivalent"] = False  # a different function: no verdict
            r.setdefault("ratios", []).append(entry)


def _secs(r: Row, which: str) -> float:
    return float(r["seconds"][which])


def _value(target: Target, r: Row) -> tuple[float, float] | None:
    """The (median-based, fastest-based) value ``target`` judges in ``r``."""
    if target.to == "first call":
        return r["first_call_seconds"], r["first_call_seconds"]
    for x in r.get("ratios", []):
        if x["to"] == target.to and x.get("equivalent", True):
            return x["value"], x["value_of_mins"]
    return None


def analyse(rows: list[Row], platform: str) -> list[Row]:
    """Attach ratios, and the verdicts of ``platform``'s targets, to the
    rows (in place; skipped rows get neither). Returns ``rows``."""
    timed = [r for r in rows if not r.get("skipped")]
    _ratios(timed)
    for t in TARGETS:
        for r in timed:
            if t.judges(r, platform) and (values := _value(t, r)) is not None:
                r.setdefault("targets", []).append(
                    {
                        "target": t.text,
                        "value": values[0],
                        "met": t.met(values[0]),
                        "value_of_mins": values[1],
                        "met_by_mins": t.met(values[1]),
                    }
                )
    return rows


def fmt(value: float, to: str) -> str:
    """A ratio or a target's value as text."""
    if to in REFERENCES.values():
        return f"{value:.0%}"
    return f"{value:.2f} s" if to == "first call" else f"{value:.2f}x"


def summary(rows: list[Row], platform: str) -> list[dict[str, Any]]:
    """One line per target of ``platform``: worst value, verdict, misses."""
    out = []
    for target in (t for t in TARGETS if t.platform == platform):
        hits = [
            (r, v)
            for r in rows
            for v in r.get("targets", [])
            if v["target"] == target.text and r["suite"] == target.suite
        ]
        line: dict[str, Any] = {"suite": target.suite, "target": target.text}
        if not hits:
            out.append(line | {"met": None, "measured": "not measured"})
            continue
        worst = max if target.bound == "<=" else min
        measured = fmt(worst(v["value"] for _, v in hits), target.to)
        by_mins = fmt(worst(v["value_of_mins"] for _, v in hits), target.to)
        misses = [(r, v) for r, v in hits if not v["met"]]
        if len(hits) > 1:
            measured = (
                f"worst {measured} over {len(hits)} results; {len(misses)} missed"
            )
            missed_by_mins = sum(not v["met_by_mins"] for _, v in hits)
            by_mins = f"worst {by_mins}; {missed_by_mins} missed"
        detail = ", ".join(
            f"{r['case']} {r['dtype']} n={r['size']}: {fmt(v['value'], target.to)}"
            for r, v in misses[:6]
        )
        if len(misses) > 6:
            detail += f", ... ({len(misses)} in all)"
        out.append(
            line
            | {"met": not misses, "measured": measured, "misses": detail}
            | {"by_minimum_times": by_mins}
        )
    return out


def ratio(r: Row, to: str) -> float | None:
    """The row's ratio to ``to`` (median-based), or None if it has none."""
    return next((x["value"] for x in r.get("ratios", []) if x["to"] == to), None)


def _geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


HEADLINE_CASES = {
    "book MNIST forward": "book MNIST forward (jaxnn)",
    "book MNIST train step (SGD)": "book MNIST train step (jaxnn)",
    "wide MLP forward": "wide MLP forward (jaxnn)",
    "wide MLP train step (Adam)": "wide MLP Adam step (jaxnn)",
    "one fit": "one logistic fit (jaxnn, warm)",
    "bootstrap fits": "1000 bootstrap fits (jaxnn)",
}


def headlines(rows: list[Row]) -> list[dict[str, str]]:
    """A few numbers that summarise a run (for the README and the docs)."""
    out = []
    mine = [r for r in rows if not r.get("skipped") and r["implementation"] == "jaxnn"]
    acts = [r for r in mine if r["suite"] == "activations"]
    for dtype in ("float32", "bfloat16"):
        for mode in ("forward", "forward+grad"):
            view = [r for r in acts if r["dtype"] == dtype and r["case"].endswith(mode)]
            vs = [  # like-for-like peers only
                x["value"]
                for r in view
                for x in r.get("ratios", [])
                if x["to"] == "jax.nn" and x.get("equivalent", True)
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
            top = max((r["size"] for r in view), default=None)
            fr = [ratio(r, COPY) for r in view if r["size"] == top]
            fr = [v for v in fr if v is not None]
            if fr:
                out.append(
                    {
                        "what": f"activations {mode} {dtype} at {top:,} elements: "
                        "fraction of the same-run copy bandwidth",
                        "value": f"median {statistics.median(fr):.0%}; "
                        f"range {min(fr):.0%}-{max(fr):.0%}",
                    }
                )
    for case, what in HEADLINE_CASES.items():
        for r in mine:
            if r["case"] == case and r.get("ratios"):
                parts = [
                    fmt(x["value"], x["to"])
                    + {"fraction": " of ", "speedup": " faster than "}.get(
                        x["kind"], " the time of "
                    )
                    + x["to"]
                    for x in r["ratios"]
                ]
                out.append({"what": what, "value": "; ".join(parts)})
    return out
