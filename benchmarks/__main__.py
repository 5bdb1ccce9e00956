"""``python -m benchmarks``: run the suites, write JSON, Markdown and a PNG plot.

Each suite runs in two fresh worker processes (``benchmarks._worker``), one
for the NumPy/BLAS-based peers and one for the XLA-based implementations, so
neither's threads disturb the other's timings. This process imports neither
JAX nor NumPy; it merges the rows, computes the ratios between them and
checks the issue's targets.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import _analysis, _env, _report
from benchmarks._worker import SIDES, SUITES

ROOT = Path(__file__).resolve().parent.parent


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_worker(suite: str, side: str, quick: bool, timeout: float) -> dict[str, Any]:
    """Run one worker process; its progress streams to our stderr."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.json"
        cmd = [sys.executable, "-m", "benchmarks._worker", "--suite", suite]
        cmd += ["--side", side, "--out", str(out)] + (["--quick"] if quick else [])
        load_start, start = _env.loadavg(), time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=ROOT, timeout=timeout, check=False)
            code: int | str = proc.returncode
        except subprocess.TimeoutExpired:
            code = f"timed out after {timeout:g} s"
        worker = {
            "suite": suite,
            "side": side,
            "seconds": round(time.perf_counter() - start, 1),
            "loadavg_start": load_start,
            "loadavg_end": _env.loadavg(),
            "returncode": code,
        }
        result: dict[str, Any] = {"rows": [], "info": {}, "complete": False}
        if out.exists():
            result = json.loads(out.read_text())
        if code != 0 or not result.get("complete"):
            note = (
                f"worker {suite}/{side} failed ({code}) after {len(result['rows'])} "
                "rows; its other rows are missing (see its stderr)"
            )
            result["rows"].append(
                {
                    "suite": suite,
                    "case": "(worker)",
                    "implementation": side,
                    "size": None,
                    "size_unit": None,
                    "dtype": None,
                    "skipped": True,
                    "note": note,
                }
            )
        worker["complete"] = bool(result.get("complete")) and code == 0
        result["worker"] = worker
        return result


def default_machine(device: dict[str, Any]) -> str:
    """A name for the machine: the accelerator if any, else the CPU."""
    cpu = f"{device.get('cpu_model')}, {device.get('cores')} cores"
    if device.get("hypervisor"):
        cpu += f" ({device['hypervisor']} VM)"
    if device.get("platform") not in (None, "cpu"):
        return f"{device.get('count')}x {device.get('kind')}; host {cpu}"
    return f"CPU only: {cpu}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="jaxnn's benchmarks: activations, mlp, logistic.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, few repetitions"
    )
    parser.add_argument("--json", metavar="FILE", help="write the results as JSON")
    parser.add_argument("--markdown", metavar="FILE", help="write a Markdown report")
    parser.add_argument("--plot", metavar="FILE", help="write a PNG plot")
    parser.add_argument(
        "--suite",
        action="append",
        choices=SUITES,
        help="run only this suite (repeatable; default: all)",
    )
    parser.add_argument("--machine", help="a name for this machine in the results")
    parser.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        help="seconds before a worker process is abandoned (default 3600)",
    )
    args = parser.parse_args(argv)
    suites = args.suite or list(SUITES)

    started, load_start, t0 = _now(), _env.loadavg(), time.perf_counter()
    _log(f"jaxnn benchmarks: {', '.join(suites)}{' (quick)' if args.quick else ''}")
    rows: list[dict[str, Any]] = []
    workers, device = [], _env.host()
    caps: list[str] = []
    for suite in suites:
        for side in SIDES[::-1]:  # BLAS peers first, then XLA
            _log(f"== {suite}: {side} worker (load {_env.loadavg()})")
            result = run_worker(suite, side, args.quick, args.timeout)
            rows.extend(result["rows"])
            workers.append(result["worker"])
            if "device" in result.get("info", {}):
                device = {**result["info"]["device"], **device}
            if "caps" in result.get("info", {}):
                caps.append(result["info"]["caps"])
    platform = str(device.get("platform", "cpu"))
    _analysis.analyse(rows, platform)
    results = {
        "device": device,
        "versions": _env.versions(),
        "run": {
            "machine": args.machine or default_machine(device),
            "quick": args.quick,
            "suites": suites,
            "started": started,
            "finished": _now(),
            "seconds": round(time.perf_counter() - t0, 1),
            "loadavg": {"start": load_start, "end": _env.loadavg()},
            "command": "python -m benchmarks "
            + " ".join(
                shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])
            ),
            "commit": _env.git_commit(ROOT),
            "caps": "; ".join(caps) or None,
            "workers": workers,
            "env": {k: v for k, v in os.environ.items() if k.startswith("XLA_")},
        },
        "targets": _analysis.summary(rows, platform),
        "headlines": _analysis.headlines(rows),
        "results": rows,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
        _log(f"wrote {args.json}")
    text = _report.markdown(results)
    if args.markdown:
        Path(args.markdown).write_text(text)
        _log(f"wrote {args.markdown}")
    if args.plot:
        _report.plot(results, args.plot)
        _log(f"wrote {args.plot}")
    if not (args.json or args.markdown or args.plot):
        print(text)
    _log("targets:")
    for t in results["targets"]:
        verdict = {True: "met", False: "MISSED", None: "not measured"}[t["met"]]
        _log(f"  [{verdict:>12}] {t['suite']}: {t['target']}: {t['measured']}")
    _log(f"done in {results['run']['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
