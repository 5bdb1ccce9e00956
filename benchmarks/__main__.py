"""``python -m benchmarks``: run the suites, write JSON, Markdown and a PNG plot.

Each suite runs in two fresh worker processes (``benchmarks._worker``): the
XLA-based implementations first, then the NumPy/BLAS-based peers, so neither's
threads disturb the other's timings. This process imports neither JAX nor
NumPy (it must not take an accelerator from its workers); it merges the rows,
computes the ratios between them and judges the targets in
``benchmarks/_targets.py``.
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

from benchmarks import _env, _report, _targets
from benchmarks._worker import SUITES

RESERVE = 10.0


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_worker(
    suite: str,
    side: str,
    profile: str,
    platform: str,
    timeout: float,
    reps: int | None = None,
) -> dict[str, Any]:
    """Run one worker process (its progress streams to our stderr); a worker
    that fails or runs out of time keeps the rows it saved and adds a note."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.json"
        cmd = [sys.executable, "-m", "benchmarks._worker", "--suite", suite]
        cmd += ["--side", side, "--profile", profile, "--platform", platform]
        cmd += [] if reps is None else ["--reps", str(reps)]
        load_start, start = _env.loadavg(), time.perf_counter()
        try:
            code: int | str = subprocess.run(
                [*cmd, "--out", str(out)], cwd=_env.ROOT, timeout=timeout, check=False
            ).returncode
        except subprocess.TimeoutExpired:
            code = f"timed out after {timeout:.0f} s"
        result = {"rows": [], "info": {}, "complete": False}
        if out.exists():
            result = json.loads(out.read_text())
    complete = result["complete"] and code == 0
    if not complete:
        result["rows"].append(
            {
                "suite": suite,
                "case": "(worker)",
                "implementation": side,
                "size": None,
                "size_unit": None,
                "dtype": None,
                "skipped": True,
                "note": f"worker {suite}/{side} failed ({code}) after "
                f"{len(result['rows'])} rows; its other rows are missing",
            }
        )
    result["worker"] = {
        "suite": suite,
        "side": side,
        "seconds": round(time.perf_counter() - start, 1),
        "loadavg_start": load_start,
        "loadavg_end": _env.loadavg(),
        "returncode": code,
        "complete": complete,
    }
    return result


def default_machine(device: dict[str, Any]) -> str:
    """A name for the machine: the accelerator if any, else the CPU."""
    cpu = f"{device.get('cpu_model')}, {device.get('cores')} cores"
    if device.get("hypervisor"):
        cpu += f" ({device['hypervisor']} VM)"
    if device.get("platform") not in (None, "cpu"):
        return f"{device.get('count')}x {device.get('kind')}; host {cpu}"
    return f"CPU only: {cpu}"


