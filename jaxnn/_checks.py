"""Input checks and dtype rules shared by the package's modules.

Every public entry point checks its arguments here, so one message names the
argument, the value and what was expected, the same way everywhere.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

ARRAY_TYPES = (jax.Array, np.ndarray, np.generic, bool, int, float)


def as_real_array(x: Any, func: str, arg: str = "x") -> Array:
    """Returns ``x`` as a real JAX array, or raises a ``TypeError`` naming it."""
    if isinstance(x, (list, tuple)):
        raise TypeError(
            f"{func}: argument {arg!r} must be an array or a real scalar, got a "
            f"{type(x).__name__}; convert it first with jnp.asarray({arg})."
        )
    if isinstance(x, (str, bytes)) or not isinstance(x, ARRAY_TYPES):
        raise TypeError(
            f"{func}: argument {arg!r} must be an array or a real scalar, got "
            f"{type(x).__name__} {x!r:.60}."
        )
    dtype = np.result_type(x) if not isinstance(x, jax.Array) else x.dtype
    if jnp.issubdtype(dtype, jnp.complexfloating):
        raise TypeError(
            f"{func}: argument {arg!r} must be real, got complex dtype {dtype}; "
            "apply the activation to jnp.real(x) or jnp.abs(x) explicitly."
        )
    if not (
        jnp.issubdtype(dtype, jnp.floating)
        or jnp.issubdtype(dtype, jnp.integer)
        or jnp.issubdtype(dtype, jnp.bool_)
    ):
        raise TypeError(
            f"{func}: argument {arg!r} must have a real numeric dtype, got {dtype}."
        )
    return jnp.asarray(x)


def out_dtype(x: Array) -> Any:
    """The output dtype: the input's floating dtype, else JAX's default float."""
    if jnp.issubdtype(x.dtype, jnp.floating):
        return x.dtype
    return jax.dtypes.canonicalize_dtype(jnp.float64)


def compute_dtype(dtype: Any) -> Any:
    """Half-precision types are computed in float32 and rounded once."""
    return jnp.float32 if jnp.dtype(dtype).itemsize < 4 else dtype


def as_scalar(p: Any, func: str, arg: str) -> Array:
    """Checks a hyperparameter: a real scalar (Python number or 0-d array)."""
    arr = as_real_array(p, func, arg)
    if arr.ndim != 0:
        raise TypeError(
            f"{func}: hyperparameter {arg!r} must be a scalar, got shape {arr.shape}."
        )
    return arr


def as_numeric_array(x: Any, func: str, arg: str = "x") -> Array:
    """Returns ``x`` as a JAX array of any numeric dtype (bool, integer,
    floating or complex), or raises a ``TypeError`` naming the argument."""
    if isinstance(x, (list, tuple)):
        raise TypeError(
            f"{func}: argument {arg!r} must be an array or a scalar, got a "
            f"{type(x).__name__}; convert it first with jnp.asarray({arg})."
        )
    if isinstance(x, (str, bytes)) or not isinstance(x, (*ARRAY_TYPES, complex)):
        raise TypeError(
            f"{func}: argument {arg!r} must be an array or a scalar, got "
            f"{type(x).__name__} {x!r:.60}."
        )
    dtype = np.result_type(x) if not isinstance(x, jax.Array) else x.dtype
    if not (
        jnp.issubdtype(dtype, jnp.number) or jnp.issubdtype(dtype, jnp.bool_)
    ) or jnp.issubdtype(dtype, jax.dtypes.extended):
        raise TypeError(
            f"{func}: argument {arg!r} must have a numeric dtype, got {dtype}."
        )
    return jnp.asarray(x)


def is_weak(x: Array) -> bool:
    """Whether ``x`` is weakly typed (a Python scalar's type, as JAX promotes)."""
    return bool(jax.typeof(x).weak_type)


def cast(x: Array, dtype: Any) -> Array:
    """``x`` as ``dtype``, keeping a weak type where JAX's promotion would.

    A weakly typed integer (a Python ``int``) becomes a weakly typed float when
    ``dtype`` is JAX's default float, as ``x + 0.0`` does; ``x`` is returned as
    is when it already has ``dtype`` (``astype`` would drop its weak type).
    """
    if x.dtype == dtype:
        return x
    if is_weak(x) and dtype == jax.dtypes.canonicalize_dtype(jnp.float64):
        return x + 0.0
    return x.astype(dtype)


def check_key(key: Any) -> None:
    if isinstance(key, jax.Array) and jax.dtypes.issubdtype(
        key.dtype, jax.dtypes.prng_key
    ):
        if key.shape != ():
            raise ValueError(
                f"key: expected a single PRNG key, got an array of keys of shape "
                f"{key.shape} (use jax.vmap to map over keys)"
            )
        return
    # Legacy raw keys (jax.random.PRNGKey): a uint32 vector.
    if getattr(key, "dtype", None) == jnp.uint32 and jnp.ndim(key) == 1:
        return
    raise TypeError(
        f"key: expected a PRNG key such as jax.random.key(0), got "
        f"{type(key).__name__} {getattr(key, 'dtype', '')}{jnp.shape(key)}"
    )


# Helpers for the functions over an axis (softmax, logsumexp, standardize, ...).


def inexact_dtype(dtype: Any) -> Any:
    """The floating dtype ``jax.numpy`` computes an integer or bool input in.

    Floating dtypes are kept. Bool and integers of up to 32 bits give
    ``float32`` and 64-bit integers ``float64`` (``float32`` without
    ``jax_enable_x64``), as ``jnp.exp`` and ``jax.nn`` do, so ``int32`` input
    gives ``float32`` even under ``jax_enable_x64``.
    """
    dtype = jnp.dtype(dtype)
    if jnp.issubdtype(dtype, jnp.inexact):
        return dtype
    wide = dtype.itemsize >= 8 and not jnp.issubdtype(dtype, jnp.bool_)
    return jax.dtypes.canonicalize_dtype(jnp.float64 if wide else jnp.float32)


def reduction_axes(axis: Any, ndim: int, func: str) -> tuple[int, ...]:
    """``axis`` (None, an int or a tuple of ints) as sorted non-negative axes.

    ``None`` means every axis. Raises a ``TypeError`` for a non-integer axis
    and a ``ValueError`` for one out of range or repeated.
    """
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in axes:
        if isinstance(a, bool):
            raise TypeError(
                f"{func}: axis must be None, an int or a tuple of ints, got {a!r}."
            )
        try:
            a = a.__index__()
        except (AttributeError, TypeError):
            raise TypeError(
                f"{func}: axis must be None, an int or a tuple of ints, got {axis!r}."
            ) from None
        if not -ndim <= a < ndim:
            raise ValueError(
                f"{func}: axis {a} is out of range for an array with {ndim} dimensions."
            )
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{func}: axis {axis!r} repeats an axis.")
    return tuple(sorted(out))


def as_mask(where: Any, func: str, arg: str = "where") -> Array | None:
    """``where`` as a boolean JAX array (or None), or a ``TypeError`` naming it."""
    if where is None:
        return None
    if isinstance(where, (list, tuple)) or not (
        isinstance(where, ARRAY_TYPES) or hasattr(where, "dtype")
    ):
        raise TypeError(
            f"{func}: {arg} must be a boolean array or None, got "
            f"{type(where).__name__}."
        )
    mask = jnp.asarray(where)
    if mask.dtype != jnp.bool_:
        raise TypeError(f"{func}: {arg} must have dtype bool, got {mask.dtype}.")
    return mask


def broadcast_shape(func: str, **arrays: Any) -> tuple[int, ...]:
    """The shape the named arrays broadcast to, or a ``ValueError`` naming them.

    Broadcasting is explicit (a lower-rank mask is allowed under
    ``jax_numpy_rank_promotion="raise"`` too), as in ``jax.nn``.
    """
    shapes = {name: jnp.shape(a) for name, a in arrays.items() if a is not None}
    try:
        return tuple(jnp.broadcast_shapes(*shapes.values()))
    except ValueError:
        listed = ", ".join(f"{name} of shape {s}" for name, s in shapes.items())
        raise ValueError(f"{func}: {listed} do not broadcast together.") from None
