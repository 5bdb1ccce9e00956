"""The activations suite: jaxnn vs jax.nn vs the book's NumPy, and a copy roofline.

Every activation is timed forward and forward+gradient (one ``vjp`` pulling
back an incoming cotangent array, as in backpropagation, and returning both
the value and the gradient), in float32 and
bfloat16, over sizes 2**10 ... 2**24 elements (2**26 on a GPU). Each XLA
function runs under its own ``jax.jit``.

Roofline: a same-run, same-size jitted ``-x`` (negation: it reads and writes
every element, cannot be elided by XLA and does no arithmetic worth the name;
the smoke test checks it returns a fresh buffer). Bytes moved are counted as
one read and one write per element forward, two reads (x, cotangent) and two
writes (value, gradient) forward+gradient. The copy is timed interleaved with
every activation (see ``measure_side_by_side``), so each figure is also a
fraction of the copy bandwidth measured alongside it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks._common import Case, Row, Settings, row, skipped
from benchmarks._timing import measure, measure_side_by_side

SUITE = "activations"
MODES = ("forward", "forward+grad")
DTYPES = ("float32", "bfloat16")
ROW_WIDTH = 1024  # softmax-like activations run over rows of this many elements


@dataclass(frozen=True)
class Activation:
    """One activation: its jaxnn name, jax.nn peer(s) and NumPy formulas."""

    name: str
    peers: tuple[tuple[str, str], ...]  # (label, jax.nn expression) candidates
    rowwise: bool = False  # softmax-like: over the last axis
    required: bool = True  # named in DESIGN.md; extras only run if jaxnn has them


ACTIVATIONS = (
    Activation("step", ()),
    Activation("identity", (("jax.nn.identity", "identity"),)),
    Activation("sigmoid", (("jax.nn.sigmoid", "sigmoid"),)),
    Activation("relu", (("jax.nn.relu", "relu"),)),
    Activation("leaky_relu", (("jax.nn.leaky_relu", "leaky_relu"),)),
    Activation("tanh", (("jax.nn.tanh", "tanh"),)),
    Activation("softplus", (("jax.nn.softplus", "softplus"),)),
    Activation("log_sigmoid", (("jax.nn.log_sigmoid", "log_sigmoid"),)),
    Activation("elu", (("jax.nn.elu", "elu"),)),
    Activation("selu", (("jax.nn.selu", "selu"),)),
    Activation(
        "gelu",
        (
            ("jax.nn.gelu(approximate=False)", "gelu_exact"),
            ("jax.nn.gelu(approximate=True)", "gelu"),
        ),
    ),
    Activation("silu", (("jax.nn.silu", "silu"),)),
    Activation("mish", (("jax.nn.mish", "mish"),)),
    Activation("hard_sigmoid", (("jax.nn.hard_sigmoid", "hard_sigmoid"),)),
    Activation("hard_tanh", (("jax.nn.hard_tanh", "hard_tanh"),)),
    Activation("softmax", (("jax.nn.softmax", "softmax"),), rowwise=True),
    Activation("log_softmax", (("jax.nn.log_softmax", "log_softmax"),), rowwise=True),
    # Extras: timed only where jaxnn provides them.
    Activation("relu6", (("jax.nn.relu6", "relu6"),), required=False),
    Activation("celu", (("jax.nn.celu", "celu"),), required=False),
    Activation("softsign", (("jax.nn.soft_sign", "soft_sign"),), required=False),
    Activation("squareplus", (("jax.nn.squareplus", "squareplus"),), required=False),
    Activation("hard_silu", (("jax.nn.hard_silu", "hard_silu"),), required=False),
    Activation("sparse_plus", (("jax.nn.sparse_plus", "sparse_plus"),), required=False),
)


ACCELERATORS = ("gpu", "cuda", "rocm", "tpu")
# The full run on a small CPU is capped so that it finishes in about ten
# minutes: float32 at every third power of two up to 2**22, plus 2**24;
# bfloat16 (emulated on most CPUs) at three sizes. Accelerators get them all.
CPU_SIZES = {
    "float32": (2**10, 2**13, 2**16, 2**19, 2**22, 2**24),
    "bfloat16": (2**10, 2**16, 2**22),
}
CPU_CAP_NOTE = (
    "CPU full run: float32 at 2^10, 2^13, 2^16, 2^19, 2^22, 2^24; bfloat16 at "
    "2^10, 2^16, 2^22 (every even power up to 2^26 on an accelerator)"
)


def caps(settings: Settings, platform: str) -> str | None:
    """How this run's sizes fall short of the issue's, if they do."""
    if settings.quick:
        return "activations --quick: 2^12, 2^16, 2^20 elements"
    return None if platform in ACCELERATORS else CPU_CAP_NOTE


def sizes(settings: Settings, platform: str, dtype: str = "float32") -> tuple[int, ...]:
    """Element counts for a dtype: three in --quick; see CPU_SIZES on a CPU;
    every even power of two from 2**10 to 2**26 on an accelerator."""
    if settings.quick:
        return (2**12, 2**16, 2**20)
    if platform in ACCELERATORS:
        return tuple(2**k for k in range(10, 27, 2))
    return CPU_SIZES[dtype]


def shape(act: Activation, size: int) -> tuple[int, ...]:
    """Softmax-like activations see rows of ROW_WIDTH elements; others are 1-D."""
    return (size // ROW_WIDTH, ROW_WIDTH) if act.rowwise else (size,)


def bytes_moved(mode: str, size: int, itemsize: int) -> int:
    """Forward: read x, write y. Forward+grad: read x and the cotangent, write
    y and the gradient."""
    return (2 if mode == "forward" else 4) * size * itemsize


# ---------------------------------------------------------------------------
# The book's NumPy formulas (chapter 3; gradients as in chapter 5's layers) and,
# for activations the book does not define, the textbook NumPy formula.

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _np_sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _np_softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(x, np.zeros((), x.dtype))


def _np_softmax(a: np.ndarray) -> np.ndarray:
    c = np.max(a, axis=-1, keepdims=True)
    exp_a = np.exp(a - c)
    return exp_a / np.sum(exp_a, axis=-1, keepdims=True)


def _np_log_softmax(a: np.ndarray) -> np.ndarray:
    shifted = a - np.max(a, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def _np_gelu_tanh(x: np.ndarray) -> np.ndarray:
    c = np.float32(np.sqrt(2 / np.pi))
    return 0.5 * x * (1 + np.tanh(c * (x + np.float32(0.044715) * x**3)))


def _np_gelu_erf(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return 0.5 * x * (1 + erf(x / np.float32(np.sqrt(2))))


# name -> (formula, source); source "book" = the book's own code.
NUMPY_FORWARD: dict[str, tuple[Callable[[np.ndarray], np.ndarray], str]] = {
    "step": (lambda x: (x > 0).astype(x.dtype), "book"),
    "identity": (lambda x: x, "book"),
    "sigmoid": (_np_sigmoid, "book"),
    "relu": (lambda x: np.maximum(0, x), "book"),
    "leaky_relu": (lambda x: np.where(x > 0, x, np.float32(0.01) * x), "textbook"),
    "tanh": (np.tanh, "textbook"),
    "softplus": (_np_softplus, "textbook"),
    "log_sigmoid": (lambda x: -_np_softplus(-x), "textbook"),
    "elu": (lambda x: np.where(x > 0, x, np.expm1(x)), "textbook"),
    "selu": (
        lambda x: (
            np.float32(SELU_SCALE)
            * np.where(x > 0, x, np.float32(SELU_ALPHA) * np.expm1(x))
        ),
        "textbook",
    ),
    "silu": (lambda x: x * _np_sigmoid(x), "textbook"),
    "mish": (lambda x: x * np.tanh(_np_softplus(x)), "textbook"),
    "hard_sigmoid": (lambda x: np.clip((x + 3) / 6, 0, 1), "textbook"),
    "hard_tanh": (lambda x: np.clip(x, -1, 1), "textbook"),
    "softmax": (_np_softmax, "book"),
    "log_softmax": (_np_log_softmax, "textbook"),
    "relu6": (lambda x: np.clip(x, 0, 6), "textbook"),
    "celu": (lambda x: np.where(x > 0, x, np.expm1(x)), "textbook"),  # alpha = 1
    "softsign": (lambda x: x / (1 + np.abs(x)), "textbook"),
}
NUMPY_GELU = {"erf": _np_gelu_erf, "tanh": _np_gelu_tanh}

# name -> (x, y) -> dy/dx; numpy_forward_grad multiplies it by the cotangent.
NUMPY_GRAD: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "step": lambda x, y: np.zeros_like(x),
    "identity": lambda x, y: np.ones_like(x),
    "sigmoid": lambda x, y: (1 - y) * y,  # the book's Sigmoid.backward
    "relu": lambda x, y: (x > 0).astype(x.dtype),  # the book's Relu.backward
    "leaky_relu": lambda x, y: np.where(x > 0, np.float32(1), np.float32(0.01)),
    "tanh": lambda x, y: 1 - y * y,
    "softplus": lambda x, y: _np_sigmoid(x),
    "log_sigmoid": lambda x, y: _np_sigmoid(-x),
    "elu": lambda x, y: np.where(x > 0, np.float32(1), y + 1),
    "selu": lambda x, y: np.where(
        x > 0, np.float32(SELU_SCALE), y + np.float32(SELU_SCALE * SELU_ALPHA)
    ),
    "silu": lambda x, y: (s := _np_sigmoid(x)) * (1 + x * (1 - s)),
    "mish": lambda x, y: (
        (t := np.tanh(_np_softplus(x))) + x * _np_sigmoid(x) * (1 - t * t)
    ),
    "hard_sigmoid": lambda x, y: ((x > -3) & (x < 3)).astype(x.dtype) / np.float32(6),
    "hard_tanh": lambda x, y: (np.abs(x) < 1).astype(x.dtype),
    "relu6": lambda x, y: ((x > 0) & (x < 6)).astype(x.dtype),
    "celu": lambda x, y: np.where(x > 0, np.float32(1), y + 1),
    "softsign": lambda x, y: 1 / (1 + np.abs(x)) ** 2,
}


def _np_gelu_erf_grad(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    cdf = 0.5 * (1 + erf(x / np.float32(np.sqrt(2))))
    return cdf + x * np.exp(-0.5 * x * x) / np.float32(np.sqrt(2 * np.pi))


def _np_gelu_tanh_grad(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    c = np.float32(np.sqrt(2 / np.pi))
    t = np.tanh(c * (x + np.float32(0.044715) * x**3))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (
        1 + np.float32(0.134145) * x * x
    )


NUMPY_GELU_GRAD = {"erf": _np_gelu_erf_grad, "tanh": _np_gelu_tanh_grad}


def _softmax_vjp(x: np.ndarray, y: np.ndarray, ct: np.ndarray) -> np.ndarray:
    return y * (ct - np.sum(ct * y, axis=-1, keepdims=True))


def _log_softmax_vjp(x: np.ndarray, y: np.ndarray, ct: np.ndarray) -> np.ndarray:
    return ct - np.exp(y) * np.sum(ct, axis=-1, keepdims=True)


# Row-wise functions: (x, y, ct) -> the vector-Jacobian product.
NUMPY_VJP = {"softmax": _softmax_vjp, "log_softmax": _log_softmax_vjp}


def numpy_forward(name: str, variant: str | None = None) -> Callable | None:
    """The NumPy formula for an activation (gelu: pass ``"erf"`` or ``"tanh"``)."""
    if name == "gelu":
        return NUMPY_GELU[variant or "erf"]
    entry = NUMPY_FORWARD.get(name)
    return None if entry is None else entry[0]


def numpy_forward_grad(name: str, variant: str | None = None) -> Callable | None:
    """A NumPy ``(x, ct) -> (y, vjp)``, or None where none is written."""
    fwd = numpy_forward(name, variant)
    if fwd is None:
        return None
    if name in NUMPY_VJP:
        vjp = NUMPY_VJP[name]
    else:
        grad = (
            NUMPY_GELU_GRAD[variant or "erf"]
            if name == "gelu"
            else NUMPY_GRAD.get(name)
        )
        if grad is None:
            return None
        vjp = lambda x, y, ct: ct * grad(x, y)

    def value_and_grad(x: np.ndarray, ct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        y = fwd(x)
        return y, vjp(x, y, ct)

    return value_and_grad


# ---------------------------------------------------------------------------
# The XLA side.


def jax_nn_function(expr: str) -> Callable | None:
    """The jax.nn function a peer expression names (None if this JAX lacks it)."""
    import jax

    if expr == "gelu_exact":
        return functools.partial(jax.nn.gelu, approximate=False)
    return getattr(jax.nn, expr, None)


def match_peer(
    act: Activation, fn: Callable
) -> tuple[str | None, Callable | None, str]:
    """The first jax.nn candidate computing the same function as jaxnn's.

    Returns (label, function, note). Where no candidate agrees on a probe grid
    (rtol 1e-4, atol 1e-5, float32), the first available candidate is
    returned with a note: its ratio is then not a like-for-like comparison.
    """
    import jax.numpy as jnp

    probe = jnp.linspace(-6.0, 6.0, 4 * ROW_WIDTH, dtype=jnp.float32)
    if act.rowwise:
        probe = probe.reshape(4, ROW_WIDTH)
    mine = np.asarray(fn(probe), np.float64)
    fallback: tuple[str | None, Callable | None] = (None, None)
    worst = None
    for label, expr in act.peers:
        peer = jax_nn_function(expr)
        if peer is None:
            continue
        theirs = np.asarray(peer(probe), np.float64)
        if np.allclose(mine, theirs, rtol=1e-4, atol=1e-5, equal_nan=True):
            return label, peer, ""
        if fallback[0] is None:
            fallback = (label, peer)
            worst = float(np.nanmax(np.abs(mine - theirs)))
    if fallback[0] is None:
        return None, None, "jax.nn has no equivalent"
    return (
        fallback[0],
        fallback[1],
        f"jaxnn.{act.name} differs from {fallback[0]} (max abs diff {worst:.3g} "
        "on [-6, 6]): not a like-for-like ratio",
    )


def _forward_grad(fn: Callable) -> Callable:
    import jax

    def value_and_grad(x: Any, ct: Any) -> tuple[Any, Any]:
        y, pullback = jax.vjp(fn, x)
        (dx,) = pullback(ct)
        return y, dx

    return value_and_grad


def roofline_copy(x: Any) -> Any:
    """The bandwidth reference: ``-x``, one read and one write per element."""
    return -x


class _Inputs:
    """The current input array, created on first use; one size alive at a time."""

    def __init__(self) -> None:
        self.key: tuple[str, int, bool] | None = None
        self.value: Any = None

    def get(self, dtype: str, size: int, rowwise: bool) -> Any:
        import jax
        import jax.numpy as jnp

        if self.key != (dtype, size, rowwise):
            self.value = None
            x = 3 * jax.random.normal(jax.random.key(size), (size,), jnp.float32)
            shp = (-1, ROW_WIDTH) if rowwise else (-1,)
            x = x.astype(dtype).reshape(shp)
            self.value = (x, jnp.ones_like(x))
            self.key = (dtype, size, rowwise)
        return self.value


def _xla_copy(case: Case, inputs: _Inputs, kw: dict[str, Any]) -> list[Row]:
    import jax

    assert case.size is not None and case.dtype is not None
    x, _ = inputs.get(case.dtype, case.size, False)
    t = measure(jax.jit(roofline_copy), x, **kw)
    gbs = 2 * x.size * x.dtype.itemsize / t["median"] / 1e9
    return [row(case, "roofline copy (-x)", t, throughput=gbs, unit="GB/s")]


def _xla_activation(
    case: Case,
    act: Activation,
    mode: str,
    inputs: _Inputs,
    peers: dict[str, tuple[str | None, Callable | None, str]],
    kw: dict[str, Any],
) -> list[Row]:
    import jax

    import jaxnn

    assert case.size is not None and case.dtype is not None
    mine = getattr(jaxnn, act.name, None)
    if mine is None:
        note = f"jaxnn.{act.name} does not exist yet"
        return [skipped(case, "jaxnn", note), skipped(case, "jax.nn", note)]
    if act.name not in peers:
        peers[act.name] = match_peer(act, mine)
    label, peer, peer_note = peers[act.name]
    x, ct = inputs.get(case.dtype, case.size, act.rowwise)
    args = (x,) if mode == "forward" else (x, ct)
    nbytes = bytes_moved(mode, x.size, x.dtype.itemsize)
    contenders = [(impl, fn) for impl, fn in (("jaxnn", mine), ("jax.nn", peer)) if fn]
    wrap = (lambda f: f) if mode == "forward" else _forward_grad
    *timings, copy = measure_side_by_side(
        [(jax.jit(wrap(fn)), args) for _, fn in contenders]
        + [(jax.jit(roofline_copy), (x,))],
        **kw,
    )
    copy_gbs = 2 * x.size * x.dtype.itemsize / copy["median"] / 1e9
    out: list[Row] = [] if peer else [skipped(case, "jax.nn", peer_note)]
    for (impl, _), t in zip(contenders, timings, strict=True):
        extra: dict[str, Any] = {
            "roofline_gbs": copy_gbs,
            "roofline_gbs_best": 2 * x.size * x.dtype.itemsize / copy["min"] / 1e9,
        }
        if impl == "jax.nn":
            extra["peer_function"] = label
            extra["peer_equivalent"] = not peer_note
        elif act.name == "gelu" and label and not peer_note:
            extra["variant"] = "tanh" if "True" in label else "erf"
        note = peer_note if impl == "jax.nn" else None
        gbs = nbytes / t["median"] / 1e9
        out.append(row(case, impl, t, throughput=gbs, unit="GB/s", note=note, **extra))
    return out


def _xla_cases(settings: Settings) -> list[Case]:
    import jax

    import jaxnn

    platform = jax.devices()[0].platform
    inputs = _Inputs()
    peers: dict[str, tuple[str | None, Callable | None, str]] = {}
    present = [a for a in ACTIVATIONS if a.required or hasattr(jaxnn, a.name)]
    kw = {
        "block": jax.block_until_ready,
        "reps": settings.reps,
        "min_rep_seconds": settings.min_rep_seconds,
        "max_seconds": 1.0 if settings.quick else 2.0,
    }
    out = []
    for dtype in DTYPES:
        for size in sizes(settings, platform, dtype):
            c = Case(SUITE, "copy", ("roofline copy (-x)",), size, dtype, list)
            c.run = functools.partial(_xla_copy, c, inputs, kw)
            out.append(c)
            for act in present:
                for mode in MODES:
                    impls = ("jaxnn", "jax.nn")
                    c = Case(SUITE, f"{act.name}/{mode}", impls, size, dtype, list)
                    c.run = functools.partial(
                        _xla_activation, c, act, mode, inputs, peers, kw
                    )
                    out.append(c)
    return out


def _numpy_skip(case: Case, note: str) -> list[Row]:
    return [skipped(case, "numpy", note)]


def _numpy_cases(settings: Settings) -> list[Case]:
    names = [a for a in ACTIVATIONS if a.required or a.name in NUMPY_FORWARD]
    out = []
    for act in names:
        for mode in MODES:
            c = Case(SUITE, f"{act.name}/{mode}", ("numpy",), None, "bfloat16", list)
            c.run = functools.partial(
                _numpy_skip, c, "NumPy has no bfloat16 arithmetic"
            )
            out.append(c)
    for size in sizes(settings, "cpu", "float32"):
        for act in names:
            for mode in MODES:
                variants = ("erf", "tanh") if act.name == "gelu" else (None,)
                for variant in variants:
                    c = Case(
                        SUITE, f"{act.name}/{mode}", ("numpy",), size, "float32", list
                    )
                    c.run = functools.partial(
                        _numpy_run, c, act, mode, variant, settings
                    )
                    out.append(c)
    return out


def _numpy_run(
    case: Case, act: Activation, mode: str, variant: str | None, settings: Settings
) -> list[Row]:
    assert case.size is not None
    if mode == "forward":
        fn = numpy_forward(act.name, variant)
    else:
        fn = numpy_forward_grad(act.name, variant)
    if fn is None:
        note = f"no NumPy {mode} formula written for {act.name}"
        return [skipped(case, "numpy", note)]
    rng = np.random.default_rng(case.size)
    x = (3 * rng.standard_normal(case.size, dtype=np.float32)).reshape(
        shape(act, case.size)
    )
    source = NUMPY_FORWARD.get(act.name, (None, "textbook"))[1]
    args = (x,) if mode == "forward" else (x, np.ones_like(x))
    t = measure(
        fn,
        *args,
        reps=settings.reps,
        min_rep_seconds=settings.min_rep_seconds,
        max_seconds=1.0 if settings.quick else 2.0,
    )
    gbs = bytes_moved(mode, x.size, x.itemsize) / t["median"] / 1e9
    extra: dict[str, Any] = {"formula": source}
    if variant:
        extra["variant"] = variant
    return [row(case, "numpy", t, throughput=gbs, unit="GB/s", **extra)]


def cases(side: str, settings: Settings) -> list[Case]:
    """The suite's cases for one worker: ``side`` is ``"xla"`` or ``"blas"``."""
    return _xla_cases(settings) if side == "xla" else _numpy_cases(settings)
