r"""Gated activations, ``x`` times a smooth gate: gelu, silu (swish), mish, glu."""

from __future__ import annotations

import functools
import math
import operator
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.typing import ArrayLike

from jaxnn._activations._core import apply, as_input, elementwise
from jaxnn._activations._sigmoid import sigmoid_kernel
from jaxnn._checks import cast, compute_dtype
from jaxnn._numerics import (
    EXP_SHIFT,
    EXP_TAIL,
    GELU_DERIVATIVE,
    GELU_TANH_DERIVATIVE,
    GELU_VALUE,
    GELU_YMAX,
    MISH_DERIVATIVE,
    exp_tail,
    gauss_tail,
    near_zero,
    neg_abs,
)

__all__ = ["gelu", "glu", "mish", "silu", "swish"]


def _silu_val(x: Array) -> Array:
    # x * sigmoid(x) with e = exp(-|x|): x / (1 + e) for x >= 0 and
    # x * e / (1 + e) for x < 0. silu(-88.4) = -3.5e-37 is normal while
    # exp(-88.4) is not, so e comes as E * K (exp_tail) and x * E is scaled
    # last; 1 + e may use E (both round to 1 where they differ).
    big, k = exp_tail(neg_abs(x))
    # Clamping x at -3e38 turns -inf * 0 into -0 (the limit) and keeps NaN.
    xc = jnp.maximum(x, -3e38)
    return jnp.where(x >= 0, xc, (xc * big) * k) / (1.0 + big)


def _silu_der(x: Array) -> Array:
    # s (1 + x (1 - s)) expanded over the common denominator (1 + e)^2:
    # (1 + e + x e) for x >= 0 and e ((1 + x) + e) for x < 0. 1 + x is exact
    # for x <= -0.5, so near the single root (x = -1.278), where the sum
    # cancels, the only error is e's own rounding. e = E * K as in _silu_val.
    big, k = exp_tail(neg_abs(x))
    xc = jnp.clip(x, -1e30, 1e30)  # the limits at ±inf instead of 0 * inf
    num = jnp.where(x >= 0, 1.0 + big * (1.0 + xc), (big * ((1.0 + xc) + big)) * k)
    return num / (1.0 + big * (2.0 + big))


_silu = elementwise(_silu_val, _silu_der)


def _mish_val(x: Array) -> Array:
    # tanh(softplus(x)) = n / (n + 2) with n = e^x (e^x + 2); in terms of
    # e = exp(-|x|) that is (1 + 2e) / (1 + 2e + 2e^2) for x >= 0 and
    # e (e + 2) / (e (e + 2) + 2) for x < 0: one exponential instead of the
    # exp, log1p and tanh of x * tanh(softplus(x)), and no cancellation.
    big, k = exp_tail(neg_abs(x))
    e = big
    xc = jnp.maximum(x, -3e38)  # -inf * 0 becomes -0, the limit
    two_e = 2.0 * e
    t_pos = (1.0 + two_e) / (1.0 + two_e * (1.0 + e))
    # For x < 0, t = e q with q = (e + 2) / (e^2 + 2e + 2)
    # = 1 - e (1 + e) / (2 + e (2 + e)): a correction below 0.4 on 1.
    q = 1.0 - e * (1.0 + e) / (2.0 + e * (2.0 + e))
    return jnp.where(x >= 0, xc * t_pos, ((xc * big) * q) * k)


