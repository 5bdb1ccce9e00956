"""One benchmark process: ``python -m benchmarks._worker --suite S --side SIDE``.

``--side xla`` runs the JAX-based implementations (jaxnn, jax.nn, Flax NNX,
Equinox); ``--side blas`` runs the NumPy/BLAS-based peers (the book's NumPy,
statsmodels, scikit-learn). The two never share a process: on a small CPU,
OpenBLAS threads that spin after a call slow the next XLA call. After every
case the rows so far are saved to ``--out`` as JSON, so a worker stopped
early still leaves what it measured; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchmarks._timing import PROFILES, Settings

SUITES = ("mlp", "logistic", "activations")  # the order they run in
SIDES = ("xla", "blas")
Row = dict[str, Any]


@dataclass(frozen=True)
class Case:
    """One unit of work: ``run(case)`` returns one row per implementation, so
    a case that fails can still be reported (as skipped rows with the error)."""

    suite: str
    case: str
    implementations: tuple[str, ...]
    size: int | None
    dtype: str | None
    run: Callable[[Case], list[Row]]
    size_unit: str = "elements"
    extra: dict[str, Any] = field(default_factory=dict)


def row(
    case: Case,
    implementation: str,
    timing: dict[str, Any] | None,
    *,
    throughput: float | None = None,
    unit: str | None = None,
    note: str | None = None,
    **extra: Any,
) -> Row:
    """A result row; ``timing`` is ``measure``'s dict (None for a skipped row)."""
    out: Row = {
        "suite": case.suite,
        "case": case.case,
        "implementation": implementation,
        "size": case.size,
        "size_unit": case.size_unit,
        "dtype": case.dtype,
        "skipped": timing is None,
    }
    if timing is not None:
        out["seconds"] = {k: timing[k] for k in ("median", "min", "max")}
        out["first_call_seconds"] = timing["first_call"]
        out["reps"] = timing["reps"]
        out["calls_per_rep"] = timing["number"]
        out["throughput"] = (
            None if throughput is None else {"value": throughput, "unit": unit}
        )
    if note:
        out["note"] = note
    return out | case.extra | extra


def skipped(case: Case, implementation: str, note: str) -> Row:
    """A row for a measurement that could not be made, saying why."""
    return row(case, implementation, None, note=note)


def _save(path: str, rows: list[Row], info: dict[str, Any], done: bool) -> None:
    with open(f"{path}.tmp", "w") as f:
        json.dump({"rows": rows, "info": info, "complete": done}, f)
    os.replace(f"{path}.tmp", path)


def run(suite: str, side: str, settings: Settings, platform: str, out: str) -> None:
    """Run every case of one suite on one side, saving the rows to ``out``.

    ``platform`` is JAX's platform; the XLA side finds it itself and records
    it, with the sizes it chose, in the saved ``info``.
    """
    module = importlib.import_module(f"benchmarks._{suite}")
    info: dict[str, Any] = {}
    if side == "xla":
        import jax

        import jaxnn

        devices = jax.devices()
        platform = devices[0].platform
        info["device"] = {
            "platform": platform,
            "kind": devices[0].device_kind,
            "count": len(devices),
            "backend": jax.default_backend(),
        }
        info["jaxnn"] = getattr(jaxnn, "__version__", None)
        info["sizes"] = module.describe_sizes(settings, platform)
    cases = module.cases(side, settings, platform)
    rows: list[Row] = []
    start = time.perf_counter()
    for i, case in enumerate(cases, 1):
        try:
            new = case.run(case)
        except Exception as err:  # report, never hide, and go on
            msg = f"error: {type(err).__name__}: {err}".splitlines()[0][:300]
            traceback.print_exc(file=sys.stderr)
            new = [skipped(case, impl, msg) for impl in case.implementations]
        for r in new:
            r["side"] = side
        rows.extend(new)
        done = "; ".join(
            f"{r['implementation']}: "
            + ("skipped" if r["skipped"] else f"{r['seconds']['median']:.3g} s")
            for r in new
        )
        print(
            f"[{suite}/{side} {i:>4}/{len(cases)} {time.perf_counter() - start:5.0f}s]"
            f" {case.case} {case.dtype or ''} {case.size or ''}  {done}",
            file=sys.stderr,
            flush=True,
        )
        _save(out, rows, info, done=False)
    _save(out, rows, info, done=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._worker")
    parser.add_argument("--suite", choices=SUITES, required=True)
    parser.add_argument("--side", choices=SIDES, required=True)
    parser.add_argument("--profile", choices=PROFILES, default="full")
    parser.add_argument("--reps", type=int, help="replaces the profile's")
    parser.add_argument("--platform", default="cpu", help="JAX's (blas side)")
    parser.add_argument("--out", required=True, help="JSON file for the rows")
    args = parser.parse_args(argv)
    settings = PROFILES[args.profile]
    if args.reps is not None:
        settings = dataclasses.replace(settings, reps=args.reps)
    run(args.suite, args.side, settings, args.platform, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
