"""The ``jaxnn`` command's compile cache, kept healthy across runs.

``jaxnn fit`` keeps JAX's compiled programs in JAX's persistent compilation
cache, in ``$JAXNN_CACHE_DIR`` (default ``$XDG_CACHE_HOME/jaxnn/xla`` or
``~/.cache/jaxnn/xla``), so that only the first run compiles.

JAX never replaces an entry it cannot read: a file cut short by a killed write
or a full disk makes every later run warn once per program and compile again.
So before a run, the entries written since the last check are decompressed,
and the unreadable ones removed (JAX then compiles those programs once more
and writes them afresh); after a run, the entries JAX itself could not read
are removed too. Each of these is said in one line, not one warning per
program.
"""

import os
import re
import time
import warnings
import zlib
from collections.abc import Callable, Iterable
from typing import NamedTuple

ENV = "JAXNN_CACHE_DIR"
_OFF = frozenset({"", "0", "off", "none", "false", "no"})
_SUFFIX = "-cache"
_ATIME_SUFFIX = "-atime"
# Entries modified after this file's mtime have not been checked yet.
_STAMP = ".jaxnn-checked"
# Filesystems round mtimes (to 2 s on FAT): re-check a few seconds' worth.
_STAMP_SLACK_S = 5.0
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# The warning JAX gives for each program it cannot load from the cache.
_READ_ERROR = re.compile(
    r"Error reading persistent compilation cache entry for '([^']+)'"
)
_WRITE_ERROR = re.compile(
    r"Error writing persistent compilation cache entry for '[^']+': (.*)", re.S
)


class Cache(NamedTuple):
    """The compile cache in use for one run."""

    path: str
    owned: bool
    """True for jaxnn's own directory, False for one the user set for JAX."""


def default_dir() -> str | None:
    """The cache directory from the environment; None when switched off."""
    path = os.environ.get(ENV)
    if path is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
            os.path.expanduser("~"), ".cache"
        )
        path = os.path.join(base, "jaxnn", "xla")
    if path.strip().lower() in _OFF:
        return None
    return path


def _decompress_zstd(data: bytes) -> bytes | None:
    """Decompressed zstd data, or None when no zstd module is installed."""
    try:
        from compression import zstd

        return bytes(zstd.decompress(data))
    except ImportError:
        pass
    try:
        import zstandard
    except ImportError:
        return None
    return bytes(zstandard.ZstdDecompressor().decompress(data))


def readable(data: bytes) -> bool | None:
    """Whether a cache entry decompresses (None: no module to tell with).

    JAX writes an entry as an 8-byte compile time and the serialized program,
    compressed with zstd when a zstd module is installed, else with zlib.
    """
    try:
        if data[:4] == _ZSTD_MAGIC:
            raw = _decompress_zstd(data)
            if raw is None:
                return None
        else:
            raw = zlib.decompress(data)
    except Exception:  # each decompressor has its own error type
        return False
    return len(raw) > 8


def _remove(path: str, name: str) -> bool:
    """Remove one entry (and its access-time file); False if that failed."""
    ok = True
    for suffix in (_SUFFIX, _ATIME_SUFFIX):
        try:
            os.remove(os.path.join(path, name + suffix))
        except FileNotFoundError:
            pass
        except OSError:
            ok = ok and suffix != _SUFFIX
    return ok


def _entries(path: str) -> Iterable[os.DirEntry[str]]:
    try:
        with os.scandir(path) as it:
            return [e for e in it if e.name.endswith(_SUFFIX) and e.is_file()]
    except OSError:
        return []


def sweep(path: str) -> tuple[int, int]:
    """Remove the unreadable entries written since the last sweep.

    Returns:
        ``(removed, stuck)``: how many were removed, how many could not be.
    """
    stamp = os.path.join(path, _STAMP)
    try:
        since = os.stat(stamp).st_mtime
    except OSError:
        since = float("-inf")
    now = time.time()
    removed = stuck = 0
    for entry in _entries(path):
        try:
            if entry.stat().st_mtime < since:
                continue
            with open(entry.path, "rb") as f:
                data = f.read()
        except OSError:
            continue
        if readable(data) is False:
            if _remove(path, entry.name.removesuffix(_SUFFIX)):
                removed += 1
            else:
                stuck += 1
    try:
        with open(stamp, "a"):
            pass
        os.utime(stamp, (now, now - _STAMP_SLACK_S))
    except OSError:
        pass
    return removed, stuck


def enable(note: Callable[[str], None]) -> Cache | None:
    """Switch JAX's persistent compilation cache on for this process.

    A cache directory the user already configured for JAX is used as it is;
    an unwritable directory, or ``JAXNN_CACHE_DIR=off``, leaves the cache off.

    Args:
        note: called with a one-line message when something was repaired.

    Returns:
        The cache in use, or None.
    """
    import jax

    configured = getattr(jax.config, "jax_compilation_cache_dir", None)
    if configured:
        # Ours when an earlier call in this process set it; else the user's.
        return Cache(str(configured), owned=str(configured) == default_dir())
    path = default_dir()
    if path is None:
        return None
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return None
    if not os.access(path, os.W_OK):
        return None
    removed, stuck = sweep(path)
    if stuck:
        note(
            f"the compile cache {path} holds {stuck} unreadable entries that "
            "cannot be removed; compiling without the cache (delete the "
            "directory to rebuild it)"
        )
        return None
    if removed:
        note(
            f"removed {removed} unreadable entries (a killed write or a full "
            f"disk?) from the compile cache {path}; they are compiled and "
            "written again"
        )
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return Cache(path, owned=True)


def after_run(
    cache: Cache | None,
    caught: Iterable[warnings.WarningMessage],
    note: Callable[[str], None],
) -> list[warnings.WarningMessage]:
    """Turn JAX's per-program cache warnings into one line each; return the rest.

    Entries of the programs JAX could not read are removed from jaxnn's own
    cache directory (the ones that do not decompress; all of that program's
    entries when each of them does, since JAX could not load one of them), so
    the next run writes them afresh.
    """
    others, modules, write_errors = [], [], []
    for w in caught:
        text = str(w.message)
        if m := _READ_ERROR.search(text):
            modules.append(m.group(1))
        elif m := _WRITE_ERROR.search(text):
            write_errors.append(m.group(1).strip())
        else:
            others.append(w)
    path = cache.path if cache else "(unknown)"
    if modules and cache is not None and cache.owned:
        removed = 0
        entries = _entries(path)
        for module in dict.fromkeys(modules):
            mine = [e for e in entries if e.name.startswith(module + "-")]
            bad = []
            for e in mine:
                try:
                    with open(e.path, "rb") as f:
                        if readable(f.read()) is False:
                            bad.append(e)
                except OSError:
                    pass
            for e in bad or mine:
                removed += _remove(path, e.name.removesuffix(_SUFFIX))
        note(
            f"JAX could not read {len(modules)} entries of the compile cache "
            f"{path}; removed {removed}, so the next run writes them afresh"
        )
    elif modules:
        note(
            f"JAX could not read {len(modules)} entries of its compile cache "
            f"{path} (jax_compilation_cache_dir); delete that directory's "
            "'*-cache' files to rebuild it"
        )
    if write_errors:
        note(
            f"could not write to the compile cache {path} ({write_errors[0]}); "
            "this run's compiled programs are not kept"
        )
    return others
