r"""Piecewise activations: step, the ReLU family, the hard and sparse functions.

Each is a plain select for its value and an explicit derivative rule: at a
kink the derivative is taken from the piece outside the open interval where
the function is the identity-like piece (the slope of the constant or
``negative_slope`` piece), and at NaN the derivative is NaN, never the slope
of one of the pieces.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax import Array
from jax.typing import ArrayLike

from jaxnn._activations._core import apply, elementwise
from jaxnn._activations._sigmoid import _sigmoid_der
from jaxnn._checks import as_numeric_array
from jaxnn._numerics import keep_nan

__all__ = [
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "identity",
    "leaky_relu",
    "relu",
    "relu6",
    "sparse_plus",
    "sparse_sigmoid",
    "step",
    "surrogate_step",
]


def _flat_val(x: Array) -> Array:
    return keep_nan(x, jnp.zeros_like(x))


# The derivative of a constant piece: 0, NaN at NaN (and its own derivative).
_flat = elementwise(_flat_val, _flat_val)


def _box(lo: float, hi: float, slope: float) -> Callable[..., Array]:
    """``slope`` on ``(lo, hi)``, 0 elsewhere (kinks included), NaN at NaN."""

    def value(x: Array) -> Array:
        inside = (x > lo) & (x < hi)
        return keep_nan(x, jnp.where(inside, jnp.full_like(x, slope), 0.0))

    return elementwise(value, _flat)


def _step_val(x: Array) -> Array:
    return keep_nan(x, jnp.where(x > 0, jnp.ones_like(x), jnp.zeros_like(x)))


_step = elementwise(_step_val, _flat)

# relu' is the step function itself: 1 for x > 0, 0 at and below 0.
_relu = elementwise(lambda x: jnp.where(x <= 0, 0.0, x), _step)  # NaN -> x


def _leaky_relu_val(x: Array, slope: Array) -> Array:
    return jnp.where(x <= 0, slope * x, x)  # NaN falls through to x


def _leaky_relu_dx(x: Array, slope: Array) -> Array:
    return keep_nan(x, jnp.where(x > 0, 1.0, slope))


def _leaky_relu_dslope(x: Array, slope: Array) -> Array:
    return jnp.where(x > 0, jnp.zeros_like(slope), x)  # NaN falls through to x


_leaky_relu = elementwise(_leaky_relu_val, _leaky_relu_dx, _leaky_relu_dslope)


def _relu6_val(x: Array) -> Array:
    inside = (x > 0) & (x < 6)
    return keep_nan(x, jnp.where(inside, x, jnp.where(x >= 6, 6.0, 0.0)))


_relu6 = elementwise(_relu6_val, _box(0.0, 6.0, 1.0))


def _hard_tanh_val(x: Array) -> Array:
    return jnp.where(x > 1, 1.0, jnp.where(x < -1, -1.0, x))  # NaN -> x


_hard_tanh = elementwise(_hard_tanh_val, _box(-1.0, 1.0, 1.0))


def _hard_sigmoid_val(x: Array) -> Array:
    # (x + 3) / 6, not x / 6 + 1/2, which cancels next to x = -3.
    inside = (x > -3) & (x < 3)
    return keep_nan(x, jnp.where(inside, (x + 3.0) / 6.0, jnp.where(x >= 3, 1.0, 0.0)))


_hard_sigmoid = elementwise(_hard_sigmoid_val, _box(-3.0, 3.0, 1.0 / 6.0))


def _hard_silu_val(x: Array) -> Array:
    inner = x * ((x + 3.0) / 6.0)  # x * hard_sigmoid(x), as jax.nn rounds it
    return jnp.where(x <= -3, 0.0, jnp.where(x >= 3, x, inner))  # NaN -> inner


def _hard_silu_der_val(x: Array) -> Array:
    inner = (2.0 * x + 3.0) / 6.0
    return jnp.where(x <= -3, 0.0, jnp.where(x >= 3, 1.0, inner))  # NaN -> inner


_hard_silu = elementwise(
    _hard_silu_val, elementwise(_hard_silu_der_val, _box(-3.0, 3.0, 1.0 / 3.0))
)


def _sparse_sigmoid_val(x: Array) -> Array:
    return jnp.where(x <= -1, 0.0, jnp.where(x >= 1, 1.0, 0.5 * (x + 1.0)))


_sparse_sigmoid = elementwise(_sparse_sigmoid_val, _box(-1.0, 1.0, 0.5))


def _sparse_plus_val(x: Array) -> Array:
    # x + 1 is exact next to x = -1 (Sterbenz), so the value keeps its bits
    # where it goes to 0.
    inner = (x + 1.0) * (x + 1.0) * 0.25
    return jnp.where(x <= -1, 0.0, jnp.where(x >= 1, x, inner))  # NaN -> inner


# sparse_plus' = sparse_sigmoid, with sparse_sigmoid's own rule for the second.
_sparse_plus = elementwise(_sparse_plus_val, _sparse_sigmoid)


@jax.jit
def _relu_int(x: Array) -> Array:
    return jnp.where(x > 0, x, 0)


@jax.jit
def _hard_tanh_int(x: Array) -> Array:
    if jnp.issubdtype(x.dtype, jnp.unsignedinteger):
        return jnp.minimum(x, 1)  # -1 is not representable: no lower clamp
    return jnp.where(x > 1, 1, jnp.where(x < -1, -1, x))


def step(x: ArrayLike) -> Array:
    r"""Heaviside step function, the perceptron's activation.

    Computes the element-wise function:

    .. math::
        \mathrm{step}(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}

    so ``step(0) = 0`` (the book's convention), returned as a float. Its true
    derivative is 0 everywhere except at 0, where it does not exist; ``grad``
    returns 0 everywhere (NaN at NaN). That is exactly why a network of step
    units cannot be trained by gradient descent: no gradient reaches the
    weights. To train through it anyway, use :func:`surrogate_step`, which
    keeps this forward value and substitutes a surrogate derivative.

    Args:
        x: input array, real.

    Returns:
        An array of the same shape and floating dtype as ``x``.

    Examples:
        >>> jaxnn.step(jnp.array([-1.0, 1.0, 2.0]))
        Array([0., 1., 1.], dtype=float32)
        >>> jaxnn.step(jnp.array([0.0]))
        Array([0.], dtype=float32)
    """
    return apply(_step, "step", x)


_SURROGATES = ("straight_through", "sigmoid", "fast_sigmoid")


def surrogate_step(
    kind: str = "sigmoid", *, slope: float = 4.0
) -> Callable[..., Array]:
    r"""A step function whose derivative is replaced by a surrogate.

    The returned function computes exactly :func:`step` (1 where ``x > 0``,
    else 0); only its derivative changes, so that gradient descent can train
    through threshold units (as in spiking networks and binarised nets):

    * ``"straight_through"``: :math:`\mathrm{step}'(x) := 1` (the
      straight-through estimator; ``slope`` is ignored);
    * ``"sigmoid"``: :math:`\mathrm{step}'(x) := \frac{d}{dx}\sigma(kx) =
      k\,\sigma(kx)(1 - \sigma(kx))`, with :math:`k` = ``slope``; it tends to
      the true (Dirac) derivative as ``slope`` grows;
    * ``"fast_sigmoid"``: :math:`\mathrm{step}'(x) := 1 / (1 + k|x|)^2`
      (SuperSpike, Zenke and Ganguli 2018), cheaper and with heavier tails.

    Every surrogate is NaN at NaN. A factory is used instead of a
    ``surrogate=`` argument of :func:`step` because the surrogate is part of
    the function's identity under ``jax.custom_jvp``: build it once, then
    ``jit``/``vmap``/``grad`` it freely.

    Args:
        kind: one of ``"straight_through"``, ``"sigmoid"``, ``"fast_sigmoid"``.
        slope: steepness :math:`k > 0` of the surrogate (keyword-only).

    Returns:
        A function ``f(x)`` with ``f(x) == step(x)`` and the surrogate derivative.

    Examples:
        >>> f = jaxnn.surrogate_step("sigmoid", slope=4.0)
        >>> f(jnp.array([-1.0, 0.0, 2.0]))
        Array([0., 0., 1.], dtype=float32)
        >>> jax.grad(f)(0.0)  # slope * sigmoid'(0) = 4 / 4
        Array(1., dtype=float32, weak_type=True)
    """
    if not isinstance(kind, str) or kind not in _SURROGATES:
        raise ValueError(
            f"surrogate_step: kind must be one of {', '.join(_SURROGATES)}; "
            f"got {kind!r}."
        )
    if isinstance(slope, bool) or not isinstance(slope, (int, float)):
        raise TypeError(
            f"surrogate_step: slope must be a Python number, got {slope!r}."
        )
    if not (math.isfinite(slope) and slope > 0):
        raise ValueError(
            f"surrogate_step: slope must be finite and > 0, got {slope!r}."
        )
    k = float(slope)

    def der(x: Array) -> Array:
        if kind == "straight_through":
            return keep_nan(x, jnp.ones_like(x))
        if kind == "sigmoid":
            return k * _sigmoid_der(k * x)
        d = 1.0 + k * jnp.abs(x)
        return 1.0 / (d * d)

    kernel = elementwise(_step_val, der)

    def surrogate(x: ArrayLike) -> Array:
        return apply(kernel, f"surrogate_step({kind!r})", x)

    surrogate.__name__ = f"step_{kind}"
    surrogate.__qualname__ = surrogate.__name__
    surrogate.__doc__ = (
        f"Heaviside step with a {kind} surrogate derivative (slope={k}).\n\n"
        "Returns ``step(x)``; see :func:`jaxnn.surrogate_step`.\n\n"
        "Examples:\n"
        f"    >>> jaxnn.surrogate_step({kind!r})(jnp.array([-1.0, 1.0]))\n"
        "    Array([0., 1.], dtype=float32)\n"
    )
    return surrogate


def identity(x: ArrayLike) -> Array:
    r"""Identity, the output activation for regression.

    Computes the element-wise function:

    .. math::
        \mathrm{identity}(x) = x

    Its derivative is 1 everywhere. As in ``jax.nn``, the input is returned as
    an array of its own dtype (integer, bool and complex included).

    Args:
        x: input array.

    Returns:
        ``x`` as an array.

    Examples:
        >>> jaxnn.identity(jnp.array([-1.0, 1.0, 2.0]))
        Array([-1.,  1.,  2.], dtype=float32)
    """
    return as_numeric_array(x, "identity")


def relu(x: ArrayLike) -> Array:
    r"""Rectified linear unit.

    Computes the element-wise function:

    .. math::
        \mathrm{relu}(x) = \max(x, 0)

    Its derivative at 0 is taken to be 0 (as in ``jax.nn`` and PyTorch), and
    at NaN it is NaN (``jax.nn``'s is 0). Integer input stays integer, as in
    ``jax.nn``.

    Args:
        x: input array.

    Returns:
        An array of the same shape and dtype as ``x``.

    Examples:
        >>> jaxnn.relu(jnp.array([-1.0, 1.0, 2.0]))
        Array([0., 1., 2.], dtype=float32)
        >>> jax.grad(jaxnn.relu)(0.0)
        Array(0., dtype=float32, weak_type=True)
    """
    return apply(
        _relu,
        "relu",
        x,
        ints="keep",
        bools="keep",
        int_kernel=_relu_int,
        peer=jax.nn.relu,
    )


def leaky_relu(x: ArrayLike, negative_slope: ArrayLike = 0.01) -> Array:
    r"""Leaky rectified linear unit.

    Computes the element-wise function:

    .. math::
        \mathrm{leaky\_relu}(x) = \begin{cases} x & x > 0 \\
        \alpha x & x \le 0 \end{cases}

    with :math:`\alpha` = ``negative_slope``. Its derivative at 0 is taken to
    be ``negative_slope`` (as in PyTorch; ``jax.nn`` uses 1), so ``relu`` is
    the ``negative_slope = 0`` case, and NaN at NaN. Differentiable in
    ``negative_slope`` too.

    Args:
        x: input array.
        negative_slope: slope for ``x <= 0``, a number or an array that
            broadcasts against ``x`` (one slope per channel, for example).

    Returns:
        An array of the broadcast shape of ``x`` and ``negative_slope``.

    Examples:
        >>> jaxnn.leaky_relu(jnp.array([-1.0, 1.0, 2.0]))
        Array([-0.01,  1.  ,  2.  ], dtype=float32)
        >>> jax.grad(jaxnn.leaky_relu)(0.0)
        Array(0.01, dtype=float32, weak_type=True)
    """
    return apply(
        _leaky_relu,
        "leaky_relu",
        x,
        ints="weak",
        bools="weak",
        peer=jax.nn.leaky_relu,
        negative_slope=negative_slope,
    )


def relu6(x: ArrayLike) -> Array:
    r"""ReLU capped at 6.

    Computes the element-wise function:

    .. math::
        \mathrm{relu6}(x) = \min(\max(x, 0), 6)

    Its derivative is 1 on (0, 6) and 0 elsewhere, including at both kinks (as
    in ``jax.nn``), and NaN at NaN.

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``, in [0, 6].

    Examples:
        >>> jaxnn.relu6(jnp.array([-1.0, 1.0, 7.0]))
        Array([0., 1., 6.], dtype=float32)
    """
    return apply(_relu6, "relu6", x, ints="weak", bools="weak", peer=jax.nn.relu6)


def hard_sigmoid(x: ArrayLike) -> Array:
    r"""Hard sigmoid, a piecewise-linear sigmoid.

    Computes the element-wise function:

    .. math::
        \mathrm{hard\_sigmoid}(x) = \frac{\mathrm{relu6}(x + 3)}{6}
        = \min(\max(x/6 + 1/2, 0), 1)

    Its derivative is 1/6 on (-3, 3) and 0 elsewhere, including at both kinks,
    and NaN at NaN.

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``, in [0, 1].

    Examples:
        >>> jaxnn.hard_sigmoid(jnp.array([-4.0, 0.0, 1.5]))
        Array([0.  , 0.5 , 0.75], dtype=float32)
    """
    return apply(
        _hard_sigmoid,
        "hard_sigmoid",
        x,
        ints="weak",
        bools="weak",
        peer=jax.nn.hard_sigmoid,
    )


def hard_silu(x: ArrayLike) -> Array:
    r"""Hard SiLU (hard swish), :math:`x` times the hard sigmoid.

    Computes the element-wise function:

    .. math::
        \mathrm{hard\_silu}(x) = x\,\frac{\mathrm{relu6}(x + 3)}{6}
        = \begin{cases} 0 & x \le -3 \\ x (x + 3) / 6 & -3 < x < 3 \\
        x & x \ge 3 \end{cases}

    Its derivative is :math:`(2x + 3)/6` on (-3, 3), 0 below and 1 above; at
    the kinks it is taken from the outer pieces (0 at -3, 1 at 3, as in
    ``jax.nn``), and NaN at NaN. ``hard_swish`` is the same function.

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``.

    Examples:
        >>> jaxnn.hard_silu(jnp.array([-4.0, 1.5, 4.0]))
        Array([0.   , 1.125, 4.   ], dtype=float32)
    """
    return apply(
        _hard_silu, "hard_silu", x, ints="weak", bools="weak", peer=jax.nn.hard_silu
    )


hard_swish = hard_silu


def hard_tanh(x: ArrayLike) -> Array:
    r"""Hard tanh, a piecewise-linear tanh.

    Computes the element-wise function:

    .. math::
        \mathrm{hard\_tanh}(x) = \min(\max(x, -1), 1)

    Its derivative is 1 on (-1, 1) and 0 elsewhere, including at both kinks
    (``jax.nn`` takes 1 there), and NaN at NaN. Integer input stays integer,
    as in ``jax.nn``.

    Args:
        x: input array.

    Returns:
        An array of the same shape and dtype as ``x``, in [-1, 1].

    Examples:
        >>> jaxnn.hard_tanh(jnp.array([-2.0, 0.5, 3.0]))
        Array([-1. ,  0.5,  1. ], dtype=float32)
    """
    return apply(
        _hard_tanh,
        "hard_tanh",
        x,
        ints="keep",
        bools="keep",
        int_kernel=_hard_tanh_int,
        peer=jax.nn.hard_tanh,
    )


def sparse_plus(x: ArrayLike) -> Array:
    r"""Sparse plus, a softplus that is exactly 0 below -1 and ``x`` above 1.

    Computes the element-wise function:

    .. math::
        \mathrm{sparse\_plus}(x) = \begin{cases} 0 & x \le -1 \\
        (x + 1)^2 / 4 & -1 < x < 1 \\ x & x \ge 1 \end{cases}

    It is continuously differentiable; its derivative is
    :func:`sparse_sigmoid` (NaN at NaN).

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``, non-negative.

    Examples:
        >>> jaxnn.sparse_plus(jnp.array([-2.0, 0.0, 2.0]))
        Array([0.  , 0.25, 2.  ], dtype=float32)
    """
    return apply(
        _sparse_plus,
        "sparse_plus",
        x,
        ints="weak",
        bools="weak",
        peer=jax.nn.sparse_plus,
    )


def sparse_sigmoid(x: ArrayLike) -> Array:
    r"""Sparse sigmoid, the derivative of :func:`sparse_plus`.

    Computes the element-wise function:

    .. math::
        \mathrm{sparse\_sigmoid}(x) = \begin{cases} 0 & x \le -1 \\
        (x + 1) / 2 & -1 < x < 1 \\ 1 & x \ge 1 \end{cases}

    Its derivative is 1/2 on (-1, 1) and 0 elsewhere, including at both kinks
    (``jax.nn``'s ``clip`` gives 1/4 there), and NaN at NaN.

    Args:
        x: input array, real.

    Returns:
        An array of the same shape and floating dtype as ``x``, in [0, 1].

    Examples:
        >>> jaxnn.sparse_sigmoid(jnp.array([-2.0, 0.0, 0.5]))
        Array([0.  , 0.5 , 0.75], dtype=float32)
    """
    return apply(_sparse_sigmoid, "sparse_sigmoid", x, ints="weak", bools="weak")
