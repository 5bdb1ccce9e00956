"""Where and with what a run happened: machine, load, versions, source stamp.

``python -m benchmarks._env [--json FILE]`` also asks JAX for its devices and
``nvidia-smi`` (if present) for the GPU, and prints or writes it all as JSON.
Nothing else here imports JAX: the benchmarks' parent process must not take
an accelerator away from its workers.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("jax", "jaxlib", "optax", "flax", "equinox", "numpy", "scipy")
PACKAGES += ("statsmodels", "scikit-learn", "matplotlib", "mpmath", "pytest")
# The source a stamp covers; benchmarks/results/ is left out (a run rewrites it).
SOURCES = ("pyproject.toml", "jaxnn", "benchmarks", "tools", "tests")


def versions() -> dict[str, str | None]:
    """Python's version and every package's (None if absent), JAX plugins too."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    names = list(PACKAGES)
    names += sorted(
        {
            d.metadata["Name"]
            for d in importlib.metadata.distributions()
            if (d.metadata["Name"] or "").lower().startswith(("jax-cuda", "jax_cuda"))
        }
    )
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def _run(*cmd: str) -> str | None:
    """A command's stdout, or None if it is missing or fails."""
    try:
        done = subprocess.run(
            cmd, cwd=ROOT, capture_output=True, text=True, timeout=20, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def host() -> dict[str, Any]:
    """The CPU model, core count, hypervisor (if any) and OS."""
    model = platform.processor() or "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        model = names[0] if names else model
    lscpu = (_run("lscpu") or "").splitlines()
    vendor = [ln.split(":", 1)[1].strip() for ln in lscpu if ln.startswith("Hyperv")]
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "hypervisor": vendor[0] if vendor else None,
        "os": platform.platform(),
    }


def loadavg() -> list[float] | None:
    """``os.getloadavg()`` as a list (None where unavailable)."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def source_sha256() -> str:
    """A SHA-256 over the names and bytes of the source files (``SOURCES``).

    It identifies the code where there is no git history to ask, as on a
    copy of the working tree: the same files give the same digest anywhere.
    """
    digest = hashlib.sha256()
    for top in SOURCES:
        path = ROOT / top
        files = [path] if path.is_file() else sorted(path.rglob("*"))
        for f in files:
            rel = f.relative_to(ROOT).as_posix()
            skip = "__pycache__" in f.parts or rel.startswith("benchmarks/results/")
            if f.is_file() and not skip:
                digest.update(rel.encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()


def commit() -> str | None:
    """``$JAXNN_COMMIT`` if set, else git's HEAD (``-dirty`` if tracked files
    outside benchmarks/results/ changed), else None (not a git checkout)."""
    if os.environ.get("JAXNN_COMMIT"):
        return os.environ["JAXNN_COMMIT"]
    head = _run("git", "rev-parse", "HEAD")
    if head is None:
        return None
    pathspec = (".", ":(exclude)benchmarks/results")
    dirty = _run(
        "git", "status", "--porcelain", "--untracked-files=no", "--", *pathspec
    )
    return head + ("-dirty" if dirty else "")


def stamp() -> dict[str, Any]:
    """The commit (or None) and the source digest."""
    return {"commit": commit(), "source_sha256": source_sha256()}


def devices() -> dict[str, Any]:
    """JAX's devices and backend, and ``nvidia-smi``'s view where it exists."""
    import jax

    found = jax.devices()
    return {
        "backend": jax.default_backend(),
        "devices": [str(d) for d in found],
        "device_kind": found[0].device_kind,
        "nvidia_smi": _run(
            "nvidia-smi",
            "--query-gpu=name,driver_version,memory.total,clocks.max.sm,"
            "clocks.max.memory,power.limit",
            "--format=csv",
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._env")
    parser.add_argument("--json", metavar="FILE", help="write here, not to stdout")
    args = parser.parse_args(argv)
    env = {
        "host": host(),
        "versions": versions(),
        **stamp(),
        "xla_env": {k: v for k, v in os.environ.items() if k.startswith("XLA_")},
        **devices(),
    }
    text = json.dumps(env, indent=1) + "\n"
    if args.json:
        Path(args.json).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
