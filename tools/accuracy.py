"""Accuracy of jaxnn's activations beside jax.nn's, against exact references.

Three measurements, on whatever backend JAX uses (and a fourth on request):

1. **The float32 table** (:func:`accuracy_table`). For every smooth
   activation, its value and its first derivative are computed in float32 on
   a fixed grid of a few thousand points with ``|x| <= 200`` (dense in the
   tails, where underflow bites, and near the derivatives' roots), and
   compared with a 40-digit mpmath reference. Errors are in ulp of the exact
   value, counted only where that value is a normal float32 (as the accuracy
   guarantee says). Next to the single root of the derivatives of silu, gelu
   and mish, where no plain float32 formula can keep a small relative error,
   the error is measured as an absolute error in units of ``eps = 2**-23``
   (one ulp of 1.0) instead. "Next to the root" is defined by cancellation:
   each of these derivatives is a sum of two terms, a + b (silu:
   s + x s (1 - s); gelu: Phi + x phi; mish: t + x s sech^2(softplus); gelu's
   tanh form likewise), and the absolute criterion applies where
   |a| + |b| >= 2 |a + b|, i.e. where the sum loses at least one bit to
   cancellation (x in about [-3.0, -0.53] for silu, [-1.52, -0.33] for gelu,
   [-3.0, -0.49] for mish).
2. **Between the grid points** (:func:`dense_table`, not with ``--quick``):
   the same errors at about two million random float32 inputs, against
   float64 formulas (NumPy and SciPy, independent of jaxnn), which keep far
   more than float32's 24 bits.
3. **Half precision** (:func:`half_table`): for *every* finite bfloat16 and
   float16 input, the output (value and derivative) against the exact result
   rounded to that dtype: how many outputs are not the correctly rounded
   value, and the worst error in half-ulp (units of half an ulp of the half
   dtype, so a correctly rounded result is within 1). Assessed where the
   input and the exact value are normal numbers of that dtype (XLA's CPU
   backend flushes subnormal float32 numbers, bfloat16's subnormals among
   them, to zero; on other backends they may not be). The exact value comes from
   the float64 formulas, and from mpmath wherever it lies so close to a
   rounding boundary that float64 could misplace it.

4. **Every float32** (:func:`exhaustive_table`, ``--exhaustive NAME ...``):
   jaxnn's errors at every float32 input with ``1/256 <= |x| < 128`` (about
   250 million), against the float64 formulas; minutes per function, so run
   on request only. Random sweeps can miss a narrow worst case; this cannot,
   in that range.

Usage::

    python -m tools.accuracy [--quick] [--json PATH] [--markdown PATH]
    python -m tools.accuracy --exhaustive tanh mish ...

prints the tables as Markdown (``--quick``: the float32 grid table and the
half-precision check, under a minute on a laptop CPU; by default also the
dense sweep, a few minutes). From Python (the docs do this)::

    from tools import accuracy
    rows = accuracy.accuracy_table()
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import ml_dtypes
import mpmath as mp
import numpy as np
from scipy import special

try:
    import jaxnn
except ModuleNotFoundError:  # run from a source checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import jaxnn

mp.mp.dps = 40

TINY = float(np.finfo(np.float32).tiny)  # smallest normal float32
EPS = float(np.finfo(np.float32).eps)  # 2**-23, one ulp of 1.0

_SELU_ALPHA = mp.mpf("1.6732632423543772848170429916717")
_SELU_SCALE = mp.mpf("1.0507009873554804934193349852946")
_GELU_C = mp.mpf("0.044715")


def _sig(x: Any) -> Any:
    return 1 / (1 + mp.exp(-x))


def _gelu_tanh(x: Any) -> Any:
    u = mp.sqrt(2 / mp.pi) * (x + _GELU_C * x**3)
    return x * _sig(2 * u)


def _gelu_tanh_der(x: Any) -> Any:
    c = mp.sqrt(2 / mp.pi)
    u2 = 2 * c * (x + _GELU_C * x**3)
    du2 = 2 * c * (1 + 3 * _GELU_C * x**2)
    s = _sig(u2)
    return s + x * du2 * s * (1 - s)


def _mish_der(x: Any) -> Any:
    sp = mp.log1p(mp.exp(x))
    return mp.tanh(sp) + x * mp.sech(sp) ** 2 * _sig(x)


def _log1mexp(x: Any) -> Any:
    if x <= 0:
        return mp.mpf("-inf") if x == 0 else mp.mpf("nan")
    # log(1 - exp(-x)) itself would keep too few of the 40 digits for x >> 1.
    return mp.log(-mp.expm1(-x)) if x < 1 else mp.log1p(-mp.exp(-x))


def _log1mexp_der(x: Any) -> Any:
    return 1 / mp.expm1(x) if x > 0 else mp.mpf("nan")


def _squareplus(x: Any) -> Any:
    return (x + mp.sqrt(x * x + 4)) / 2


def _squareplus_der(x: Any) -> Any:
    return (1 + x / mp.sqrt(x * x + 4)) / 2


def _piecewise(
    x: Any, lo: Any, mid: Callable[[Any], Any], hi: Any, a: float, b: float
) -> Any:
    return lo(x) if x <= a else (hi(x) if x >= b else mid(x))


# name -> (value, derivative) in mpmath
REFERENCES: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "sigmoid": (_sig, lambda x: _sig(x) * _sig(-x)),
    "tanh": (mp.tanh, lambda x: mp.sech(x) ** 2),
    "softplus": (lambda x: mp.log1p(mp.exp(x)), _sig),
    "log_sigmoid": (lambda x: -mp.log1p(mp.exp(-x)), lambda x: _sig(-x)),
    "elu": (
        lambda x: x if x > 0 else mp.expm1(x),
        lambda x: mp.mpf(1) if x > 0 else mp.exp(x),
    ),
    "selu": (
        lambda x: _SELU_SCALE * (x if x > 0 else _SELU_ALPHA * mp.expm1(x)),
        lambda x: _SELU_SCALE if x > 0 else _SELU_SCALE * _SELU_ALPHA * mp.exp(x),
    ),
    "gelu": (lambda x: x * mp.ncdf(x), lambda x: mp.ncdf(x) + x * mp.npdf(x)),
    "gelu_tanh": (_gelu_tanh, _gelu_tanh_der),
    "silu": (lambda x: x * _sig(x), lambda x: _sig(x) * (1 + x * _sig(-x))),
    "mish": (lambda x: x * mp.tanh(mp.log1p(mp.exp(x))), _mish_der),
    "softsign": (lambda x: x / (1 + abs(x)), lambda x: 1 / (1 + abs(x)) ** 2),
    "log1mexp": (_log1mexp, _log1mexp_der),
    "squareplus": (_squareplus, _squareplus_der),
    "sparse_plus": (
        lambda x: _piecewise(
            x, lambda t: mp.mpf(0), lambda t: (t + 1) ** 2 / 4, lambda t: t, -1, 1
        ),
        lambda x: _piecewise(
            x, lambda t: mp.mpf(0), lambda t: (t + 1) / 2, lambda t: mp.mpf(1), -1, 1
        ),
    ),
    "hard_silu": (
        lambda x: _piecewise(
            x, lambda t: mp.mpf(0), lambda t: t * (t + 3) / 6, lambda t: t, -3, 3
        ),
        lambda x: _piecewise(
            x,
            lambda t: mp.mpf(0),
            lambda t: (2 * t + 3) / 6,
            lambda t: mp.mpf(1),
            -3,
            3,
        ),
    ),
}


def _mish_terms(x: Any) -> tuple[Any, Any]:
    sp = mp.log1p(mp.exp(x))
    return mp.tanh(sp), x * mp.sech(sp) ** 2 * _sig(x)


# The derivatives with a root, as the two terms a + b that cancel there.
ROOT_TERMS: dict[str, Callable[[Any], tuple[Any, Any]]] = {
    "silu": lambda x: (_sig(x), x * _sig(x) * _sig(-x)),
    "gelu": lambda x: (mp.ncdf(x), x * mp.npdf(x)),
    "mish": _mish_terms,
    "gelu_tanh": lambda x: (
        _gelu_tanh(x) / x if x else mp.mpf(0.5),
        _gelu_tanh_der(x) - (_gelu_tanh(x) / x if x else mp.mpf(0.5)),
    ),
}

JAXNN: dict[str, Callable[[jax.Array], jax.Array]] = {
    "sigmoid": jaxnn.sigmoid,
    "tanh": jaxnn.tanh,
    "softplus": jaxnn.softplus,
    "log_sigmoid": jaxnn.log_sigmoid,
    "elu": jaxnn.elu,
    "selu": jaxnn.selu,
    "gelu": functools.partial(jaxnn.gelu, approximate=False),
    "gelu_tanh": functools.partial(jaxnn.gelu, approximate=True),
    "silu": jaxnn.silu,
    "mish": jaxnn.mish,
    "softsign": jaxnn.soft_sign,
    "log1mexp": jaxnn.log1mexp,
    "squareplus": jaxnn.squareplus,
    "sparse_plus": jaxnn.sparse_plus,
    "hard_silu": jaxnn.hard_silu,
}

JAX_NN: dict[str, Callable[[jax.Array], jax.Array]] = {
    "sigmoid": jax.nn.sigmoid,
    "tanh": jnp.tanh,
    "softplus": jax.nn.softplus,
    "log_sigmoid": jax.nn.log_sigmoid,
    "elu": jax.nn.elu,
    "selu": jax.nn.selu,
    "gelu": functools.partial(jax.nn.gelu, approximate=False),
    "gelu_tanh": functools.partial(jax.nn.gelu, approximate=True),
    "silu": jax.nn.silu,
    "mish": jax.nn.mish,
    "softsign": jax.nn.soft_sign,
    "log1mexp": jax.nn.log1mexp,
    "squareplus": jax.nn.squareplus,
    "sparse_plus": jax.nn.sparse_plus,
    "hard_silu": jax.nn.hard_silu,
}


def grid() -> np.ndarray:
    """The float32 test points: uniform on [-200, 200] plus dense patches."""
    parts = [
        np.linspace(-200, 200, 1601),
        np.linspace(-95, -75, 401),  # exp(x) crosses the normal range
        np.linspace(75, 95, 401),
        np.linspace(-46, -38, 161),  # tanh' = 4 exp(-2|x|) crosses it
        np.linspace(38, 46, 161),
        np.linspace(-14, -8, 301),  # the Gaussian tail of gelu
        np.linspace(-3, 3, 601),  # around 0 and the derivatives' roots
        np.geomspace(1e-8, 3.0, 100),
        -np.geomspace(1e-8, 3.0, 100),
        np.array([0.0]),
    ]
    xs = np.unique(np.concatenate(parts).astype(np.float32))
    return xs


@functools.cache
def near_root(name: str) -> np.ndarray:
    """Where the absolute criterion applies to ``name``'s derivative."""
    if name not in ROOT_TERMS:
        return np.zeros(grid().shape, bool)
    terms = [ROOT_TERMS[name](mp.mpf(float(x))) for x in grid()]
    return np.array([abs(a) + abs(b) >= 2 * abs(a + b) for a, b in terms])


