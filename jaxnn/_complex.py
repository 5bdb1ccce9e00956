"""Complex inputs to the functions over an axis, with ``jax.nn``'s formulas.

``jax.nn`` accepts complex ``x`` in ``softmax``, ``log_softmax``,
``logsumexp`` and ``logmeanexp`` (the holomorphic extensions, shifted by the
lexicographic maximum, logarithms on the principal branch). jaxnn computes
them the same way, so a drop-in returns the same numbers; the accuracy work
of the real case (two-sum, ``log1p``) is for real input only.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax import Array

from jaxnn._checks import ARRAY_TYPES, as_real_array


def is_complex(*values: Any) -> bool:
    """Whether any of ``values`` is a complex array or scalar."""
    return any(
        isinstance(v, (*ARRAY_TYPES, complex)) and jnp.iscomplexobj(v)
        for v in values
        if v is not None
    )


def as_array(x: Any, func: str, arg: str) -> Array:
    """A complex value as a JAX array; anything else through ``as_real_array``."""
    if is_complex(x):
        return jnp.asarray(x)
    return as_real_array(x, func, arg)


def softmax(x: Array, axes: tuple[int, ...], mask: Array | None, log: bool) -> Array:
    shift = jax.lax.stop_gradient(
        jnp.max(x, axes, where=mask, initial=-jnp.inf, keepdims=True)
    )
    safe = x if mask is None else jnp.where(mask, x, -jnp.inf)
    shifted = safe - shift
    total = jnp.sum(jnp.exp(shifted), axes, where=mask, keepdims=True)
    out = shifted - jnp.log(total) if log else jnp.exp(shifted) / total
    if mask is not None:
        out = jnp.where(mask, out, -jnp.inf if log else 0.0)
    return out


def logsumexp(
    a: Array,
    b: Array | None,
    mask: Array | None,
    axes: tuple[int, ...],
    keepdims: bool,
    return_sign: bool,
) -> tuple[Array, Array]:
    if mask is not None:
        a = jnp.where(mask, a, 0.0)
    if b is not None:
        a = jnp.where(b != 0, a, -jnp.inf)
    amax = jnp.max(a.real, axes, where=mask, initial=-jnp.inf, keepdims=True)
    amax = jax.lax.stop_gradient(jnp.where(jnp.isfinite(amax), amax, 0.0))
    exp_a = jnp.exp(a - amax.astype(a.dtype))
    if b is not None:
        exp_a = exp_a * b
    total = jnp.sum(exp_a, axes, where=mask, keepdims=True)
    sign = jnp.sign(total)
    if return_sign:
        total = jnp.abs(total)
    out = jnp.log(total) + amax.astype(total.dtype)
    if not keepdims:
        out, sign = jnp.squeeze(out, axes), jnp.squeeze(sign, axes)
    return out, sign