def _mish_der(x: Array) -> Array:
    # mish' = t + x s (1 - t^2), t = tanh(softplus(x)), s = sigmoid(x):
    #   x >= 0: t + 4 x e^2 (1 + e) / (1 + 2e + 2e^2)^2
    #   x <  0: e ((e + 2) D + 4 x (1 + e)) / D^2, D = e (e + 2) + 2,
    # with the numerator expanded as 4 (1 + x) + e (6 + 4x + e (4 + e)): its
    # terms are ~0.8 at the root (x = -1.192) instead of ~6, and 1 + x, 6 + 4x
    # are exact there.
    big, k = exp_tail(neg_abs(x))
    e = big
    x = jnp.clip(x, -1e30, 1e30)  # the limits at ±inf instead of 0 * inf
    # Squares of denominators are expanded in powers of e to round once:
    # (1 + 2e + 2e^2)^2 = 1 + e (4 + e (8 + e (8 + 4e))) and
    # (e^2 + 2e + 2)^2 = 4 + e (8 + e (8 + e (4 + e))).
    two_e = 2.0 * e
    d_pos = 1.0 + two_e * (1.0 + e)
    d_pos2 = 1.0 + e * (4.0 + e * (8.0 + e * (8.0 + 4.0 * e)))
    y_pos = (1.0 + two_e) / d_pos + 4.0 * x * (e * e) * (1.0 + e) / d_pos2
    d_neg2 = 4.0 + e * (8.0 + e * (8.0 + e * (4.0 + e)))
    num = 4.0 * (1.0 + x) + e * ((6.0 + 4.0 * x) + e * (4.0 + e))
    y_neg = big * num / d_neg2 * k
    y = jnp.where(x >= 0, y_pos, y_neg)
    if x.dtype == jnp.float64:
        return y
    # On [-0.5, 0) neither form cancels, yet their dozen roundings add up to
    # 4.8 ulp (x = -0.16); a fitted polynomial is within 1 ulp there.
    inside, p = near_zero(x, MISH_DERIVATIVE)
    return jnp.where(inside, p, y)


_mish = elementwise(_mish_val, _mish_der)

_INV_SQRT_2PI = 0.3989422804014327


def _gelu_val(x: Array) -> Array:
    if x.dtype == jnp.float64:
        return x * (0.5 * jax.lax.erfc(-x * math.sqrt(0.5)))
    # Phi(x) = exp(-x^2 / 2) m(|x|) for x <= 0, from gauss_tail as G * m.
    # Computing Phi through erfc instead costs ~100 ulp in the tail: erfc
    # forms exp(-z * z) from a rounded z * z.
    g, m = gauss_tail(x, GELU_VALUE)
    # x Phi(x) = x G m for x < 0, and x (1 - Phi(-x)) for x >= 0.
    # (x m) G: G m alone is Phi(x), subnormal below x = -13.0. For |x| >= 8
    # the table already holds |x| m (times exp(-16)).
    xm = jnp.where(jnp.abs(x) >= 8.0, jnp.copysign(m, x), x * m)
    xgm = xm * g
    y = jnp.where(x < 0, xgm, x - xgm)
    far = jnp.abs(x) > GELU_YMAX
    return jnp.where(far, jnp.where(x > 0, x, 0.0), y)


# c = 1/sqrt(2 pi) = _C_HI + _C_LO, _C_HI with 12 significant bits.
_C_HI = 3268.0 / 8192.0
_C_LO = _INV_SQRT_2PI - _C_HI


def _gelu_der(x: Array) -> Array:
    # Phi(x) + x phi(x) = G (m + c x) with c = 1/sqrt(2 pi) for x < 0, and
    # 1 - G (m - c x) for x >= 0. Next to the root at x = -0.7518, m + c x
    # cancels, so c x is formed without rounding: x = xh + xl as in
    # gauss_tail (xh with 12 significant bits) makes _C_HI xh exact, and the
    # rest (_C_HI xl + _C_LO x) is small. In the shifted range (|x| >= 8),
    # where nothing cancels, the table holds exp(-16) m and c is scaled by
    # exp(-16) to match.
    if x.dtype == jnp.float64:
        phi = jnp.exp(-0.5 * x * x) * _INV_SQRT_2PI
        return 0.5 * jax.lax.erfc(-x * math.sqrt(0.5)) + x * phi
    g, m = gauss_tail(x, GELU_DERIVATIVE)
    far_tail = jnp.abs(x) >= 8.0
    xc = jnp.clip(x, -GELU_YMAX, GELU_YMAX)
    xh = jnp.round(xc * 256.0) / 256.0
    cx_hi = jnp.where(far_tail, xc * (_INV_SQRT_2PI * math.exp(-EXP_SHIFT)), _C_HI * xh)
    cx_lo = jnp.where(far_tail, 0.0, _C_HI * (xc - xh) + _C_LO * xc)
    y = jnp.where(x < 0, g * ((m + cx_hi) + cx_lo), 1.0 - g * ((m - cx_hi) - cx_lo))
    far = jnp.abs(x) > GELU_YMAX
    return jnp.where(far, jnp.where(x > 0, 1.0, 0.0), y)


_gelu = elementwise(_gelu_val, _gelu_der)

