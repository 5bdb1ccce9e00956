"""One-hot encoding of class indices: ``one_hot``.

Indices outside ``[0, num_classes)``, negative ones included, encode as a
row of zeros (no wrap-around), as in ``jax.nn``. The comparison is made in
an integer type wide enough for ``num_classes`` (``jax.nn`` compares in the
input's dtype, so ``uint8`` indices with ``num_classes > 256`` wrap there and
index 44 also lights class 300).
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

import jax
import jax.numpy as jnp
from jax import Array

from jaxnn._checks import ARRAY_TYPES

__all__ = ["one_hot"]


def _compare_dtype(dtype: Any) -> Any:
    if not jnp.issubdtype(dtype, jnp.integer):
        return dtype  # floating (deprecated) input compares as floats
    wide = jnp.dtype(dtype).itemsize >= 8
    return jax.dtypes.canonicalize_dtype(jnp.int64 if wide else jnp.int32)


@functools.partial(jax.jit, static_argnames=("num_classes", "dtype", "axis"))
def _one_hot_kernel(x: Array, *, num_classes: int, dtype: Any, axis: int) -> Array:
    cmp = _compare_dtype(x.dtype)
    # Unsigned values past the signed range become negative: never a class.
    idx = jnp.expand_dims(x.astype(cmp), axis)
    shape = list(idx.shape)
    shape[axis] = num_classes
    classes = jax.lax.broadcasted_iota(cmp, shape, axis)
    return (jnp.broadcast_to(idx, shape) == classes).astype(dtype)


def one_hot(
    x: Any, num_classes: int, *, dtype: Any | None = None, axis: int | Any = -1
) -> Array:
    """One-hot encodes integer class indices.

    Each index ``k`` in ``x`` becomes a vector of ``num_classes`` zeros with a
    one at position ``k``; an index outside ``[0, num_classes)`` becomes all
    zeros.

    Args:
        x: array of integer indices (floating indices are accepted with a
            ``DeprecationWarning``, as ``jax.nn`` does).
        num_classes: the number of classes, a non-negative Python int (static
            under ``jit``).
        dtype: the output dtype; default JAX's default float (``float32``, or
            ``float64`` under ``jax_enable_x64``). Integer and bool dtypes
            are allowed.
        axis: where the new class axis goes in the output (default last), or
            the name of a mapped axis (``vmap``/``shard_map`` ``axis_name``)
            whose index is the class, with ``num_classes`` its size.

    Returns:
        An array of shape ``x.shape`` with a ``num_classes`` axis inserted at
        ``axis`` (``x.shape`` for a named axis), of dtype ``dtype``.

    Raises:
        TypeError: if ``num_classes`` is not a concrete integer, or ``x`` is
            not an array of real numbers.
        ValueError: if ``num_classes`` is negative, ``axis`` is out of range,
            or a named axis's size is not ``num_classes``.

    Examples:
        >>> jaxnn.one_hot(jnp.array([0, 2, -1, 3]), 3)
        Array([[1., 0., 0.],
               [0., 0., 1.],
               [0., 0., 0.],
               [0., 0., 0.]], dtype=float32)
        >>> jaxnn.one_hot(jnp.array([1, 0]), 2, dtype=jnp.int32, axis=0)
        Array([[0, 1],
               [1, 0]], dtype=int32)
    """
    func = "one_hot"
    try:
        n = num_classes.__index__()
    except (AttributeError, TypeError):
        raise TypeError(
            f"{func}: num_classes must be a concrete Python int (it sets the "
            f"output shape, so it cannot be traced), got {num_classes!r:.80}."
        ) from None
    if n < 0:
        raise ValueError(f"{func}: num_classes must be >= 0, got {n}.")
    if isinstance(x, (str, bytes)) or not (
        isinstance(x, (*ARRAY_TYPES, list, tuple)) or hasattr(x, "dtype")
    ):
        raise TypeError(
            f"{func}: argument 'x' must be an array of integer indices, got "
            f"{type(x).__name__}."
        )
    arr = jnp.asarray(x)
    if jnp.issubdtype(arr.dtype, jnp.complexfloating):
        raise TypeError(f"{func}: indices must be real integers, got {arr.dtype}.")
    if not jnp.issubdtype(arr.dtype, jnp.integer):
        warnings.warn(
            f"{func}: indices should be integers, got dtype {arr.dtype}; "
            "floating indices are deprecated (as in jax.nn.one_hot).",
            DeprecationWarning,
            stacklevel=2,
        )
    out = jax.dtypes.canonicalize_dtype(jnp.float64 if dtype is None else dtype)
    if isinstance(axis, (int, jnp.integer)) and not isinstance(axis, bool):
        ndim = arr.ndim + 1
        if not -ndim <= axis < ndim:
            raise ValueError(
                f"{func}: axis {axis} is out of range for an output with {ndim} "
                "dimensions."
            )
        return _one_hot_kernel(arr, num_classes=n, dtype=out, axis=int(axis) % ndim)
    # A named axis (vmap, shard_map): the class is this device's or lane's index.
    size = jax.lax.axis_size(axis)
    if size != n:
        raise ValueError(
            f"{func}: num_classes ({n}) must equal the size of axis {axis!r} ({size})."
        )
    cmp = _compare_dtype(arr.dtype)
    return (arr.astype(cmp) == jax.lax.axis_index(axis).astype(cmp)).astype(out)
