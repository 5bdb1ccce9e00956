"""The activations suite: jaxnn against jax.nn, the book's NumPy and a roofline.

The activations are the ones ``jaxnn.activation_names()`` lists (an alias is
timed once), each looked up with ``jaxnn.get_activation``; its peer is the
``jax.nn`` function of the same name, where there is one. A peer that
computes a different function (checked on a probe grid) is still timed but
marked, and no target judges it. Functions that take an ``axis`` run over
rows of ``ROW_WIDTH`` elements; the others see a 1-D array.

Each is timed forward and forward+gradient (one ``jax.vjp`` pulling back a
cotangent of ones and returning value and gradient), each XLA function under
its own ``jax.jit``, with a same-size jitted ``-x`` (the roofline copy: it
reads and writes every element and leaves XLA nothing to simplify) timed
alongside. Bytes moved are one read and one write per element forward, two
of each forward+gradient, so every figure is also a fraction of the copy
bandwidth measured beside it. The book's NumPy functions (chapter 3; the
gradients of chapter 5's layers) run in the BLAS-side process, in float32.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks._timing import Settings, measure, measure_side_by_side
from benchmarks._worker import Case, Row, row, skipped

SUITE = "activations"
MODES = ("forward", "forward+grad")
COPY = "roofline copy (-x)"
ROW_WIDTH = 1024
ACCELERATORS = ("gpu", "cuda", "rocm", "tpu")
# Element counts (powers of two) per profile and dtype. On a CPU the full run
# is capped to finish in about ten minutes on 2 cores (bfloat16 is emulated
# on most CPUs); an accelerator starts at 2^20, below which a call is
# dispatch-bound.
SIZES = {
    ("full", "cpu"): {"float32": (10, 13, 16, 19, 22, 24), "bfloat16": (10, 16, 22)},
    ("full", "accelerator"): {"float32": (20, 22, 24, 26), "bfloat16": (20, 26)},
    ("quick", "any"): {"float32": (12, 16, 20), "bfloat16": (12, 16, 20)},
    ("smoke", "any"): {"float32": (10,), "bfloat16": (10,)},
}
NUMPY_MAX_SIZE = 2**24  # the NumPy peers' largest size (seconds per call beyond)


def sizes(settings: Settings, platform: str) -> dict[str, tuple[int, ...]]:
    """Element counts per dtype for this profile and platform."""
    if settings.profile != "full":
        kind = "any"
    else:
        kind = "accelerator" if platform in ACCELERATORS else "cpu"
    return {
        d: tuple(2**k for k in ks) for d, ks in SIZES[settings.profile, kind].items()
    }


def describe_sizes(settings: Settings, platform: str) -> str:
    return "activations: " + "; ".join(
        f"{dtype} at " + ", ".join(f"2^{n.bit_length() - 1}" for n in ns)
        for dtype, ns in sizes(settings, platform).items()
    )


def bytes_moved(mode: str, size: int, itemsize: int) -> int:
    """Forward: read x, write y. Forward+grad: read x and the cotangent, write
    y and the gradient."""
    return (2 if mode == "forward" else 4) * size * itemsize


def roofline_copy(x: Any) -> Any:
    """The bandwidth reference: ``-x``, one read and one write per element."""
    return -x


def rowwise(fn: Callable) -> bool:
    """Whether ``fn`` works over an axis (softmax-like)."""
    return "axis" in inspect.signature(fn).parameters


def extra_arguments(fn: Callable) -> list[str]:
    """The parameters after the first that have no default."""
    params = list(inspect.signature(fn).parameters.values())[1:]
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return [p.name for p in params if p.default is p.empty and p.kind not in variadic]


def activations() -> list[tuple[str, Callable]]:
    """jaxnn's activations by name, each function once (aliases dropped)."""
    import jaxnn

    out: list[tuple[str, Callable]] = []
    for name in jaxnn.activation_names():
        fn = jaxnn.get_activation(name)
        if all(fn is not other for _, other in out):
            out.append((name, fn))
    return out


