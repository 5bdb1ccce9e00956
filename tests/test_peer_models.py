"""jaxnn's activations in place of jax.nn's inside Equinox and Flax NNX models.

The same model, data and optimizer, trained a few steps once with jax.nn's
activation and once with jaxnn's: the losses agree to float32 rounding (the
defaults are the same, e.g. gelu's tanh form). Flax and Equinox come with the
bench extra; the tests are skipped where they are not installed.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxnn

NAMES = ["gelu", "silu", "relu", "leaky_relu", "tanh"]
STEPS = 6


def _data() -> tuple[jax.Array, jax.Array]:
    kx, kw = jax.random.split(jax.random.key(42))
    x = jax.random.normal(kx, (64, 8))
    y = jnp.sin(x @ jax.random.normal(kw, (8, 2)))
    return x, y


def _assert_same_losses(
    train: Callable[[Callable[..., jax.Array]], list[float]], name: str
):
    ours = train(getattr(jaxnn, name))
    theirs = train(getattr(jax.nn, name))
    assert len(ours) == STEPS and ours[-1] < ours[0]  # it trains
    np.testing.assert_allclose(ours, theirs, rtol=2e-6, err_msg=name)


@pytest.mark.parametrize("name", NAMES)
def test_equinox_mlp(name):
    eqx = pytest.importorskip("equinox")
    x, y = _data()

    def train(activation: Callable[..., jax.Array]) -> list[float]:
        model = eqx.nn.MLP(8, 2, 32, 2, activation=activation, key=jax.random.key(0))
        opt = optax.adam(1e-2)
        state = opt.init(eqx.filter(model, eqx.is_array))

        @eqx.filter_jit
        def step(model, state):
            def loss(m):
                return jnp.mean((jax.vmap(m)(x) - y) ** 2)

            value, grads = eqx.filter_value_and_grad(loss)(model)
            updates, state = opt.update(grads, state, eqx.filter(model, eqx.is_array))
            return eqx.apply_updates(model, updates), state, value

        losses = []
        for _ in range(STEPS):
            model, state, value = step(model, state)
            losses.append(float(value))
        return losses

    _assert_same_losses(train, name)


@pytest.mark.parametrize("name", NAMES)
def test_flax_nnx_model(name):
    nnx = pytest.importorskip("flax.nnx")
    x, y = _data()

    class Model(nnx.Module):
        def __init__(self, activation: Callable[..., jax.Array], rngs: nnx.Rngs):
            self.hidden = nnx.Linear(8, 32, rngs=rngs)
            self.norm = nnx.LayerNorm(32, rngs=rngs)
            self.out = nnx.Linear(32, 2, rngs=rngs)
            self.activation = activation

        def __call__(self, x: jax.Array) -> jax.Array:
            return self.out(self.activation(self.norm(self.hidden(x))))

    def train(activation: Callable[..., jax.Array]) -> list[float]:
        model = Model(activation, nnx.Rngs(0))
        optimizer = nnx.Optimizer(model, optax.adam(1e-2), wrt=nnx.Param)

        @nnx.jit
        def step(model, optimizer):
            def loss(m):
                return jnp.mean((m(x) - y) ** 2)

            value, grads = nnx.value_and_grad(loss)(model)
            optimizer.update(model, grads)
            return value

        return [float(step(model, optimizer)) for _ in range(STEPS)]

    _assert_same_losses(train, name)