def measure(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    """Run the workers and gather their rows into a results dict."""
    profile = "quick" if args.quick else "smoke" if args.smoke else "full"
    suites = args.suite or list(SUITES)
    started, load_start, t0 = _now(), _env.loadavg(), time.perf_counter()
    _log(f"jaxnn benchmarks: {', '.join(suites)} ({profile} run)")
    rows, workers, device, sizes = [], [], _env.host(), []
    platform, jaxnn_version = "cpu", None
    plan = [(suite, side) for suite in suites for side in ("xla", "blas")]
    for i, (suite, side) in enumerate(plan):
        # Each worker still to come keeps RESERVE seconds of the deadline.
        left = args.deadline - (time.perf_counter() - t0)
        timeout = max(1.0, min(args.timeout, left - RESERVE * (len(plan) - i - 1)))
        _log(f"== {suite}: {side} worker (load {_env.loadavg()}, {timeout:.0f} s)")
        result = run_worker(suite, side, profile, platform, timeout, args.reps)
        rows.extend(result["rows"])
        workers.append(result["worker"])
        info = result["info"]
        if "device" in info:
            device |= info["device"]
            platform = info["device"]["platform"]
        sizes += [info["sizes"]] if "sizes" in info else []
        jaxnn_version = info.get("jaxnn", jaxnn_version)
    return {
        "device": device,
        "versions": _env.versions() | {"jaxnn": jaxnn_version},
        "run": {
            "machine": args.machine or default_machine(device),
            "profile": profile,
            "quick": profile != "full",
            "suites": suites,
            "started": started,
            "finished": _now(),
            "seconds": round(time.perf_counter() - t0, 1),
            "loadavg": {"start": load_start, "end": _env.loadavg()},
            "command": "python -m benchmarks " + shlex.join(argv),
            **_env.stamp(),
            "caps": "; ".join(sizes) or None,
            "workers": workers,
            "env": {k: v for k, v in os.environ.items() if k.startswith("XLA_")},
        },
        "results": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="jaxnn's benchmarks: mlp, logistic, activations.",
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small sizes, few reps")
    size.add_argument(
        "--smoke", action="store_true", help="tiny sizes, 2 reps: checks that it runs"
    )
    parser.add_argument(
        "--reps", type=int, help="timed repetitions (default: the profile's)"
    )
    parser.add_argument("--json", metavar="FILE", help="write the results as JSON")
    parser.add_argument("--markdown", metavar="FILE", help="write a Markdown report")
    parser.add_argument("--plot", metavar="FILE", help="write a PNG plot")
    parser.add_argument("--suite", action="append", choices=SUITES, help="repeatable")
    parser.add_argument("--machine", help="a name for this machine in the results")
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="seconds per worker process"
    )
    parser.add_argument(
        "--deadline",
        type=float,
        default=float("inf"),
        help="seconds for the whole run: a worker gets what is left of them",
    )
    parser.add_argument(
        "--from-json",
        metavar="FILE",
        help="measure nothing: judge and report the rows of an earlier run again",
    )
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    for name in ("reps", "timeout", "deadline"):
        value = getattr(args, name)
        if value is not None and not value > 0:
            parser.error(f"--{name} must be positive, got {value!r}")

    if args.from_json:
        results = json.loads(Path(args.from_json).read_text())
        if not {"device", "run", "results"} <= set(results):
            parser.error(
                f"--from-json: {args.from_json} is not a results file "
                "(it needs the keys device, run and results)"
            )
        for r in results["results"]:
            for derived in ("ratios", "targets"):
                r.pop(derived, None)
        command = "python -m benchmarks " + shlex.join(argv)
        results["run"]["judged_again"] = f"{_now()} UTC by `{command}`"
    else:
        results = measure(args, argv)
    platform = str(results["device"].get("platform", "cpu"))
    _targets.analyse(results["results"], platform)
    results["targets"] = _targets.summary(results["results"], platform)
    results["headlines"] = _targets.headlines(results["results"])

    text = _report.markdown(results)
    for path, write in (
        (args.json, lambda p: Path(p).write_text(json.dumps(results, indent=1) + "\n")),
        (args.markdown, lambda p: Path(p).write_text(text)),
        (args.plot, lambda p: _report.plot(results, p)),
    ):
        if path:
            write(path)
            _log(f"wrote {path}")
    if not (args.json or args.markdown or args.plot):
        print(text)
    for t in results["targets"]:
        verdict = {True: "met", False: "MISSED", None: "not measured"}[t["met"]]
        _log(f"  [{verdict:>12}] {t['suite']}: {t['target']}: {t['measured']}")
    failed = [w for w in results["run"]["workers"] if not w["complete"]]
    errors = [r for r in results["results"] if r.get("note", "").startswith("error")]
    _log(
        f"done in {results['run']['seconds']:.0f} s; {len(failed)} workers failed, "
        f"{len(errors)} rows are errors"
    )
    return 1 if (failed or errors) and not args.from_json else 0


if __name__ == "__main__":
    sys.exit(main())