@functools.cache
def reference(name: str, quantity: str) -> np.ndarray:
    """mpmath value (or derivative) of ``name`` at :func:`grid`, as float64.

    Values that are subnormal in float64 are returned as 0; they are outside
    the guarantee anyway. Cached for the life of the process.
    """
    f = REFERENCES[name][0 if quantity == "value" else 1]
    return np.array([float(f(mp.mpf(float(x)))) for x in grid()])


def _ulp_error(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """``|got - ref|`` in float32 ulp of ``ref``; NaN where not assessed."""
    got = np.asarray(got, np.float64)
    assessed = np.isfinite(ref) & (np.abs(ref) >= TINY)
    assessed &= np.abs(ref) <= float(np.finfo(np.float32).max)
    _, exp2 = np.frexp(np.where(assessed, ref, 1.0))
    ulp = np.ldexp(1.0, exp2 - 24)  # ulp of a float32 in [2**(e-1), 2**e)
    with np.errstate(invalid="ignore"):
        err = np.abs(got - ref) / ulp
    err = np.where(np.isnan(got) & assessed, np.inf, err)
    return np.where(assessed, err, np.nan)


def ulp_errors(name: str, quantity: str, got: np.ndarray) -> np.ndarray:
    """Error of ``got`` in ulp of the exact value; NaN where not assessed."""
    ref = reference(name, quantity)
    err = _ulp_error(got, ref)
    if quantity == "derivative":
        near = near_root(name)
        absolute = np.abs(np.asarray(got, np.float64) - ref) / EPS
        err = np.where(near & ~np.isnan(err), np.minimum(err, absolute), err)
    return err


def evaluate(
    fn: Callable[[jax.Array], jax.Array], quantity: str, xs: np.ndarray | None = None
) -> np.ndarray:
    """``fn`` or its derivative, jit-compiled, at ``xs`` (default the grid)."""
    x = jnp.asarray(grid() if xs is None else xs)
    return np.asarray(_compiled(fn, quantity)(x))


@functools.cache
def _compiled(
    fn: Callable[[jax.Array], jax.Array], quantity: str
) -> Callable[[jax.Array], jax.Array]:
    """One jitted function per (function, quantity), so that repeated calls
    (the exhaustive check's chunks) reuse its compilation."""
    if quantity == "derivative":
        fn = jax.vmap(jax.grad(fn))
    return jax.jit(fn)


def accuracy_table() -> list[dict[str, Any]]:
    """One row per (function, quantity): max ulp error of jaxnn and jax.nn.

    Returns:
        A list of dicts with keys ``function``, ``quantity`` (``"value"`` or
        ``"derivative"``), ``jaxnn_max_ulp``, ``jaxnn_worst_x``,
        ``jax_nn_max_ulp`` and ``jax_nn_worst_x``.
    """
    xs = grid()
    rows = []
    for name in REFERENCES:
        for quantity in ("value", "derivative"):
            row: dict[str, Any] = {"function": name, "quantity": quantity}
            for label, table in (("jaxnn", JAXNN), ("jax_nn", JAX_NN)):
                err = ulp_errors(name, quantity, evaluate(table[name], quantity))
                i = int(np.nanargmax(err))
                row[f"{label}_max_ulp"] = float(err[i])
                row[f"{label}_worst_x"] = float(xs[i])
            rows.append(row)
    return rows


# ---------------------------------------------------------------------------
# float64 references (NumPy/SciPy), for the dense sweep and half precision
# ---------------------------------------------------------------------------


def _sig64(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _sech2(x: np.ndarray) -> np.ndarray:
    e = np.exp(-2 * np.abs(x))
    return 4 * e / (1 + e) ** 2


def _gelu_tanh_u(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = np.sqrt(2 / np.pi)
    return 2 * c * (x + 0.044715 * x**3), 2 * c * (1 + 3 * 0.044715 * x**2)


def _squareplus64(x: np.ndarray) -> np.ndarray:
    s = np.sqrt(x * x + 4)
    return np.where(x >= 0, (x + s) / 2, 2 / (s - x))


def _log1mexp64(x: np.ndarray) -> np.ndarray:
    return np.where(x < np.log(2), np.log(-np.expm1(-x)), np.log1p(-np.exp(-x)))


_SA = 1.0507009873554804934193349852946 * 1.6732632423543772848170429916717

# name -> (value, derivative, root terms or None), float64 in, float64 out.
FLOAT64: dict[
    str, tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any] | None]
] = {
    "sigmoid": (_sig64, lambda x: _sig64(x) * _sig64(-x), None),
    "tanh": (np.tanh, _sech2, None),
    "softplus": (lambda x: np.logaddexp(0, x), _sig64, None),
    "log_sigmoid": (lambda x: -np.logaddexp(0, -x), lambda x: _sig64(-x), None),
    "elu": (
        lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
        lambda x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0))),
        None,
    ),
    "selu": (
        lambda x: np.where(
            x > 0, 1.0507009873554805 * x, _SA * np.expm1(np.minimum(x, 0))
        ),
        lambda x: np.where(x > 0, 1.0507009873554805, _SA * np.exp(np.minimum(x, 0))),
        None,
    ),
    "gelu": (
        lambda x: x * special.ndtr(x),
        lambda x: special.ndtr(x) + x * np.exp(-x * x / 2) / np.sqrt(2 * np.pi),
        lambda x: (special.ndtr(x), x * np.exp(-x * x / 2) / np.sqrt(2 * np.pi)),
    ),
    "gelu_tanh": (
        lambda x: x * _sig64(_gelu_tanh_u(x)[0]),
        lambda x: (
            _sig64(_gelu_tanh_u(x)[0])
            + x
            * _gelu_tanh_u(x)[1]
            * _sig64(_gelu_tanh_u(x)[0])
            * _sig64(-_gelu_tanh_u(x)[0])
        ),
        lambda x: (
            _sig64(_gelu_tanh_u(x)[0]),
            x
            * _gelu_tanh_u(x)[1]
            * _sig64(_gelu_tanh_u(x)[0])
            * _sig64(-_gelu_tanh_u(x)[0]),
        ),
    ),
    "silu": (
        lambda x: x * _sig64(x),
        lambda x: _sig64(x) + x * _sig64(x) * _sig64(-x),
        lambda x: (_sig64(x), x * _sig64(x) * _sig64(-x)),
    ),
    "mish": (
        lambda x: x * np.tanh(np.logaddexp(0, x)),
        lambda x: (
            np.tanh(np.logaddexp(0, x)) + x * _sech2(np.logaddexp(0, x)) * _sig64(x)
        ),
        lambda x: (
            np.tanh(np.logaddexp(0, x)),
            x * _sech2(np.logaddexp(0, x)) * _sig64(x),
        ),
    ),
    "softsign": (
        lambda x: x / (1 + np.abs(x)),
        lambda x: 1 / (1 + np.abs(x)) ** 2,
        None,
    ),
    "log1mexp": (_log1mexp64, lambda x: np.where(x > 0, 1 / np.expm1(x), np.nan), None),
    "squareplus": (
        _squareplus64,
        lambda x: np.where(
            x >= 0,
            0.5 + 0.5 * x / np.sqrt(x * x + 4),
            _squareplus64(x) / np.sqrt(x * x + 4),
        ),
        None,
    ),
    "sparse_plus": (
        lambda x: np.where(x <= -1, 0.0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
        lambda x: np.where(x <= -1, 0.0, np.where(x >= 1, 1.0, (x + 1) / 2)),
        None,
    ),
    "hard_silu": (
        lambda x: np.where(x <= -3, 0.0, np.where(x >= 3, x, x * (x + 3) / 6)),
        lambda x: np.where(x <= -3, 0.0, np.where(x >= 3, 1.0, (2 * x + 3) / 6)),
        None,
    ),
}


