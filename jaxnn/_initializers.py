r"""Weight initialisers, and the default one for each activation.

Every initialiser has the signature of :mod:`jax.nn.initializers`,
``init(key, shape, dtype=jnp.float32) -> Array``, so either family may be passed
to :func:`jaxnn.init_mlp`. A weight of shape ``(fan_in, fan_out)`` is drawn
with mean 0 and variance

.. math::
    \mathrm{Var}[w] = \frac{s}{n}, \qquad
    (s, n) = \begin{cases}
        (2, n_\mathrm{in}) & \text{He (ReLU family)} \\
        (2, (n_\mathrm{in} + n_\mathrm{out}) / 2) & \text{Glorot (sigmoid, tanh)} \\
        (1, n_\mathrm{in}) & \text{LeCun (SELU)}
    \end{cases}

either from a normal distribution with that variance or from the uniform
distribution on :math:`[-\sqrt{3s/n}, \sqrt{3s/n}]`, which has the same one.
"""

import functools
import math
from collections.abc import Callable
from typing import Any, Protocol

import jax
import jax.numpy as jnp
from jax import Array
from jax.typing import ArrayLike, DTypeLike

from jaxnn._checks import check_key

__all__ = [
    "Initializer",
    "default_initializer",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "lecun_normal",
    "lecun_uniform",
]


class Initializer(Protocol):
    """The signature every weight initialiser has (as in :mod:`jax.nn.initializers`)."""

    def __call__(
        self, key: ArrayLike, shape: tuple[int, ...], dtype: DTypeLike = ...
    ) -> Array: ...


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    shape = tuple(shape)
    if len(shape) != 2 or not all(
        isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape
    ):
        raise ValueError(
            f"shape: expected a weight shape (fan_in, fan_out) of two positive "
            f"ints, got {shape!r}"
        )
    return shape[0], shape[1]


def _check_dtype(dtype: DTypeLike) -> Any:
    dt = jnp.dtype(dtype)
    if not jnp.issubdtype(dt, jnp.floating):
        raise ValueError(f"dtype: expected a floating dtype, got {dt}")
    return dt


def _variance_scaling(
    key: ArrayLike,
    shape: tuple[int, ...],
    dtype: DTypeLike,
    *,
    scale: float,
    mode: str,
    distribution: str,
) -> Array:
    fan_in, fan_out = _fans(shape)
    dt = _check_dtype(dtype)
    check_key(key)
    n = fan_in if mode == "fan_in" else (fan_in + fan_out) / 2
    variance = scale / n
    # Draw in float32 at least and round once: sampling directly in bfloat16
    # or float16 would quantise the uniform variates before scaling.
    draw_dtype = jnp.promote_types(dt, jnp.float32)
    if distribution == "normal":
        w = math.sqrt(variance) * jax.random.normal(key, shape, draw_dtype)
    else:
        limit = math.sqrt(3.0 * variance)
        w = jax.random.uniform(key, shape, draw_dtype, -limit, limit)
    return w.astype(dt)


def he_normal(
    key: ArrayLike, shape: tuple[int, ...], dtype: DTypeLike = jnp.float32
) -> Array:
    r"""He (Kaiming) normal initialiser, for the ReLU family.

    Draws :math:`w \sim \mathcal{N}(0, 2 / n_\mathrm{in})` (He et al., 2015).

    Args:
        key: a PRNG key.
        shape: the weight shape ``(fan_in, fan_out)``.
        dtype: a floating dtype.

    Returns:
        An array of ``shape`` and ``dtype``.

    Examples:
        >>> w = jaxnn.he_normal(jax.random.key(0), (784, 50))
        >>> w.shape, w.dtype
        ((784, 50), dtype('float32'))
    """
    return _variance_scaling(
        key, shape, dtype, scale=2.0, mode="fan_in", distribution="normal"
    )