_SQRT_2_OVER_PI = 0.7978845608028654
# v = 2u = K1 x + K3 x^3, the constants split as K_HI + K_LO with K1_HI on a
# 2^-8 grid and K3_HI on a 2^-12 grid (9 significant bits each).
_K1 = 2.0 * _SQRT_2_OVER_PI
_K3 = _K1 * 0.044715
_K1_HI = 409.0 / 256.0
_K1_LO = _K1 - _K1_HI
_K3_HI = 292.0 / 4096.0
_K3_LO = _K3 - _K3_HI
# 32 ln 2 = _TAIL_SHIFT_HI + _TAIL_SHIFT_LO, the high part a multiple of 2^-17
# (so that z + it is exact for -128 < z < -64).
_TAIL_SHIFT_HI = 32.0 * round(math.log(2.0) * 2**22) / 2**22
_TAIL_SHIFT_LO = 32.0 * math.log(2.0) - _TAIL_SHIFT_HI


class _TanhParts(NamedTuple):
    xc: Array  # x clipped to [-16, 16], beyond which e = 0
    v: Array  # v_hi, of v + v_lo = 2 sqrt(2/pi) (x + 0.044715 x^3)
    w: Array  # w + w_lo = x v' = 2 sqrt(2/pi) (x + 3 * 0.044715 x^3), w exact
    w_lo: Array
    e0: Array  # exp(-|v|) = e0 (1 + z_lo) k
    z_lo: Array
    e: Array  # exp(-|v|) = e * k, e = e0 + e0 z_lo rounded
    k: Array


def _gelu_tanh_parts(x: Array) -> _TanhParts:
    """v = 2u, its derivative term x v' and exp(-|v|), without v's rounding.

    exp(-|v|) must not inherit v's rounding, |v| ulp-sized (~130 ulp of the
    result near x = -9), so v is formed as v_hi + v_lo: x = xh + xl with xh on
    a 1/16 grid (8 significant bits), so xh^3 = c is exact, and c = ch + cl
    with ch its integer part; then K1_HI xh + K3_HI ch is exact (a multiple of
    2^-12 below 2^10), and the rest, below about 1 in size, is added with its
    rounding error carried in v_lo (a fast two-sum). exp(-|v|) is then
    exp(-|v_hi|) (1 -+ v_lo). The cube's large cross term 3 xh^2 xl is formed
    exactly too (to about 9 in size near |x| = 10, where its rounding alone
    cost an ulp of the result). x v' = v + 2 K3 x^3 splits the same way, its
    large part K1_HI xh + 3 K3_HI ch again exact.
    """
    xc = jnp.clip(x, -16.0, 16.0)
    xh = jnp.round(xc * 16.0) / 16.0
    xl = xc - xh
    xl1 = jnp.round(xl * 2048.0) / 2048.0  # 6 significant bits
    c = xh * xh * xh
    t = 3.0 * (xh * xh)
    p1 = t * xl1  # exact: 18 + 6 bits
    # x^3 = c + p1 + r, r small; ch is the integer nearest to c + p1, and
    # d = c + p1 - ch is exact (a multiple of 2^-19 below 1).
    ch = jnp.round(c + p1)
    d = (c - ch) + p1
    r = t * (xl - xl1) + (3.0 * xh + xl) * (xl * xl)
    k3_rest = (_K3_HI * d + _K3_LO * (c + p1)) + _K3 * r  # K3 x^3 - K3_HI ch
    exact = _K1_HI * xh + _K3_HI * ch
    rest = k3_rest + (_K1_LO * xh + _K1 * xl)
    v = exact + rest
    v_lo = (exact - v) + rest
    # exp(-|v|) = exp(z) (1 + z_lo), z = -|v_hi|. In the tail, where exp(z)
    # would not be a normal float, exp(z) = exp(z + 32 ln 2) 2^-32: z + the
    # shift's high part is exact, its low part joins z_lo, and the factor
    # 2^-32 multiplies exactly (exp_tail's exp(-16) would be a rounding more).
    neg = v >= 0
    z = jnp.where(neg, -v, v)
    tail = z < EXP_TAIL
    e0 = jnp.exp(jnp.where(tail, z + _TAIL_SHIFT_HI, z))
    z_lo = jnp.where(neg, -v_lo, v_lo) + jnp.where(tail, _TAIL_SHIFT_LO, 0.0)
    e = e0 + e0 * z_lo
    k = jnp.where(tail, 2.0**-32, 1.0)
    w = exact + (2.0 * _K3_HI) * ch
    return _TanhParts(xc, v, w, rest + 2.0 * k3_rest, e0, z_lo, e, k)