# ---------------------------------------------------------------------------
# The book's NumPy (chapter 3), and the backward passes of its chapter 5 layers.


def book_sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def book_softmax(a: np.ndarray) -> np.ndarray:
    c = np.max(a, axis=-1, keepdims=True)
    exp_a = np.exp(a - c)
    return exp_a / np.sum(exp_a, axis=-1, keepdims=True)


# name -> (forward, (x, y, cotangent) -> input gradient, or None)
BOOK_NUMPY: dict[str, tuple[Callable, Callable | None]] = {
    "step": (lambda x: (x > 0).astype(x.dtype), None),
    "identity": (lambda x: x, None),
    "sigmoid": (book_sigmoid, lambda x, y, ct: ct * (1 - y) * y),
    "relu": (lambda x: np.maximum(0, x), lambda x, y, ct: ct * (x > 0)),
    "softmax": (book_softmax, None),
}


def numpy_function(name: str, mode: str) -> Callable | None:
    """The book's NumPy for ``name``: ``f(x)`` forward, ``f(x, ct) -> (y, dx)``
    forward+grad; None where the book has none."""
    forward, backward = BOOK_NUMPY.get(name, (None, None))
    if mode == "forward" or forward is None:
        return forward
    if backward is None:
        return None

    def value_and_grad(x: np.ndarray, ct: np.ndarray) -> tuple[np.ndarray, Any]:
        y = forward(x)
        return y, backward(x, y, ct)

    return value_and_grad


def _numpy_run(case: Case, settings: Settings) -> list[Row]:
    name, mode = case.case.split("/")
    assert case.size is not None
    fn = numpy_function(name, mode)
    assert fn is not None
    x = 3 * np.random.default_rng(case.size).standard_normal(case.size, np.float32)
    if name == "softmax":
        x = x.reshape(-1, ROW_WIDTH)
    args = (x,) if mode == "forward" else (x, np.ones_like(x))
    t = measure(
        fn,
        *args,
        reps=settings.reps,
        min_rep_seconds=settings.min_rep_seconds,
        max_seconds=settings.max_seconds,
    )
    gbs = bytes_moved(mode, x.size, x.itemsize) / t["median"] / 1e9
    return [row(case, "numpy", t, throughput=gbs, unit="GB/s")]


# ---------------------------------------------------------------------------
# The XLA side.


def equivalent(mine: Callable, peer: Callable, axis: bool) -> str:
    """'' if ``peer`` computes ``mine`` on a probe grid, else a note saying not."""
    import jax.numpy as jnp

    probe = jnp.linspace(-6.0, 6.0, 4 * ROW_WIDTH, dtype=jnp.float32)
    probe = probe.reshape(4, ROW_WIDTH) if axis else probe
    a, b = (np.asarray(f(probe), np.float64) for f in (mine, peer))
    if a.shape == b.shape and np.allclose(a, b, rtol=1e-4, atol=1e-5, equal_nan=True):
        return ""
    worst = float(np.nanmax(np.abs(a - b))) if a.shape == b.shape else np.inf
    return (
        f"differs from jax.nn's function of that name (max abs diff {worst:.3g} on "
        "[-6, 6]): not a like-for-like ratio"
    )


def _forward_grad(fn: Callable) -> Callable:
    import jax

    def value_and_grad(x: Any, ct: Any) -> tuple[Any, Any]:
        y, pullback = jax.vjp(fn, x)
        return y, pullback(ct)[0]

    return value_and_grad


@functools.lru_cache(maxsize=1)
def _input(dtype: str, size: int) -> Any:
    """``3 * normal`` samples, kept for the cases of one size."""
    import jax
    import jax.numpy as jnp

    x = 3 * jax.random.normal(jax.random.key(size), (size,), jnp.float32)
    return x.astype(dtype)


