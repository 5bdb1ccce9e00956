r"""Output-layer functions over an axis: ``softmax`` and ``log_softmax``.

Both subtract the maximum before exponentiating (so ``softmax([1000, 1001,
1002])`` equals ``softmax([0, 1, 2])`` bit for bit), take an optional boolean
``where`` mask, and have ``jax.custom_jvp`` derivatives written from the
outputs (``s * (t - <s, t>)``), which are finite wherever the outputs are.

Conventions for rows without a usual answer (a "row" is a slice along
``axis``):

* masked-out entries (``where`` False) get probability 0 and log-probability
  ``-inf``, whatever their value, NaN included;
* a row with no candidate at all (every entry masked out or ``-inf``) gets
  probability 0 everywhere and log-probability ``-inf`` everywhere: there is
  nothing to normalise, and a row of zeros is what a masked attention or
  mixture expects, where NaN would poison a whole batch;
* a row containing ``+inf`` is NaN throughout, as in ``jax.nn`` and PyTorch:
  ``inf - inf`` has no value, and the limit of growing logits depends on how
  they grow, so any number would be made up (and would hide an overflow);
* NaN in a candidate entry makes its whole row NaN.

The forward pass is only a max, a subtraction, an exponential, a sum and a
division, with no select: the empty-row case comes from taking the max over
``max(x, -finfo.max)``, which is finite, and from dividing by ``sum + tiny``, which
equals the sum whenever it is at least 1 (it always is when the row has a
candidate, whose shifted exponential is ``exp(0) = 1``). Those are the
operations XLA's CPU backend fuses with the matrix product that produced the
logits; one select or compare would split the fusion (and min/max inside a
fused computation need not propagate NaN there, so no result depends on
one: a NaN entry always reaches the row's sum).
"""

from __future__ import annotations

import functools
import operator
from typing import Any

import jax
import jax.numpy as jnp
from jax import Array
from jax.typing import ArrayLike

from jaxnn._checks import as_real_array, compute_dtype, out_dtype

__all__ = ["log_softmax", "softmax"]


def _normalize_axis(axis: Any, ndim: int, func: str) -> tuple[int, ...]:
    axes = axis if isinstance(axis, tuple) else (axis,)
    out = []
    for a in axes:
        if isinstance(a, bool):
            raise TypeError(
                f"{func}: axis must be an int or a tuple of ints, got {a!r}."
            )
        try:
            a = operator.index(a)
        except TypeError:
            raise TypeError(
                f"{func}: axis must be an int or a tuple of ints, got {axis!r}."
            ) from None
        if not -ndim <= a < ndim:
            raise ValueError(
                f"{func}: axis {a} is out of range for x with {ndim} dimensions."
            )
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{func}: axis {axis!r} repeats an axis.")
    return tuple(sorted(out))


def _check_mask(where: Any, shape: tuple[int, ...], func: str) -> Array | None:
    if where is None:
        return None
    if not isinstance(where, (jax.Array, jnp.ndarray, bool)) and not hasattr(
        where, "dtype"
    ):
        raise TypeError(
            f"{func}: where must be a boolean array or None, got "
            f"{type(where).__name__}."
        )
    mask = jnp.asarray(where)
    if mask.dtype != jnp.bool_:
        raise TypeError(f"{func}: where must have dtype bool, got {mask.dtype}.")
    try:
        return jnp.broadcast_to(mask, shape)
    except ValueError:
        raise ValueError(
            f"{func}: where of shape {mask.shape} does not broadcast to x's shape "
            f"{shape}."
        ) from None


def _normalise(
    x: Array, mask: Array | None, axis: tuple[int, ...]
) -> tuple[Array, Array, Array]:
    """``(x - max, exp(x - max), sum(exp(x - max)) + tiny)``, conventions built in.

    The max is taken over ``max(x, -finfo.max)``, so a row with no candidate
    (all ``-inf``) is shifted by a finite number and stays ``-inf`` instead of
    becoming ``-inf - -inf = NaN``; its sum is 0, and ``+ tiny`` makes the
    division and the logarithm give 0 and ``-inf``. For any other row the sum
    is at least 1, so adding ``tiny`` leaves it unchanged, bit for bit.
    """
    finfo = jnp.finfo(x.dtype)
    xm = x if mask is None else jnp.where(mask, x, -jnp.inf)
    # max(x, -finfo.max) per entry, not initial=-finfo.max or a max on the
    # row: those split XLA's CPU fusion of softmax with the matrix product at
    # some sizes. If that max drops a NaN, the NaN still reaches the sum below.
    m = jnp.max(jnp.maximum(xm, -finfo.max), axis=axis, keepdims=True)
    shifted = xm - m
    e = jnp.exp(shifted)
    total = jnp.sum(e, axis=axis, keepdims=True) + finfo.tiny
    return shifted, e, total


def _outputs(
    x: Array, mask: Array | None, axis: tuple[int, ...], log: bool
) -> tuple[Array, Array, Array]:
    """``(y, p, total)``: the output, the probabilities and the row sums."""
    shifted, e, total = _normalise(x, mask, axis)
    p = e / total
    return (shifted - jnp.log(total) if log else p), p, total