def float64_reference(name: str, quantity: str, x: np.ndarray) -> np.ndarray:
    """The float64 formula of ``name``'s value or derivative at ``x``."""
    with np.errstate(all="ignore"):
        f = FLOAT64[name][0 if quantity == "value" else 1]
        return np.asarray(f(np.asarray(x, np.float64)), np.float64)


def _worst_error(
    name: str, quantity: str, xs: np.ndarray, fn: Callable[[jax.Array], jax.Array]
) -> tuple[float, float]:
    """``fn``'s largest ulp error at float32 ``xs`` against the float64 formula,
    and where; the near-root criterion is that of :func:`ulp_errors`, from the
    float64 terms."""
    ref = float64_reference(name, quantity, xs)
    got = evaluate(fn, quantity, xs).astype(np.float64)
    err = _ulp_error(got, ref)
    terms = FLOAT64[name][2]
    if quantity == "derivative" and terms is not None:
        with np.errstate(all="ignore"):
            a, b = terms(xs.astype(np.float64))
        near = np.abs(a) + np.abs(b) >= 2 * np.abs(a + b)
        err = np.where(
            near & ~np.isnan(err), np.minimum(err, np.abs(got - ref) / EPS), err
        )
    if np.all(np.isnan(err)):
        return 0.0, float("nan")
    i = int(np.nanargmax(err))
    return float(err[i]), float(xs[i])


