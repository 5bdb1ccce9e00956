"""Accuracy of jaxnn's activations beside jax.nn's, against mpmath.

For every smooth activation, its value and its first derivative are computed
in float32 on a fixed grid of a few thousand points with ``|x| <= 200`` (dense
in the tails, where underflow bites, and near the derivatives' roots), and
compared with a 40-digit mpmath reference. Errors are in ulp of the exact
value, counted only where that value is a normal float32 (as the accuracy
guarantee says). Next to the single root of the derivatives of silu, gelu and
mish, where no plain float32 formula can keep a small relative error, the
error is measured as an absolute error in units of ``eps = 2**-23`` (one ulp
of 1.0) instead. "Next to the root" is defined by cancellation: each of these
derivatives is a sum of two terms, a + b (silu: s + x s (1 - s); gelu:
Phi + x phi; mish: t + x s sech^2(softplus); gelu's tanh form likewise), and
the absolute criterion applies where |a| + |b| >= 2 |a + b|, i.e. where the
sum loses at least one bit to cancellation (x in about [-3.0, -0.53] for silu,
[-1.52, -0.33] for gelu, [-3.0, -0.49] for mish).

Usage::

    python tools/accuracy.py          # prints the Markdown table

or, from Python (the docs do this)::

    from accuracy import accuracy_table
    rows = accuracy_table()
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np

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


def _sig(x: Any) -> Any:
    return 1 / (1 + mp.exp(-x))


def _gelu_tanh(x: Any) -> Any:
    u = mp.sqrt(2 / mp.pi) * (x + mp.mpf("0.044715") * x**3)
    return x * _sig(2 * u)


def _gelu_tanh_der(x: Any) -> Any:
    c = mp.sqrt(2 / mp.pi)
    u2 = 2 * c * (x + mp.mpf("0.044715") * x**3)
    du2 = 2 * c * (1 + 3 * mp.mpf("0.044715") * x**2)
    s = _sig(u2)
    return s + x * du2 * s * (1 - s)


def _mish_der(x: Any) -> Any:
    sp = mp.log1p(mp.exp(x))
    return mp.tanh(sp) + x * mp.sech(sp) ** 2 * _sig(x)


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
    "gelu": jaxnn.gelu,
    "gelu_tanh": functools.partial(jaxnn.gelu, approximate=True),
    "silu": jaxnn.silu,
    "mish": jaxnn.mish,
    "softsign": jaxnn.softsign,
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


def ulp_errors(name: str, quantity: str, got: np.ndarray) -> np.ndarray:
    """Error of ``got`` in ulp of the exact value; NaN where not assessed."""
    ref = reference(name, quantity)
    got = np.asarray(got, np.float64)
    assessed = np.isfinite(ref) & (np.abs(ref) >= TINY)
    assessed &= np.abs(ref) <= float(np.finfo(np.float32).max)
    _, exp2 = np.frexp(np.where(assessed, ref, 1.0))
    ulp = np.ldexp(1.0, exp2 - 24)  # ulp of a float32 in [2**(e-1), 2**e)
    err = np.abs(got - ref) / ulp
    err = np.where(np.isnan(got) & assessed, np.inf, err)
    if quantity == "derivative":
        near = near_root(name)
        err = np.where(near, np.minimum(err, np.abs(got - ref) / EPS), err)
    return np.where(assessed, err, np.nan)


def evaluate(fn: Callable[[jax.Array], jax.Array], quantity: str) -> np.ndarray:
    """``fn`` or its derivative, jit-compiled, at the grid in float32."""
    x = jnp.asarray(grid())
    if quantity == "derivative":
        fn = jax.vmap(jax.grad(fn))
    return np.asarray(jax.jit(fn)(x))


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


def markdown(rows: list[dict[str, Any]]) -> str:
    """The table as Markdown."""

    def fmt(v: float) -> str:
        return "inf" if v == np.inf else f"{v:.3g}"

    lines = [
        "| function | quantity | jaxnn max ulp | at x | jax.nn max ulp | at x |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['function']} | {r['quantity']} | {fmt(r['jaxnn_max_ulp'])} "
            f"| {r['jaxnn_worst_x']:.6g} | {fmt(r['jax_nn_max_ulp'])} "
            f"| {r['jax_nn_worst_x']:.6g} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(accuracy_table()))