@functools.partial(jax.custom_jvp, nondiff_argnums=(2, 3))
def _softmax_core(
    x: Array, mask: Array | None, axis: tuple[int, ...], log: bool
) -> Array:
    return _outputs(x, mask, axis, log)[0]


@_softmax_core.defjvp
def _softmax_jvp(
    axis: tuple[int, ...],
    log: bool,
    primals: tuple[Any, ...],
    tangents: tuple[Any, ...],
) -> tuple[Array, Array]:
    x, mask = primals
    t = tangents[0]
    y, p, total = _outputs(x, mask, axis, log)
    if mask is not None:
        t = jnp.where(mask, t, 0.0)
    mean_t = jnp.sum(p * t, axis=axis, keepdims=True)
    if not log:
        return y, p * (t - mean_t)
    dy = t - mean_t
    if mask is not None:
        dy = jnp.where(mask, dy, 0.0)
    # A row with no candidate (sum 0, total = tiny) passes no gradient: scale
    # by 0 there and by 1 elsewhere, with a product instead of a select so
    # that the backward pass stays fusable on XLA's CPU.
    tiny = jnp.finfo(total.dtype).tiny
    return y, dy * jnp.minimum((total - tiny) * 2.0**100, 1.0)


@functools.partial(jax.jit, static_argnames=("axis", "log"))
def _softmax_kernel(
    x: Array, mask: Array | None, *, axis: tuple[int, ...], log: bool
) -> Array:
    return _softmax_core(x, mask, axis, log)


def _run(x: Any, axis: Any, where: Any, func: str, log: bool) -> Array:
    arr = as_real_array(x, func)
    out = out_dtype(arr)
    axes = _normalize_axis(axis, arr.ndim, func)
    mask = _check_mask(where, arr.shape, func)
    y = _softmax_kernel(arr.astype(compute_dtype(out)), mask, axis=axes, log=log)
    return y.astype(out)


def softmax(
    x: ArrayLike, *, axis: int | tuple[int, ...] = -1, where: ArrayLike | None = None
) -> Array:
    r"""Softmax over an axis, the output layer for classification.

    Computes, along ``axis``:

    .. math::
        \mathrm{softmax}(x)_i = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}},
        \qquad m = \max_j x_j

    Subtracting :math:`m` changes nothing mathematically and prevents
    overflow. Entries where ``where`` is False are left out of the sum and get
    probability 0. A row with no candidate (all masked or ``-inf``) is all 0;
    a row containing ``+inf`` or NaN is all NaN (see the module notes).
    Its derivative is :math:`s_i(\delta_{ij} - s_j)`, smooth everywhere.

    Args:
        x: input array with at least one dimension.
        axis: the axis (or tuple of axes) to normalise over (keyword-only).
        where: optional boolean mask broadcastable to ``x``; False entries
            are excluded (keyword-only).

    Returns:
        An array of the same shape and floating dtype as ``x``; each row sums
        to 1 (or is all 0 when it has no candidate).

    Examples:
        >>> jaxnn.softmax(jnp.array([0.3, 2.9, 4.0]))
        Array([0.0182, 0.2452, 0.7366], dtype=float32)
        >>> jaxnn.softmax(jnp.array([1000.0, 1001.0, 1002.0]))
        Array([0.09003057, 0.24472848, 0.66524094], dtype=float32)
        >>> jaxnn.softmax(jnp.array([1.0, 2.0, 3.0]),
        ...               where=jnp.array([True, True, False]))
        Array([0.26894143, 0.7310586 , 0.        ], dtype=float32)
    """
    return _run(x, axis, where, "softmax", log=False)


def log_softmax(
    x: ArrayLike, *, axis: int | tuple[int, ...] = -1, where: ArrayLike | None = None
) -> Array:
    r"""Logarithm of the softmax over an axis.

    Computes, along ``axis``:

    .. math::
        \mathrm{log\_softmax}(x)_i = (x_i - m) - \log \sum_j e^{x_j - m},
        \qquad m = \max_j x_j

    without ever forming :math:`\log` of an underflowed probability, so it is
    finite for every finite input. Masked-out entries (``where`` False) get
    ``-inf``; a row with no candidate is all ``-inf``; a row containing
    ``+inf`` or NaN is all NaN. Its derivative is :math:`\delta_{ij} - s_j`.

    Args:
        x: input array with at least one dimension.
        axis: the axis (or tuple of axes) to normalise over (keyword-only).
        where: optional boolean mask broadcastable to ``x``; False entries
            are excluded (keyword-only).

    Returns:
        An array of the same shape and floating dtype as ``x``.

    Examples:
        >>> jaxnn.log_softmax(jnp.array([0.0, 0.0]))
        Array([-0.6931472, -0.6931472], dtype=float32)
        >>> jaxnn.log_softmax(jnp.array([0.0, 200.0]))
        Array([-200.,    0.], dtype=float32)
    """
    return _run(x, axis, where, "log_softmax", log=True)
