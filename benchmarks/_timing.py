"""Timing on the standard library's :mod:`timeit`, and how hard each run measures.

Every function is called once outside the timed region (for JAX that call
traces and compiles; its wall time is kept as ``first_call``, its output
too). Then
:meth:`timeit.Timer.autorange` finds how many calls make one repetition last
at least ``min_rep_seconds`` (that run is the first repetition), and the
other repetitions follow. Contenders timed together have their repetitions
interleaved (A, B, A, B, ...), so load from elsewhere on a shared machine hits
them alike instead of skewing their ratio. ``block`` (pass
``jax.block_until_ready`` for JAX code) runs after every call inside the timed
region, so asynchronous dispatch never hides work. The result is seconds per
call: median, min and max over the repetitions.
"""

from __future__ import annotations

import statistics
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Settings:
    """How hard a run measures; ``PROFILES`` holds the three there are."""

    profile: str
    reps: int  # timed repetitions per measurement
    min_rep_seconds: float  # calls are batched until a repetition lasts this long
    max_seconds: float  # time budget of one measurement: slow calls get fewer reps


PROFILES = {
    # Many short repetitions give a steadier median on a shared machine.
    "full": Settings("full", reps=11, min_rep_seconds=0.01, max_seconds=2.0),
    "quick": Settings("quick", reps=5, min_rep_seconds=0.005, max_seconds=1.0),
    # Proves that every case runs (tiny sizes); its times mean nothing.
    "smoke": Settings("smoke", reps=2, min_rep_seconds=0.0, max_seconds=0.05),
}


class _LongEnough(Exception):
    """Stops :meth:`timeit.Timer.autorange` at the first run that is long enough."""

    def __init__(self, number: int, seconds: float) -> None:
        self.number, self.seconds = number, seconds


def _calibrate(timer: timeit.Timer, min_seconds: float) -> tuple[int, float]:
    """(calls, seconds) of autorange's first run (1, 2, 5, 10, 20, ... calls)
    that lasts at least ``min_seconds``; autorange alone stops at 0.2 s."""

    def stop(number: int, seconds: float) -> None:
        if seconds >= min_seconds:
            raise _LongEnough(number, seconds)

    try:
        return timer.autorange(stop)
    except _LongEnough as enough:
        return enough.number, enough.seconds


def measure_side_by_side(
    calls: list[tuple[Callable[..., Any], tuple]],
    *,
    block: Callable[[Any], Any] = lambda out: out,
    reps: int = 5,
    min_rep_seconds: float = 0.05,
    max_seconds: float | None = None,
    min_reps: int = 3,
) -> list[dict[str, float | int]]:
    """Time several ``(fn, args)`` pairs with their repetitions interleaved.

    With ``max_seconds``, slow contenders get fewer repetitions: as many
    rounds as fit in that budget after calibration, at least ``min_reps``.

    Returns:
        One dict per pair: ``median``, ``min`` and ``max`` seconds per call,
        ``first_call`` (seconds of the untimed first call) and ``output``
        (what it returned), ``reps`` and ``number`` (calls per repetition).
    """
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps!r}")
    if min_rep_seconds < 0:
        raise ValueError(f"min_rep_seconds must be >= 0, got {min_rep_seconds!r}")
    if not calls:
        raise ValueError("calls must name at least one (fn, args) pair, got none")
    timers = [
        timeit.Timer(lambda fn=fn, args=args: block(fn(*args))) for fn, args in calls
    ]
    firsts, outputs, numbers, times = [], [], [], []
    for timer, (fn, args) in zip(timers, calls, strict=True):
        start = time.perf_counter()
        outputs.append(block(fn(*args)))
        firsts.append(time.perf_counter() - start)
        number, seconds = _calibrate(timer, min_rep_seconds)
        numbers.append(number)
        times.append([seconds / number])
    if max_seconds is not None:
        round_seconds = sum(t[0] * n for t, n in zip(times, numbers, strict=True))
        reps = min(reps, max(min_reps, int(max_seconds // max(round_seconds, 1e-9))))
    for _ in range(reps - 1):
        for timer, number, per_call in zip(timers, numbers, times, strict=True):
            per_call.append(timer.timeit(number) / number)
    return [
        {
            "median": statistics.median(per_call),
            "min": min(per_call),
            "max": max(per_call),
            "first_call": first,
            "reps": reps,
            "number": number,
            "output": output,
        }
        for per_call, first, output, number in zip(
            times, firsts, outputs, numbers, strict=True
        )
    ]


def measure(fn: Callable[..., Any], *args: Any, **kw: Any) -> dict[str, float | int]:
    """Time ``fn(*args)`` alone; keywords as :func:`measure_side_by_side`."""
    return measure_side_by_side([(fn, args)], **kw)[0]
