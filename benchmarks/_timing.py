"""The timing helper shared by every worker (imports neither JAX nor NumPy).

``measure`` calls the function once outside the timed region (for JAX that
first call traces and compiles; its wall time is returned as ``first_call``),
then picks how many calls make one repetition long enough to time reliably,
then times ``reps`` repetitions.  Every call is followed by ``block`` (pass
``jax.block_until_ready`` for JAX code) *inside* the timed region, so
asynchronous dispatch never hides work.  The result is seconds per call:
median, min and max over the repetitions.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def _no_block(out: Any) -> Any:
    return out


def _run(fn: Callable[..., Any], args: tuple, block: Callable, number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        block(fn(*args))
    return time.perf_counter() - start


def measure(
    fn: Callable[..., Any],
    *args: Any,
    block: Callable[[Any], Any] = _no_block,
    reps: int = 5,
    min_rep_seconds: float = 0.05,
    max_number: int = 100_000,
    max_seconds: float | None = None,
) -> dict[str, float | int]:
    """Time ``fn(*args)``: first call apart, then ``reps`` timed repetitions.

    Args:
        fn: the function to time.
        *args: its arguments (created before timing starts).
        block: called on every result inside the timed region; pass
            ``jax.block_until_ready`` for JAX functions.
        reps: number of timed repetitions (at least 1).
        min_rep_seconds: each repetition runs ``number`` calls, with
            ``number`` the smallest power of two that takes at least this long.
        max_number: upper bound on ``number``.
        max_seconds: if given, a time budget for the repetitions after
            calibration: a slow function gets fewer (at least 3).

    Returns:
        A dict with ``median``, ``min`` and ``max`` seconds per call,
        ``first_call`` (seconds of the untimed first call, which includes any
        tracing and compilation), ``reps`` and ``number``.
    """
    return measure_side_by_side(
        [(fn, args)],
        block=block,
        reps=reps,
        min_rep_seconds=min_rep_seconds,
        max_number=max_number,
        max_seconds=max_seconds,
    )[0]


def measure_side_by_side(
    calls: list[tuple[Callable[..., Any], tuple]],
    *,
    block: Callable[[Any], Any] = _no_block,
    reps: int = 5,
    min_rep_seconds: float = 0.05,
    max_number: int = 100_000,
    max_seconds: float | None = None,
    min_reps: int = 3,
) -> list[dict[str, float | int]]:
    """Time several ``(fn, args)`` pairs with their repetitions interleaved.

    Each function gets its untimed first call and its own calibration (as in
    :func:`measure`); then the timed repetitions alternate between the
    functions (A, B, A, B, ...), so a burst of load from elsewhere on a shared
    machine hits every contender alike instead of skewing their ratio.

    With ``max_seconds``, slow contenders get fewer repetitions: as many
    rounds as fit in that budget (after calibration), but at least
    ``min_reps`` and at most ``reps``. Each result records the reps it got.

    Returns:
        One dict per pair, as :func:`measure` returns.
    """
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps!r}")
    if min_rep_seconds < 0:
        raise ValueError(f"min_rep_seconds must be >= 0, got {min_rep_seconds!r}")
    if not calls:
        raise ValueError("calls must name at least one (fn, args) pair, got none")
    firsts, numbers, per_call = [], [], []
    for fn, args in calls:
        firsts.append(_run(fn, args, block, 1))
        number = 1
        elapsed = _run(fn, args, block, 1)  # a second, warm call calibrates
        while elapsed < min_rep_seconds and number < max_number:
            number = min(max_number, number * 2)
            elapsed = _run(fn, args, block, number)
        numbers.append(number)
        per_call.append([elapsed / number])
    if max_seconds is not None:
        round_seconds = sum(t[0] * n for t, n in zip(per_call, numbers, strict=True))
        fit = int(max_seconds // max(round_seconds, 1e-9))
        reps = max(min(reps, min_reps), min(reps, fit))
    for _ in range(reps - 1):
        for i, (fn, args) in enumerate(calls):
            per_call[i].append(_run(fn, args, block, numbers[i]) / numbers[i])
    return [
        {
            "median": statistics.median(times),
            "min": min(times),
            "max": max(times),
            "first_call": first,
            "reps": reps,
            "number": number,
        }
        for times, first, number in zip(per_call, firsts, numbers, strict=True)
    ]