def _gelu_tanh_val(x: Array) -> Array:
    # x/2 (1 + tanh(v/2)) = x sigmoid(v): the sigmoid form has no 1 + tanh
    # cancellation for x < 0, and its exp(-|v|) comes as E * K so that the
    # tail (normal down to x = -10.5) is not lost to underflow, and without
    # v's rounding (_gelu_tanh_parts). Beyond the clip, E = 0 gives the
    # limits x and -0 by itself.
    t = _gelu_tanh_parts(x)
    return jnp.where(t.v >= 0, x, (t.xc * t.e) * t.k) / (1.0 + t.e)


def _gelu_tanh_der(x: Array) -> Array:
    # sigmoid(v) + x v' sigmoid'(v) over the denominator (1 + e)^2 = 1 + d,
    # e = exp(-|v|): (1 + e (1 + x v')) / (1 + d) for v >= 0, and
    # e S / (1 + d) with S = (1 + e) + x v' for v < 0. S cancels at the root
    # (x = -0.75): 1 + w is exact, so the only rounding there is the final
    # sum's. For v < 0, e S / (1 + d) = P + P (z_lo - d / (1 + d)) with
    # P = e0 S: exp(z_lo) and the division enter through a small correction,
    # not as roundings of their own. Beyond the clip e = 0, which gives the
    # limits 1 and 0 by itself.
    t = _gelu_tanh_parts(x)
    one_w = (1.0 + t.w) + t.w_lo  # 1 + x v'
    d = t.e * (2.0 + t.e)
    y_pos = (1.0 + t.e * one_w) / (1.0 + d)
    p = t.e0 * ((1.0 + t.w) + (t.w_lo + t.e0))
    y_neg = (p + p * (t.z_lo - d / (1.0 + d))) * t.k
    y = jnp.where(t.v >= 0, y_pos, y_neg)
    if x.dtype == jnp.float64:
        return y
    # On [-0.5, 0) these roundings still reach 4.8 ulp (x = -0.33); a fitted
    # polynomial is within about 1 ulp there.
    inside, poly = near_zero(x, GELU_TANH_DERIVATIVE)
    return jnp.where(inside, poly, y)


_gelu_tanh = elementwise(_gelu_tanh_val, _gelu_tanh_der)


def gelu(x: ArrayLike, approximate: bool = True) -> Array:
    r"""Gaussian error linear unit (Hendrycks and Gimpel, 2016).

    Computes the element-wise function:

    .. math::
        \mathrm{gelu}(x) = x\,\Phi(x), \qquad
        \mathrm{gelu}'(x) = \Phi(x) + x\,\varphi(x)

    where :math:`\Phi` is the standard normal CDF and :math:`\varphi` its
    density, or, with ``approximate=True`` (the default, as in ``jax.nn``),
    the tanh approximation

    .. math::
        x\,\tfrac12\bigl(1 + \tanh\bigl(\sqrt{2/\pi}\,(x + 0.044715 x^3)\bigr)\bigr)

    which is itself within about 5e-4 of the exact form. Both are smooth; the
    exact form's derivative has one root, at :math:`x \approx -0.7518`. Both
    keep every bit in the tail: the tanh form is computed as
    :math:`x\,\sigma(2u)`, which does not cancel for :math:`x < 0`
    (``jax.nn``'s :math:`1 + \tanh` loses every bit below about -5), with
    :math:`2u` carried in two parts so that its float32 rounding does not
    reach :math:`e^{2u}`. In float32 both, and their derivatives, are within
    4 ulp (``tools/accuracy.py``, at every float32 with
    :math:`1/256 \le |x| < 128` too).

    Args:
        x: input array.
        approximate: use the tanh approximation (a bool).

    Returns:
        An array of the same shape and floating dtype as ``x``.

    Examples:
        >>> jaxnn.gelu(jnp.array([-1.0, 0.0, 2.0]))
        Array([-0.15880802,  0.        ,  1.9545978 ], dtype=float32)
        >>> jaxnn.gelu(jnp.array([-1.0, 0.0, 2.0]), approximate=False)
        Array([-0.15865526,  0.        ,  1.9544997 ], dtype=float32)
    """
    if isinstance(approximate, (str, bytes)) or not isinstance(
        approximate, (bool, np.bool_, int, np.integer)
    ):
        raise TypeError(
            f"gelu: approximate must be a bool, got {approximate!r} (False is the "
            "exact form x * Phi(x), True the tanh approximation)."
        )
    kernel = _gelu_tanh if approximate else _gelu
    peer = functools.partial(jax.nn.gelu, approximate=bool(approximate))
    return apply(kernel, "gelu", x, strong=True, peer=peer)


