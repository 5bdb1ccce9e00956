"""One benchmark process: ``python -m benchmarks._worker --suite S --side SIDE``.

``--side xla`` runs the JAX-based implementations (jaxnn, jax.nn, Flax NNX,
Equinox); ``--side blas`` runs the NumPy/BLAS-based peers (the book's NumPy,
statsmodels, scikit-learn). The two never share a process: on a small CPU,
OpenBLAS threads that spin after a call slow the next XLA call. The rows go
to ``--out`` as JSON; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import traceback
from typing import Any

from benchmarks._common import Row, Settings, skipped

SUITES = ("activations", "mlp", "logistic")
SIDES = ("xla", "blas")


def _format_seconds(s: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:7.3f} {unit}"
    return f"{s / 1e-9:7.1f} ns"


def device_info() -> dict[str, Any]:
    """JAX's view of the accelerator (imports JAX: XLA side only)."""
    import jax

    devices = jax.devices()
    return {
        "platform": devices[0].platform,
        "kind": devices[0].device_kind,
        "count": len(devices),
        "backend": jax.default_backend(),
    }


def _save(path: str | None, rows: list[Row], info: dict[str, Any], done: bool) -> None:
    if path is None:
        return
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump({"rows": rows, "info": info, "complete": done}, f)
    os.replace(tmp, path)


def run(
    suite: str, side: str, settings: Settings, out: str | None = None
) -> dict[str, Any]:
    """Run every case of one suite on one side; return ``{"rows", "info"}``.

    With ``out``, the rows so far are also saved there every few cases, so a
    worker that is stopped early still leaves what it measured.
    """
    module = importlib.import_module(f"benchmarks._{suite}")
    info: dict[str, Any] = {}
    if side == "xla":
        info["device"] = device_info()
    caps = getattr(module, "caps", None)
    if caps is not None and side == "xla":
        note = caps(settings, info["device"]["platform"])
        if note:
            info["caps"] = note
    cases = module.cases(side, settings)
    rows: list[Row] = []
    start = time.perf_counter()
    tag = f"{suite}/{side}"
    for i, case in enumerate(cases, 1):
        try:
            new = case.run()
        except Exception as err:  # report, never hide, and go on
            msg = f"error: {type(err).__name__}: {err}".splitlines()[0][:300]
            traceback.print_exc(file=sys.stderr)
            new = [skipped(case, impl, msg) for impl in case.implementations]
        rows.extend(new)
        parts = []
        for r in new:
            if r["skipped"]:
                parts.append(f"{r['implementation']}: skipped")
            else:
                med = _format_seconds(r["seconds"]["median"])
                parts.append(f"{r['implementation']}: {med.strip()}")
        print(
            f"[{tag} {i:>4}/{len(cases)} {time.perf_counter() - start:6.0f}s] "
            f"{case.case} {case.dtype or ''} {case.size or ''}  " + "; ".join(parts),
            file=sys.stderr,
            flush=True,
        )
        if i % 10 == 0:
            _save(out, rows, info, done=False)
    _save(out, rows, info, done=True)
    return {"rows": rows, "info": info, "complete": True}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._worker")
    parser.add_argument("--suite", choices=SUITES, required=True)
    parser.add_argument("--side", choices=SIDES, required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", required=True, help="JSON file for the rows")
    args = parser.parse_args(argv)
    run(args.suite, args.side, Settings(quick=args.quick), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
