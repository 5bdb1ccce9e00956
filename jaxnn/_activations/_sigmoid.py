r"""The sigmoid and softplus family: smooth, saturating, written from ``e^{-|x|}``."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import Array
from jax.typing import ArrayLike

from jaxnn._activations._core import apply, elementwise
from jaxnn._numerics import TANH_SMALL, exp_tail, expm1_neg, neg_abs, tanh_small

__all__ = [
    "log1mexp",
    "log_sigmoid",
    "sigmoid",
    "soft_sign",
    "softplus",
    "softsign",
    "squareplus",
    "tanh",
]


def _sigmoid_val(x: Array) -> Array:
    # The formula as written is accurate (about 2 ulp in float32): 1 + e^-x
    # never cancels, and where e^-x overflows (x < -88.7) 1 / inf = 0 is the
    # true value rounded to float32's normal range. It is four elementwise
    # operations that XLA's CPU backend can fuse into a preceding matrix
    # product (a select, as in the branch form e^-|x| / (1 + e^-|x|), stops
    # that fusion). Only the derivative needs e^-|x|: see _sigmoid_der.
    return 1.0 / (1.0 + jnp.exp(-x))


def _sigmoid_der(x: Array) -> Array:
    # s(1 - s) = e / (1 + e)^2: no cancellation (JAX's s * (1 - s) is exactly 0
    # for x > 17 in float32), and e is normal wherever the result is. The
    # square is expanded as 1 + e (2 + e) so that it is rounded once.
    e = jnp.exp(neg_abs(x))
    return e / (1.0 + e * (2.0 + e))


def _sigmoid_neg(x: Array) -> Array:
    """``sigmoid(-x)``, accurate (not ``1 - sigmoid(x)``)."""
    e = jnp.exp(neg_abs(x))
    r = 1.0 / (1.0 + e)
    return jnp.where(x >= 0, e * r, r)


sigmoid_kernel = elementwise(_sigmoid_val, _sigmoid_der)


def _softplus_val(x: Array) -> Array:
    # max(x, 0) + log1p(exp(-|x|)): the exponential never overflows and both
    # terms are non-negative, so nothing cancels.
    e = jnp.exp(neg_abs(x))
    return jnp.where(x >= 0, x, 0.0) + jnp.log1p(e)


# softplus' = sigmoid, with sigmoid's own derivative rule for softplus''.
_softplus = elementwise(_softplus_val, sigmoid_kernel)


def _log_sigmoid_val(x: Array) -> Array:
    # -softplus(-x) = min(x, 0) - log1p(exp(-|x|)), not log(sigmoid(x)), which
    # underflows to log(0) = -inf below x = -88.
    e = jnp.exp(neg_abs(x))
    return jnp.where(x >= 0, 0.0, x) - jnp.log1p(e)


_log_sigmoid = elementwise(_log_sigmoid_val, _sigmoid_neg)


def _tanh_der(x: Array) -> Array:
    # 1 - tanh^2 = 4 e / (1 + e)^2 with e = exp(-2|x|); 1 - tanh^2 itself is 0
    # from |x| = 9 on. 4 e is normal up to |x| = 44.4 while e alone is not
    # beyond 43.7, so it comes as E * K (exp_tail); 1 + E (2 + E) is 1 there.
    big, k = exp_tail(2.0 * neg_abs(x), 4.0)
    return big / (1.0 + big * (2.0 + big)) * k


def _tanh_val(x: Array) -> Array:
    # XLA's float32 tanh (jax.nn's) is a rational approximation off by up to
    # 4.9 ulp, 4.3 ulp already near x = 0.03. Here: 1 - 2e / (1 + e),
    # e = exp(-2|x|), where 2e / (1 + e) < 0.45 is a correction to 1 (within
    # 1.5 ulp), and an odd polynomial below |x| = 0.625, where it would cancel
    # (within 0.7 ulp). e = 0 gives ±1 at ±inf, and NaN propagates.
    if x.dtype == jnp.float64:
        return jnp.tanh(x)
    a = jnp.abs(x)
    e = jnp.exp(-2.0 * a)
    y = jnp.where(a < TANH_SMALL, tanh_small(a), 1.0 - (2.0 * e) / (1.0 + e))
    return jnp.copysign(y, x)  # odd, and tanh(-0) = -0


_tanh = elementwise(_tanh_val, _tanh_der)


def _log1mexp_val(x: Array) -> Array:
    # log(-expm1(-x)) below ln 2, where 1 - exp(-x) would cancel, and
    # log1p(-exp(-x)) above, where log would cancel (Maechler, 2012). For
    # x < 0 both are log of a negative number: NaN, as the function is.
    return jnp.where(
        x < math.log(2.0), jnp.log(-expm1_neg(-x)), jnp.log1p(-jnp.exp(-x))
    )


def _log1mexp_der(x: Array) -> Array:
    # 1 / expm1(x) = e / (1 - e), e = exp(-x), with 1 - e = -expm1(-x) from the
    # accurate expm1 (no cancellation near 0). NaN where the value is (x < 0).
    d = jnp.exp(-x) / -expm1_neg(jnp.minimum(-x, 0.0))
    return jnp.where(x < 0, jnp.nan, d)


_log1mexp = elementwise(_log1mexp_val, _log1mexp_der)


def _soft_sign_val(x: Array) -> Array:
    y = x / (1.0 + jnp.abs(x))
    return jnp.where(jnp.isinf(x), jnp.sign(x), y)  # inf / inf is the limit ±1


def _soft_sign_der(x: Array) -> Array:
    d = 1.0 + jnp.abs(x)
    return 1.0 / (d * d)


_soft_sign = elementwise(_soft_sign_val, _soft_sign_der)

_SQUAREPLUS_BIG = 1e18  # beyond, sqrt(x^2 + b) is |x| to float32's precision


def _squareplus_s(x: Array, b: Array) -> Array:
    xc = jnp.clip(x, -_SQUAREPLUS_BIG, _SQUAREPLUS_BIG)  # x^2 must not overflow
    return jnp.where(jnp.abs(x) > _SQUAREPLUS_BIG, jnp.abs(x), jnp.sqrt(xc * xc + b))


def _squareplus_val(x: Array, b: Array) -> Array:
    # (x + s) / 2 with s = sqrt(x^2 + b) cancels for x < 0: there it is
    # b / (2 (s - x)), the same number with nothing cancelling (s - x adds two
    # positive numbers). Beyond _SQUAREPLUS_BIG, s = x and the value is x
    # (x + s would overflow for x > 1.7e38).
    s = _squareplus_s(x, b)
    pos = jnp.where(x > _SQUAREPLUS_BIG, x, (x + s) * 0.5)
    return jnp.where(x >= 0, pos, b / (s - x) * 0.5)


def _squareplus_dx(x: Array, b: Array) -> Array:
    # (1 + r) / 2 with r = x / s in (-1, 1): no cancellation while r >= -1/2.
    # Below, 1 + r = b / (s (s - x)), and s (s - x) = b + |x| (|x| + s) (from
    # s^2 = x^2 + b) is a sum of positive terms: b / (2 (b + |x| (|x| + s))).
    # With b = 0 the function is relu and its derivative at 0 is taken to be 0.
    s = _squareplus_s(x, b)
    big = jnp.abs(x) > _SQUAREPLUS_BIG  # s = |x| there, and x / s = ±1
    r = jnp.where(big, jnp.sign(x), x / jnp.where(s == 0, 1.0, s))
    ax = jnp.abs(x)
    d = jnp.where(r >= -0.5, 0.5 + 0.5 * r, b / (b + ax * (ax + s)) * 0.5)
    return jnp.where(s == 0, 0.0, d)  # NaN (in x or b) passes through d


def _squareplus_db(x: Array, b: Array) -> Array:
    return 0.25 / _squareplus_s(x, b)


_squareplus = elementwise(_squareplus_val, _squareplus_dx, _squareplus_db)


def sigmoid(x: ArrayLike) -> Array:
    r"""Logistic sigmoid.

    Computes the element-wise function:

    .. math::
        \sigma(x) = \frac{1}{1 + e^{-x}}, \qquad
        \sigma'(x) = \sigma(x)\,(1 - \sigma(x)) = \frac{e^{-|x|}}{(1 + e^{-|x|})^2}

    It is smooth (no kink). The value is computed as written, which is
    accurate (:math:`1 + e^{-x}` never cancels, and where :math:`e^{-x}`
    overflows the result :math:`1/\infty = 0` is exact to float32's normal
    range) and can fuse into a preceding matrix product on XLA's CPU backend.
    The derivative is computed from :math:`e^{-|x|}`, so it neither overflows
    nor cancels: :math:`\sigma'(20) \approx 2.06 \times 10^{-9}` and
    :math:`\sigma'(87) \approx 1.6 \times 10^{-38}` rather than 0 (``jax.nn``'s
    is 0 from :math:`|x| \approx 17` on).

    Args:
        x: input array. Integer input is accepted too (as float32, or float64
            for 64-bit integers; ``jax.nn.sigmoid`` rejects it).

    Returns:
        An array of the same shape and floating dtype as ``x``, in [0, 1].

    Examples:
        >>> jaxnn.sigmoid(jnp.array([-1.0, 1.0, 2.0]))
        Array([0.26894143, 0.7310586 , 0.8807971 ], dtype=float32)
        >>> jax.grad(jaxnn.sigmoid)(20.0)
        Array(2.0611537e-09, dtype=float32, weak_type=True)
    """
    return apply(sigmoid_kernel, "sigmoid", x, peer=jax.nn.sigmoid)


def log_sigmoid(x: ArrayLike) -> Array:
    r"""Logarithm of the sigmoid.

    Computes the element-wise function:

    .. math::
        \log\sigma(x) = -\mathrm{softplus}(-x), \qquad
        (\log\sigma)'(x) = \sigma(-x)

    It is smooth, and finite for every finite ``x`` (``log(sigmoid(x))`` is
    ``-inf`` below about -88 in float32).

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``, non-positive.

    Examples:
        >>> jaxnn.log_sigmoid(jnp.array([-100.0, 0.0, 1.0]))
        Array([-100.      ,   -0.693147,   -0.313262], dtype=float32)
    """
    return apply(_log_sigmoid, "log_sigmoid", x, peer=jax.nn.log_sigmoid)


def softplus(x: ArrayLike) -> Array:
    r"""Softplus, a smooth ReLU.

    Computes the element-wise function:

    .. math::
        \mathrm{softplus}(x) = \log(1 + e^{x})
        = \max(x, 0) + \log(1 + e^{-|x|}), \qquad
        \mathrm{softplus}'(x) = \sigma(x)

    It is smooth; the second form never overflows.

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``, non-negative.

    Examples:
        >>> jaxnn.softplus(jnp.array([-1.0, 0.0, 100.0]))
        Array([  0.313262,   0.693147, 100.      ], dtype=float32)
    """
    return apply(_softplus, "softplus", x, bools="weak", peer=jax.nn.softplus)


def log1mexp(x: ArrayLike) -> Array:
    r"""Logarithm of one minus the exponential of minus ``x``.

    Computes the element-wise function:

    .. math::
        \mathrm{log1mexp}(x) = \log(1 - e^{-x}), \qquad
        \mathrm{log1mexp}'(x) = \frac{1}{e^{x} - 1}

    for :math:`x \ge 0` (it is ``-inf`` at 0 and NaN, with a NaN derivative,
    for :math:`x < 0`). It is smooth on :math:`x > 0`. Written as
    :math:`\log(-\mathrm{expm1}(-x))` below :math:`\ln 2` and
    :math:`\mathrm{log1p}(-e^{-x})` above (Mächler, 2012), with an accurate
    ``expm1``, so it is within 4 ulp in float32 for every positive ``x``.

    Args:
        x: input array, non-negative.

    Returns:
        An array of the same shape and floating dtype as ``x``, non-positive.

    Examples:
        >>> jaxnn.log1mexp(jnp.array([0.1, 1.0, 10.0]))
        Array([-2.3521686e+00, -4.5867515e-01, -4.5400961e-05], dtype=float32)
    """
    return apply(_log1mexp, "log1mexp", x, peer=jax.nn.log1mexp)


def tanh(x: ArrayLike, /) -> Array:
    r"""Hyperbolic tangent.

    Computes the element-wise function:

    .. math::
        \tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}, \qquad
        \tanh'(x) = 1 - \tanh^2(x) = \frac{4 e^{-2|x|}}{(1 + e^{-2|x|})^2}

    It is smooth. In float32 the value is within 1.5 ulp, from
    :math:`1 - 2e^{-2|x|}/(1 + e^{-2|x|})` and, below :math:`|x| = 0.625`, an
    odd polynomial (XLA's own ``tanh``, which ``jax.nn`` uses, is off by up to
    4.9 ulp). The derivative is formed from :math:`e^{-2|x|}`, not from
    :math:`1 - \tanh^2`, which is exactly 0 in float32 from :math:`|x| = 9` on.

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``, in [-1, 1].

    Examples:
        >>> jaxnn.tanh(jnp.array([-1.0, 0.0, 2.0]))
        Array([-0.7615942,  0.       ,  0.9640276], dtype=float32)
    """
    return apply(_tanh, "tanh", x, peer=jnp.tanh)


def soft_sign(x: ArrayLike) -> Array:
    r"""Softsign.

    Computes the element-wise function:

    .. math::
        \mathrm{soft\_sign}(x) = \frac{x}{1 + |x|}, \qquad
        \mathrm{soft\_sign}'(x) = \frac{1}{(1 + |x|)^2}

    It is continuously differentiable (its second derivative jumps at 0), and
    ``soft_sign(±inf) = ±1``. ``softsign`` is the same function.

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``, in [-1, 1].

    Examples:
        >>> jaxnn.soft_sign(jnp.array([-1.0, 0.0, 3.0]))
        Array([-0.5 ,  0.  ,  0.75], dtype=float32)
    """
    return apply(_soft_sign, "soft_sign", x, bools="weak", peer=jax.nn.soft_sign)


softsign = soft_sign


def squareplus(x: ArrayLike, b: ArrayLike = 4) -> Array:
    r"""Squareplus (Barron, 2021), a softplus made of a square root.

    Computes the element-wise function:

    .. math::
        \mathrm{squareplus}(x) = \frac{x + \sqrt{x^2 + b}}{2}, \qquad
        \mathrm{squareplus}'(x) = \frac12 \Bigl(1 + \frac{x}{\sqrt{x^2 + b}}\Bigr)

    It is smooth for :math:`b > 0` (for :math:`b = 0` it is ``relu``, and its
    derivative at 0 is taken to be 0). For :math:`x < 0` it is computed as
    :math:`b / (2(\sqrt{x^2 + b} - x))`, which does not cancel, so its tail
    :math:`\approx b / (4|x|)` keeps every bit (``jax.nn``'s loses them all
    by :math:`x \approx -10^4`). Differentiable in ``b`` too.

    Args:
        x: input array.
        b: smoothness, a non-negative number or an array that broadcasts
            against ``x``.

    Returns:
        An array of the broadcast shape of ``x`` and ``b``, positive.

    Examples:
        >>> jaxnn.squareplus(jnp.array([-1.0, 0.0, 2.0]))
        Array([0.618034 , 1.       , 2.4142137], dtype=float32)
    """
    return apply(_squareplus, "squareplus", x, peer=jax.nn.squareplus, b=b)