def silu(x: ArrayLike) -> Array:
    r"""Sigmoid linear unit, also called swish.

    Computes the element-wise function:

    .. math::
        \mathrm{silu}(x) = x\,\sigma(x), \qquad
        \mathrm{silu}'(x) = \sigma(x)\,\bigl(1 + x\,(1 - \sigma(x))\bigr)

    It is smooth; its derivative has one root, at :math:`x \approx -1.2785`.
    ``silu(-inf) = 0``, and the tail keeps every bit:
    :math:`\mathrm{silu}(-88.4) \approx -3.5 \times 10^{-37}` where ``jax.nn``
    returns 0. ``swish`` is the same function.

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``.

    Examples:
        >>> jaxnn.silu(jnp.array([-1.0, 0.0, 2.0]))
        Array([-0.268941,  0.      ,  1.761594 ], dtype=float32)
    """
    return apply(_silu, "silu", x, peer=jax.nn.silu)


swish = silu


def mish(x: ArrayLike) -> Array:
    r"""Mish (Misra, 2019).

    Computes the element-wise function:

    .. math::
        \mathrm{mish}(x) = x \tanh(\mathrm{softplus}(x))

    It is smooth; its derivative has one root, at :math:`x \approx -1.1924`.
    Computed from one exponential, :math:`\tanh(\mathrm{softplus}(x)) =
    n / (n + 2)` with :math:`n = e^{x}(e^{x} + 2)`.

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``.

    Examples:
        >>> jaxnn.mish(jnp.array([-1.0, 0.0, 2.0]))
        Array([-0.303401,  0.      ,  1.943959 ], dtype=float32)
    """
    return apply(_mish, "mish", x, bools="weak", peer=jax.nn.mish)


@functools.partial(jax.jit, static_argnums=1)
def _glu(x: Array, axis: int) -> Array:
    a, b = jnp.split(x, 2, axis)
    return a * sigmoid_kernel(b)


def glu(x: ArrayLike, axis: int = -1) -> Array:
    r"""Gated linear unit (Dauphin et al., 2017).

    Splits ``x`` into halves :math:`a, b` along ``axis`` and computes

    .. math::
        \mathrm{glu}(x) = a \cdot \sigma(b)

    with jaxnn's sigmoid and its accurate derivative; half-precision input is
    computed in float32 and rounded once.

    Args:
        x: input array, at least one-dimensional, with an even size along
            ``axis``.
        axis: the axis to split (an int).

    Returns:
        An array of ``x``'s shape with the size along ``axis`` halved.

    Examples:
        >>> jaxnn.glu(jnp.array([1.0, -2.0, 0.0, 2.0]))
        Array([ 0.5     , -1.761594], dtype=float32)
    """
    arr = as_input(x, "glu")
    if arr.ndim == 0:
        raise ValueError("glu: x must have at least one dimension, got a scalar.")
    try:
        ax = operator.index(axis)
    except TypeError:
        raise TypeError(f"glu: axis must be an int, got {axis!r}.") from None
    if not -arr.ndim <= ax < arr.ndim:
        raise ValueError(f"glu: axis {ax} is out of range for x of shape {arr.shape}.")
    if arr.shape[ax] % 2:
        raise ValueError(
            f"glu: the size of x along axis {ax} must be even, got shape {arr.shape}."
        )
    if jnp.issubdtype(arr.dtype, jnp.complexfloating):
        return jax.nn.glu(arr, ax)
    ax %= arr.ndim
    return cast(_glu(cast(arr, compute_dtype(arr.dtype)), ax), arr.dtype)
