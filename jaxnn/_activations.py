"""Elementwise activation functions (placeholder; being rewritten)."""

import jax
import jax.numpy as jnp
from jax import Array
from jax.typing import ArrayLike


@jax.jit
def step(x: ArrayLike) -> Array:
    x = jnp.asarray(x)
    return jnp.where(x > 0, 1.0, 0.0).astype(jnp.result_type(x, float))


sigmoid = jax.jit(jax.nn.sigmoid)
relu = jax.jit(jax.nn.relu)


@jax.jit
def identity(x: ArrayLike) -> Array:
    return jnp.asarray(x)