def dense_table(n: int = 2**21, seed: int = 0) -> list[dict[str, Any]]:
    """Max float32 ulp error at ``n`` random inputs, against float64 formulas.

    The inputs are uniform on [-20, 20] (half of them), on [-200, 200] and
    standard normal (a quarter each).
    """
    rng = np.random.default_rng(seed)
    xs = np.concatenate(
        [
            rng.uniform(-20, 20, n // 2),
            rng.uniform(-200, 200, n // 4),
            rng.standard_normal(n // 4),
        ]
    ).astype(np.float32)
    rows = []
    for name in REFERENCES:
        for quantity in ("value", "derivative"):
            row: dict[str, Any] = {"function": name, "quantity": quantity}
            for label, table in (("jaxnn", JAXNN), ("jax_nn", JAX_NN)):
                u, x = _worst_error(name, quantity, xs, table[name])
                row[f"{label}_max_ulp"] = u
                row[f"{label}_worst_x"] = x
            rows.append(row)
    return rows


def every_float(lo: float, hi: float) -> np.ndarray:
    """Every float32 ``x`` with ``lo <= |x| < hi`` (``lo > 0``), both signs."""
    start, stop = np.array([lo, hi], np.float32).view(np.uint32)
    xs = np.arange(start, stop, dtype=np.uint32).view(np.float32)
    return np.concatenate([xs, -xs])


def exhaustive_worst(
    name: str,
    quantity: str,
    fn: Callable[[jax.Array], jax.Array],
    lo: float = 2.0**-8,
    hi: float = 128.0,
    chunk: int = 2**22,
) -> tuple[float, float]:
    """``fn``'s largest ulp error at every float32 with ``lo <= |x| < hi``, and
    where, against ``name``'s float64 formula (in chunks of ``chunk``)."""
    start, stop = (int(b) for b in np.array([lo, hi], np.float32).view(np.uint32))
    worst, at = 0.0, float("nan")
    for sign in (1.0, -1.0):
        for i in range(start, stop, chunk):
            bits = np.arange(i, min(i + chunk, stop), dtype=np.uint32)
            xs = bits.view(np.float32) * np.float32(sign)
            u, x = _worst_error(name, quantity, xs, fn)
            if u > worst:
                worst, at = u, x
    return worst, at


def exhaustive_table(
    names: Sequence[str] | None = None,
    lo: float = 2.0**-8,
    hi: float = 128.0,
    quantities: Sequence[str] = ("value", "derivative"),
) -> list[dict[str, Any]]:
    """jaxnn's max float32 ulp error at *every* float32 with ``lo <= |x| < hi``.

    About 250 million inputs per row with the defaults, against the float64
    formulas: up to a few minutes per row on a CPU, so not part of :func:`run`
    (``python -m tools.accuracy --exhaustive NAME ...``).
    """
    n = 2 * int(np.diff(np.array([lo, hi], np.float32).view(np.uint32))[0])
    rows = []
    for name in names or list(REFERENCES):
        for quantity in quantities:
            worst, at = exhaustive_worst(name, quantity, JAXNN[name], lo, hi)
            rows.append(
                {
                    "function": name,
                    "quantity": quantity,
                    "inputs": n,
                    "jaxnn_max_ulp": worst,
                    "jaxnn_worst_x": at,
                }
            )
    return rows


# ---------------------------------------------------------------------------
# Half precision: correctly rounded or not
# ---------------------------------------------------------------------------

HALF_DTYPES = {"bfloat16": (jnp.bfloat16, 8), "float16": (jnp.float16, 11)}


def all_finite(dtype: Any) -> np.ndarray:
    """Every finite value of a 16-bit floating dtype, once each (no -0)."""
    bits = np.arange(2**16, dtype=np.uint16)
    values = bits.view(np.dtype(dtype))
    values = values[np.isfinite(values.astype(np.float32))]
    return np.unique(values.astype(np.float32))


def round_to_bits(
    v: np.ndarray, bits: int, max_value: float
) -> tuple[np.ndarray, np.ndarray]:
    """``v`` (float64, normal range) rounded to ``bits`` significant bits.

    Returns the rounded values (±inf beyond ``max_value``, as rounding does)
    and each value's distance to the nearest rounding boundary in units of
    the target ulp (0 at a tie), which says where float64 is close enough.
    """
    m, e = np.frexp(v)  # v = m 2**e, 0.5 <= |m| < 1
    scaled = m * 2.0**bits
    r = np.ldexp(np.round(scaled), e - bits)  # np.round: half to even
    boundary = np.abs(np.abs(scaled - np.floor(scaled)) - 0.5)
    r = np.where(np.abs(r) > max_value, np.copysign(np.inf, v), r)
    return r, boundary


def half_errors(
    name: str, quantity: str, dtype_name: str, fn: Callable[[jax.Array], jax.Array]
) -> dict[str, Any]:
    """How often ``fn``'s half-precision output is not correctly rounded."""
    dtype, bits = HALF_DTYPES[dtype_name]
    info = ml_dtypes.finfo(dtype)
    xs = all_finite(dtype)
    ref = float64_reference(name, quantity, xs)
    tiny, top = float(info.smallest_normal), float(info.max)
    # Normal inputs and normal results only: XLA's CPU backend flushes
    # subnormal float32 numbers (bfloat16's subnormals among them) to zero.
    assessed = (np.abs(xs) >= tiny) | (xs == 0)
    assessed &= np.isfinite(ref) & (np.abs(ref) >= tiny) & (np.abs(ref) <= top)
    # Where float64 puts the exact value within 1e-6 half-ulp of a rounding
    # boundary, ask mpmath (40 digits) which side it is on.
    safe_ref = np.where(assessed, ref, 1.0)
    _, boundary = round_to_bits(safe_ref, bits, top)
    doubtful = np.flatnonzero(assessed & (boundary < 1e-6))
    f = REFERENCES[name][0 if quantity == "value" else 1]
    for i in doubtful:
        ref[i] = float(f(mp.mpf(float(xs[i]))))  # float() of an exact tie is exact
        safe_ref[i] = ref[i]
    rounded, _ = round_to_bits(safe_ref, bits, top)
    x = jnp.asarray(xs).astype(dtype)
    with np.errstate(invalid="ignore"):
        got = evaluate(fn, quantity, x).astype(np.float64)
    _, exp2 = np.frexp(safe_ref)
    half_ulp = np.ldexp(1.0, exp2 - bits - 1)
    with np.errstate(invalid="ignore"):
        err = np.where(assessed, np.abs(got - ref) / half_ulp, np.nan)
    err = np.where(assessed & np.isnan(got), np.inf, err)
    wrong = assessed & (got != rounded)
    worst = int(np.nanargmax(err))
    return {
        "assessed": int(assessed.sum()),
        "not_correctly_rounded": int(wrong.sum()),
        "max_half_ulp": float(err[worst]),
        "worst_x": float(xs[worst]),
    }


def half_table(names: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """One row per (function, quantity, dtype) over every finite half input.

    Returns:
        A list of dicts with keys ``function``, ``quantity``, ``dtype``,
        ``assessed``, and for ``jaxnn`` and ``jax_nn``:
        ``{label}_not_correctly_rounded``, ``{label}_max_half_ulp`` and
        ``{label}_worst_x``.
    """
    rows = []
    for name in names or list(REFERENCES):
        for quantity in ("value", "derivative"):
            for dtype_name in HALF_DTYPES:
                row: dict[str, Any] = {
                    "function": name,
                    "quantity": quantity,
                    "dtype": dtype_name,
                }
                for label, table in (("jaxnn", JAXNN), ("jax_nn", JAX_NN)):
                    r = half_errors(name, quantity, dtype_name, table[name])
                    row["assessed"] = r["assessed"]
                    row[f"{label}_not_correctly_rounded"] = r["not_correctly_rounded"]
                    row[f"{label}_max_half_ulp"] = r["max_half_ulp"]
                    row[f"{label}_worst_x"] = r["worst_x"]
                rows.append(row)
    return rows


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------


def _fmt(v: float) -> str:
    return "inf" if v == np.inf else f"{v:.3g}"


def markdown(rows: list[dict[str, Any]]) -> str:
    """A float32 table (:func:`accuracy_table`, :func:`dense_table`) as Markdown."""
    lines = [
        "| function | quantity | jaxnn max ulp | at x | jax.nn max ulp | at x |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['function']} | {r['quantity']} | {_fmt(r['jaxnn_max_ulp'])} "
            f"| {r['jaxnn_worst_x']:.6g} | {_fmt(r['jax_nn_max_ulp'])} "
            f"| {r['jax_nn_worst_x']:.6g} |"
        )
    return "\n".join(lines)


def half_markdown(rows: list[dict[str, Any]]) -> str:
    """:func:`half_table` as Markdown."""
    lines = [
        "| function | quantity | dtype | assessed | jaxnn not correctly rounded "
        "| jaxnn max half-ulp | jax.nn not correctly rounded | jax.nn max half-ulp |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['function']} | {r['quantity']} | {r['dtype']} | {r['assessed']} "
            f"| {r['jaxnn_not_correctly_rounded']} | {_fmt(r['jaxnn_max_half_ulp'])} "
            f"| {r['jax_nn_not_correctly_rounded']} "
            f"| {_fmt(r['jax_nn_max_half_ulp'])} |"
        )
    return "\n".join(lines)


def run(quick: bool = False) -> dict[str, Any]:
    """Every measurement, with the platform and versions it ran on."""
    start = time.perf_counter()
    result: dict[str, Any] = {
        "backend": jax.default_backend(),
        "device": str(jax.devices()[0].device_kind),
        "jax": jax.__version__,
        "jaxnn": jaxnn.__version__,
        "quick": quick,
        "float32_grid": accuracy_table(),
        "half_precision": half_table(),
    }
    if not quick:
        result["float32_dense"] = dense_table()
    result["seconds"] = round(time.perf_counter() - start, 1)
    return result


def report(result: dict[str, Any]) -> str:
    """The result of :func:`run` as one Markdown document."""
    parts = [
        f"# jaxnn accuracy on {result['backend']} ({result['device']}), "
        f"jax {result['jax']}",
        "",
        f"## float32, {len(grid())} grid points against mpmath (ulp)",
        "",
        markdown(result["float32_grid"]),
    ]
    if "float32_dense" in result:
        parts += [
            "",
            "## float32 between the grid points, random inputs against float64 (ulp)",
            "",
            markdown(result["float32_dense"]),
        ]
    parts += [
        "",
        "## Half precision: every finite input, against the exact value rounded",
        "",
        half_markdown(result["half_precision"]),
        "",
    ]
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.accuracy", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--quick", action="store_true", help="skip the dense float32 sweep"
    )
    parser.add_argument("--json", type=Path, help="write every row as JSON here")
    parser.add_argument(
        "--markdown", type=Path, help="write the tables as Markdown here"
    )
    parser.add_argument(
        "--exhaustive",
        nargs="+",
        metavar="NAME",
        help="instead: every float32 with 1/256 <= |x| < 128 for these functions",
    )
    args = parser.parse_args(argv)
    if args.exhaustive:
        unknown = sorted(set(args.exhaustive) - set(REFERENCES))
        if unknown:
            parser.error(f"--exhaustive: unknown {unknown}; known: {list(REFERENCES)}")
        start = time.perf_counter()
        rows = []
        for name in args.exhaustive:
            for row in exhaustive_table([name]):
                print(json.dumps(row), flush=True)
                rows.append(row)
        if args.json:
            out = {
                "backend": jax.default_backend(),
                "device": str(jax.devices()[0].device_kind),
                "jax": jax.__version__,
                "jaxnn": jaxnn.__version__,
                "every_float32": rows,
                "seconds": round(time.perf_counter() - start, 1),
            }
            args.json.write_text(json.dumps(out, indent=1) + "\n")
        return 0
    result = run(quick=args.quick)
    text = report(result)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    if args.markdown:
        args.markdown.write_text(text)
    print(f"({result['seconds']} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