def he_uniform(
    key: ArrayLike, shape: tuple[int, ...], dtype: DTypeLike = jnp.float32
) -> Array:
    r"""He (Kaiming) uniform initialiser, for the ReLU family.

    Draws :math:`w \sim U(-\sqrt{6 / n_\mathrm{in}}, \sqrt{6 / n_\mathrm{in}})`,
    whose variance is :math:`2 / n_\mathrm{in}`.

    Args:
        key: a PRNG key.
        shape: the weight shape ``(fan_in, fan_out)``.
        dtype: a floating dtype.

    Returns:
        An array of ``shape`` and ``dtype``.

    Examples:
        >>> w = jaxnn.he_uniform(jax.random.key(0), (6, 3))
        >>> bool(jnp.all(jnp.abs(w) <= 1.0))
        True
    """
    return _variance_scaling(
        key, shape, dtype, scale=2.0, mode="fan_in", distribution="uniform"
    )


def glorot_normal(
    key: ArrayLike, shape: tuple[int, ...], dtype: DTypeLike = jnp.float32
) -> Array:
    r"""Glorot (Xavier) normal initialiser, for sigmoid and tanh.

    Draws :math:`w \sim \mathcal{N}(0, 2 / (n_\mathrm{in} + n_\mathrm{out}))`
    (Glorot and Bengio, 2010).

    Args:
        key: a PRNG key.
        shape: the weight shape ``(fan_in, fan_out)``.
        dtype: a floating dtype.

    Returns:
        An array of ``shape`` and ``dtype``.

    Examples:
        >>> jaxnn.glorot_normal(jax.random.key(0), (2, 3), jnp.bfloat16).dtype
        dtype(bfloat16)
    """
    return _variance_scaling(
        key, shape, dtype, scale=1.0, mode="fan_avg", distribution="normal"
    )


def glorot_uniform(
    key: ArrayLike, shape: tuple[int, ...], dtype: DTypeLike = jnp.float32
) -> Array:
    r"""Glorot (Xavier) uniform initialiser, for sigmoid and tanh.

    Draws :math:`w \sim U(-a, a)` with
    :math:`a = \sqrt{6 / (n_\mathrm{in} + n_\mathrm{out})}`.

    Args:
        key: a PRNG key.
        shape: the weight shape ``(fan_in, fan_out)``.
        dtype: a floating dtype.

    Returns:
        An array of ``shape`` and ``dtype``.

    Examples:
        >>> w = jaxnn.glorot_uniform(jax.random.key(0), (3, 3))
        >>> bool(jnp.all(jnp.abs(w) <= 1.0))
        True
    """
    return _variance_scaling(
        key, shape, dtype, scale=1.0, mode="fan_avg", distribution="uniform"
    )


def lecun_normal(
    key: ArrayLike, shape: tuple[int, ...], dtype: DTypeLike = jnp.float32
) -> Array:
    r"""LeCun normal initialiser, for SELU (self-normalising networks).

    Draws :math:`w \sim \mathcal{N}(0, 1 / n_\mathrm{in})`.

    Args:
        key: a PRNG key.
        shape: the weight shape ``(fan_in, fan_out)``.
        dtype: a floating dtype.

    Returns:
        An array of ``shape`` and ``dtype``.

    Examples:
        >>> jaxnn.lecun_normal(jax.random.key(0), (4, 2)).shape
        (4, 2)
    """
    return _variance_scaling(
        key, shape, dtype, scale=1.0, mode="fan_in", distribution="normal"
    )


def lecun_uniform(
    key: ArrayLike, shape: tuple[int, ...], dtype: DTypeLike = jnp.float32
) -> Array:
    r"""LeCun uniform initialiser.

    Draws :math:`w \sim U(-\sqrt{3 / n_\mathrm{in}}, \sqrt{3 / n_\mathrm{in}})`,
    whose variance is :math:`1 / n_\mathrm{in}`.

    Args:
        key: a PRNG key.
        shape: the weight shape ``(fan_in, fan_out)``.
        dtype: a floating dtype.

    Returns:
        An array of ``shape`` and ``dtype``.

    Examples:
        >>> w = jaxnn.lecun_uniform(jax.random.key(0), (3, 2))
        >>> bool(jnp.all(jnp.abs(w) <= 1.0))
        True
    """
    return _variance_scaling(
        key, shape, dtype, scale=1.0, mode="fan_in", distribution="uniform"
    )


