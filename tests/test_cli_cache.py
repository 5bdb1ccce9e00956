"""Tests of the compile cache of ``jaxnn fit`` (jaxnn/_cache.py).

Each run is a fresh ``python -m jaxnn fit`` with ``JAXNN_CACHE_DIR`` in a
temporary directory (never the user's home), since JAX's cache is set once
per process. A cache entry is damaged the ways a disk damages it: cut short
(a killed write), written past a file-size limit (a full disk), or whole but
not a program JAX can load.
"""

import os
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="uses a POSIX shell for ulimit"
)


def _fit(cache: Path, *, file_size_kib: int | None = None):
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        JAXNN_CACHE_DIR=str(cache),
        XDG_CACHE_HOME=str(cache.parent / "xdg"),
        JAX_PLATFORMS="cpu",
    )
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    command = [sys.executable, "-m", "jaxnn", "fit"]
    if file_size_kib is not None:
        # Python ignores SIGXFSZ, so a write past the limit fails with EFBIG
        # after writing what fits, as a write to a full disk does.
        command = ["sh", "-c", f'ulimit -f {file_size_kib}; exec "$@"', "sh", *command]
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=300, check=False
    )


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*-cache"))


def _loadable(entry: Path) -> bool:
    # JAX compresses with zlib when no zstd module is installed.
    data = entry.read_bytes()
    if data[:4] == b"\x28\xb5\x2f\xfd":
        pytest.skip("entries are zstd-compressed")
    try:
        return len(zlib.decompress(data)) > 8
    except zlib.error:
        return False


class Filled:
    """A cache filled by one clean run, restored in place for each test.

    In place, because JAX's cache keys depend on the cache's path (it names
    XLA's own caches inside it): a copy elsewhere would be a cache miss.
    """

    def __init__(self, root: Path):
        self.cache = root / "xla"
        proc = _fit(self.cache)
        assert proc.returncode == 0 and proc.stderr == "", proc.stderr
        assert len(_entries(self.cache)) >= 3
        self.stdout = proc.stdout
        self.backup = root / "backup"
        shutil.copytree(self.cache, self.backup)

    def restore(self) -> Path:
        shutil.rmtree(self.cache)
        shutil.copytree(self.backup, self.cache)
        return self.cache

    def empty(self) -> Path:
        shutil.rmtree(self.cache)
        return self.cache


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> Filled:
    return Filled(tmp_path_factory.mktemp("cache"))


def test_a_clean_cache_is_used_quietly(filled: Filled) -> None:
    cache = filled.restore()
    before = {p.name: p.stat().st_mtime_ns for p in _entries(cache)}
    proc = _fit(cache)
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout == filled.stdout
    assert {p.name: p.stat().st_mtime_ns for p in _entries(cache)} == before


def test_entries_cut_short_are_removed_and_rewritten(filled: Filled) -> None:
    cache = filled.restore()
    entries = _entries(cache)
    for entry in entries:
        entry.write_bytes(entry.read_bytes()[:100])
    proc = _fit(cache)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == filled.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert f"removed {len(entries)} unreadable entries" in lines[0]
    assert str(cache) in lines[0]
    # This run wrote them again; the next one loads them without a word.
    assert [p.name for p in _entries(cache)] == [p.name for p in entries]
    assert all(_loadable(p) for p in _entries(cache))
    proc = _fit(cache)
    assert proc.returncode == 0 and proc.stderr == "" and proc.stdout == filled.stdout


def test_entries_jax_cannot_load_are_removed(filled: Filled) -> None:
    # Well-formed compressed data that is not a compiled program.
    cache = filled.restore()
    entries = _entries(cache)
    for entry in entries:
        entry.write_bytes(zlib.compress(bytes(8) + b"not an executable" * 50))
    proc = _fit(cache)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == filled.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert f"JAX could not read {len(entries)} entries" in lines[0]
    assert f"removed {len(entries)}" in lines[0]
    assert _entries(cache) == []
    for _ in range(2):  # the next run writes them, the one after loads them
        proc = _fit(cache)
        assert (
            proc.returncode == 0 and proc.stderr == "" and proc.stdout == filled.stdout
        )
    assert len(_entries(cache)) == len(entries)


def test_a_full_disk_is_one_line_and_repaired_next_time(filled: Filled) -> None:
    cache = filled.empty()
    proc = _fit(cache, file_size_kib=4)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == filled.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert "could not write to the compile cache" in lines[0]
    assert "File too large" in lines[0]
    cut_short = [p for p in _entries(cache) if not _loadable(p)]
    assert cut_short  # the writes that hit the limit left partial files
    proc = _fit(cache)
    assert proc.returncode == 0 and proc.stdout == filled.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and f"removed {len(cut_short)} unreadable" in lines[0]
    proc = _fit(cache)
    assert proc.returncode == 0 and proc.stderr == "" and proc.stdout == filled.stdout