def _xla_copy(case: Case, kw: dict[str, Any]) -> list[Row]:
    import jax

    assert case.size is not None and case.dtype is not None
    x = _input(case.dtype, case.size)
    t = measure(jax.jit(roofline_copy), x, **kw)
    gbs = bytes_moved("forward", x.size, x.dtype.itemsize) / t["median"] / 1e9
    return [row(case, COPY, t, throughput=gbs, unit="GB/s")]


def _xla_activation(
    case: Case, mine: Callable, peer: Callable | None, kw: dict[str, Any]
) -> list[Row]:
    import jax
    import jax.numpy as jnp

    assert case.size is not None and case.dtype is not None
    mode = case.case.split("/")[1]
    if missing := extra_arguments(mine):
        note = f"needs more arguments than x: {', '.join(missing)}"
        return [skipped(case, impl, note) for impl in case.implementations]
    axis = rowwise(mine)
    note = "jax.nn has no function of that name" if peer is None else ""
    note = note or equivalent(mine, peer, axis)
    x = _input(case.dtype, case.size).reshape((-1, ROW_WIDTH) if axis else (-1,))
    contenders = [("jaxnn", mine)] + ([("jax.nn", peer)] if peer else [])
    if mode == "forward":
        calls = [(jax.jit(fn), (x,)) for _, fn in contenders]
    else:
        ct = jnp.ones(jax.eval_shape(mine, x).shape, x.dtype)
        calls = [(jax.jit(_forward_grad(fn)), (x, ct)) for _, fn in contenders]
    *timings, copy = measure_side_by_side(
        [*calls, (jax.jit(roofline_copy), (x,))], **kw
    )
    copy_bytes = bytes_moved("forward", x.size, x.dtype.itemsize)
    reference = {
        "roofline_gbs": copy_bytes / copy["median"] / 1e9,
        "roofline_gbs_best": copy_bytes / copy["min"] / 1e9,
    }
    out = [] if peer else [skipped(case, "jax.nn", note)]
    for (impl, _), t in zip(contenders, timings, strict=True):
        extra = {"peer_equivalent": not note} if impl == "jax.nn" else {}
        gbs = bytes_moved(mode, x.size, x.dtype.itemsize) / t["median"] / 1e9
        out.append(
            row(
                case,
                impl,
                t,
                throughput=gbs,
                unit="GB/s",
                note=note if impl == "jax.nn" else None,
                **reference,
                **extra,
            )
        )
    return out


def cases(side: str, settings: Settings, platform: str) -> list[Case]:
    """One worker's cases; the largest sizes first (a worker stopped at its
    time limit keeps them)."""
    by_dtype = sizes(settings, platform)
    out = []
    if side == "blas":
        for size in sorted(by_dtype["float32"], reverse=True):
            if size <= NUMPY_MAX_SIZE:
                for name in BOOK_NUMPY:
                    for mode in MODES:
                        if numpy_function(name, mode) is not None:
                            run = functools.partial(_numpy_run, settings=settings)
                            c = f"{name}/{mode}"
                            out.append(Case(SUITE, c, ("numpy",), size, "float32", run))
        return out
    import jax

    kw = {
        "block": jax.block_until_ready,
        "reps": settings.reps,
        "min_rep_seconds": settings.min_rep_seconds,
        "max_seconds": settings.max_seconds,
    }
    for dtype, dtype_sizes in by_dtype.items():
        for size in sorted(dtype_sizes, reverse=True):
            run = functools.partial(_xla_copy, kw=kw)
            out.append(Case(SUITE, "copy", (COPY,), size, dtype, run))
            for name, fn in activations():
                for mode in MODES:
                    peer = getattr(jax.nn, name, None)
                    run = functools.partial(_xla_activation, mine=fn, peer=peer, kw=kw)
                    c = f"{name}/{mode}"
                    out.append(Case(SUITE, c, ("jaxnn", "jax.nn"), size, dtype, run))
    return out
