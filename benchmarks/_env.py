"""Where and with what a run happened: CPU, load, package versions, git commit."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path

PACKAGES = (
    "jax",
    "jaxlib",
    "jax-cuda12-plugin",
    "optax",
    "numpy",
    "scipy",
    "flax",
    "equinox",
    "statsmodels",
    "scikit-learn",
    "matplotlib",
    "jaxnn",
)


def versions() -> dict[str, str | None]:
    """Installed versions of JAX, Optax, jaxnn and every peer (None if absent)."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (or ``platform.processor()``)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def hypervisor() -> str | None:
    """The hypervisor vendor lscpu reports (None on bare metal or unknown)."""
    try:
        out = subprocess.run(
            ["lscpu"], capture_output=True, text=True, check=False, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in out.splitlines():
        if line.startswith("Hypervisor vendor:"):
            return line.split(":", 1)[1].strip()
    return None


def loadavg() -> list[float] | None:
    """``os.getloadavg()`` as a list (None where unavailable)."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def git_commit(root: Path) -> str | None:
    """The repository's HEAD commit, with ``-dirty`` if tracked files changed.

    Changes under ``benchmarks/results/`` do not count: a run rewrites those
    files, so the run after an uncommitted one would otherwise look dirty.
    """

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()

    try:
        head = git("rev-parse", "HEAD")
        dirty = git(
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            ".",
            ":(exclude)benchmarks/results",
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("-dirty" if dirty else "")


def host() -> dict[str, object]:
    """The host's CPU model, core count, hypervisor and OS."""
    return {
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "hypervisor": hypervisor(),
        "os": platform.platform(),
    }
