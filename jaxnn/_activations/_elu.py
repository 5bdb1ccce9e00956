r"""The exponential linear units: elu, celu, selu."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import Array
from jax.typing import ArrayLike

from jaxnn._activations._core import apply, elementwise
from jaxnn._numerics import exp_tail, expm1_neg, nonpos

__all__ = ["celu", "elu", "selu"]

# At x = 0 each derivative is taken from the exponential piece (the x <= 0
# side): elu'(0) = alpha, selu'(0) = scale * alpha, celu'(0) = 1. Those
# pieces are NaN at NaN, so the derivatives are too.


def _elu_val(x: Array, alpha: Array) -> Array:
    return jnp.where(x > 0, x, alpha * expm1_neg(nonpos(x)))


def _elu_dx(x: Array, alpha: Array) -> Array:
    big, k = exp_tail(nonpos(x))
    return jnp.where(x > 0, 1.0, alpha * big * k)


def _elu_dalpha(x: Array, alpha: Array) -> Array:
    return jnp.where(x > 0, 0.0, expm1_neg(nonpos(x)))


_elu = elementwise(_elu_val, _elu_dx, _elu_dalpha)


def _celu_val(x: Array, alpha: Array) -> Array:
    return jnp.where(x > 0, x, alpha * expm1_neg(nonpos(x) / alpha))


def _celu_dx(x: Array, alpha: Array) -> Array:
    big, k = exp_tail(nonpos(x) / alpha)
    return jnp.where(x > 0, 1.0, big * k)


def _celu_dalpha(x: Array, alpha: Array) -> Array:
    u = nonpos(x) / alpha
    return jnp.where(x > 0, 0.0, expm1_neg(u) - u * jnp.exp(u))


_celu = elementwise(_celu_val, _celu_dx, _celu_dalpha)

# Klambauer et al. (2017), to the digits of their reference implementation.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SELU_SA = _SELU_SCALE * _SELU_ALPHA  # rounded once into the dtype


def _selu_val(x: Array) -> Array:
    return jnp.where(x > 0, _SELU_SCALE * x, _SELU_SA * expm1_neg(nonpos(x)))


def _selu_der(x: Array) -> Array:
    # scale * alpha * exp(x): exp(x) is subnormal below -87.3 while the
    # product is normal down to -87.9, so the constant rides on the shift.
    big, k = exp_tail(nonpos(x), _SELU_SA)
    return jnp.where(x > 0, _SELU_SCALE, big * k)


_selu = elementwise(_selu_val, _selu_der)


def elu(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    r"""Exponential linear unit.

    Computes the element-wise function:

    .. math::
        \mathrm{elu}(x) = \begin{cases} x & x > 0 \\
        \alpha (e^{x} - 1) & x \le 0 \end{cases}

    Its derivative at 0 is taken to be :math:`\alpha` (the left derivative, as
    in ``jax.nn``; it is 1 from both sides when :math:`\alpha = 1`), and it
    keeps every bit in the tail: :math:`\mathrm{elu}'(-30) = \alpha e^{-30}`
    where ``jax.nn``'s, :math:`\alpha(\mathrm{expm1}(x) + 1)`, is 0.
    Differentiable in ``alpha``.

    Args:
        x: input array.
        alpha: scale of the negative part, a number or an array that
            broadcasts against ``x``.

    Returns:
        An array of the broadcast shape of ``x`` and ``alpha``.

    Examples:
        >>> jaxnn.elu(jnp.array([-1.0, 0.0, 2.0]))
        Array([-0.63212055,  0.        ,  2.        ], dtype=float32)
    """
    return apply(
        _elu, "elu", x, ints="weak", bools="weak", peer=jax.nn.elu, alpha=alpha
    )


def celu(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    r"""Continuously differentiable exponential linear unit.

    Computes the element-wise function:

    .. math::
        \mathrm{celu}(x) = \begin{cases} x & x > 0 \\
        \alpha (e^{x/\alpha} - 1) & x \le 0 \end{cases}

    Its derivative is continuous, equal to 1 at 0 for every :math:`\alpha`.
    Differentiable in ``alpha``.

    Args:
        x: input array.
        alpha: scale of the negative part, positive, a number or an array that
            broadcasts against ``x``.

    Returns:
        An array of the broadcast shape of ``x`` and ``alpha``.

    Examples:
        >>> jaxnn.celu(jnp.array([-1.0, 0.0, 2.0]), 2.0)
        Array([-0.7869387,  0.       ,  2.       ], dtype=float32)
    """
    return apply(
        _celu, "celu", x, ints="weak", bools="weak", peer=jax.nn.celu, alpha=alpha
    )


def selu(x: ArrayLike) -> Array:
    r"""Scaled exponential linear unit (Klambauer et al., 2017).

    Computes the element-wise function:

    .. math::
        \mathrm{selu}(x) = \lambda \begin{cases} x & x > 0 \\
        \alpha (e^{x} - 1) & x \le 0 \end{cases}

    with :math:`\lambda \approx 1.0507` and :math:`\alpha \approx 1.6733`. Its
    derivative at 0 is taken to be :math:`\lambda\alpha` (the left
    derivative, as in ``jax.nn``).

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``.

    Examples:
        >>> jaxnn.selu(jnp.array([-1.0, 0.0, 2.0]))
        Array([-1.1113307,  0.       ,  2.101402 ], dtype=float32)
    """
    return apply(_selu, "selu", x, ints="weak", bools="weak", peer=jax.nn.selu)