_SCALING: dict[Callable[..., Any], tuple[float, str, str]] = {
    he_normal: (2.0, "fan_in", "normal"),
    he_uniform: (2.0, "fan_in", "uniform"),
    glorot_normal: (1.0, "fan_avg", "normal"),
    glorot_uniform: (1.0, "fan_avg", "uniform"),
    lecun_normal: (1.0, "fan_in", "normal"),
    lecun_uniform: (1.0, "fan_in", "uniform"),
}


def _draw_many(
    key: ArrayLike, shapes: list[tuple[int, int]], init: Any, dtype: Any
) -> list[Array] | None:
    """All weights of a network from one random draw, if ``init`` is jaxnn's.

    One draw of the total size compiles once, where one draw per layer would
    compile the random number generator once per layer. Returns None for
    initialisers from elsewhere, which are then called layer by layer.
    """
    if init not in _SCALING:
        return None
    scale, mode, distribution = _SCALING[init]
    dt = _check_dtype(dtype)
    draw_dtype = jnp.promote_types(dt, jnp.float32)
    total = sum(n_in * n_out for n_in, n_out in shapes)
    if distribution == "normal":
        flat = jax.random.normal(key, (total,), draw_dtype)
    else:
        flat = jax.random.uniform(key, (total,), draw_dtype, -1.0, 1.0)
    weights, start = [], 0
    for n_in, n_out in shapes:
        n = n_in if mode == "fan_in" else (n_in + n_out) / 2
        std = math.sqrt(scale / n)
        factor = std if distribution == "normal" else math.sqrt(3.0) * std
        w = flat[start : start + n_in * n_out].reshape(n_in, n_out) * factor
        weights.append(w.astype(dt))
        start += n_in * n_out
    return weights


# Activations are matched by name, not identity, so that rewrapped versions
# (jit, custom_jvp, functools.partial) and activations added later to jaxnn or
# taken from jax.nn all map the same way.
_HE = frozenset(
    {
        "relu",
        "relu6",
        "leaky_relu",
        "elu",
        "celu",
        "gelu",
        "silu",
        "swish",
        "mish",
        "softplus",
        "squareplus",
    }
)
_GLOROT = frozenset(
    {
        "sigmoid",
        "tanh",
        "identity",
        "hard_sigmoid",
        "hard_tanh",
        "log_sigmoid",
        "soft_sign",
        "softsign",
        "step",
    }
)
_LECUN = frozenset({"selu"})


def _activation_name(activation: Callable[..., Any]) -> str | None:
    fn: Any = activation
    while isinstance(fn, functools.partial):
        fn = fn.func
    name = getattr(fn, "__name__", None)
    return name if isinstance(name, str) else None


def default_initializer(activation: Callable[..., Any]) -> Initializer:
    """The weight initialiser that suits ``activation``.

    He normal for the ReLU family (``relu``, ``leaky_relu``, ``elu``, ``gelu``,
    ``silu``, ``mish``, ``softplus``, ...), LeCun normal for ``selu``, and
    Glorot normal for ``sigmoid``, ``tanh``, ``identity`` and anything else.
    The activation is recognised by its function name, so the versions in
    :mod:`jax.nn` and wrapped ones (``jax.jit``, ``functools.partial``) map the
    same way.

    Args:
        activation: the hidden-layer activation function.

    Returns:
        One of :func:`he_normal`, :func:`lecun_normal`, :func:`glorot_normal`.

    Examples:
        >>> jaxnn.default_initializer(jaxnn.relu).__name__
        'he_normal'
        >>> jaxnn.default_initializer(jaxnn.sigmoid).__name__
        'glorot_normal'
    """
    if not callable(activation):
        raise TypeError(f"activation: expected a callable, got {activation!r}")
    name = _activation_name(activation)
    if name in _HE:
        return he_normal
    if name in _LECUN:
        return lecun_normal
    return glorot_normal
