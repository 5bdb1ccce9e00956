"""Tests for layer_grad_norms and dead_unit_fraction (jaxnn/_diagnostics.py)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxnn

MODES = ["eager", "jit"]


def _maybe_jit(fn, mode, **kwargs):
    return jax.jit(fn, **kwargs) if mode == "jit" else fn


def _two_layer():
    w1 = jnp.array([[0.5, -1.0, 0.25], [1.5, 0.5, -0.75]])
    b1 = jnp.array([0.1, -0.2, 0.3])
    w2 = jnp.array([[1.0], [-2.0], [0.5]])
    b2 = jnp.array([0.05])
    return (jaxnn.Dense(w1, b1), jaxnn.Dense(w2, b2))


def _sq_loss(params, x, y):
    return 0.5 * jnp.sum((jaxnn.mlp(params, x, activation=jax.nn.sigmoid) - y) ** 2)


def _numpy_backprop_norms(params, x, y):
    """Hand-written float64 backpropagation for sigmoid hidden, identity output."""
    (w1, b1), (w2, b2) = [
        (np.asarray(a, np.float64) for a in layer) for layer in params
    ]
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    a1 = 1.0 / (1.0 + np.exp(-(x @ w1 + b1)))
    out = a1 @ w2 + b2
    d_out = out - y
    g_w2, g_b2 = a1.T @ d_out, d_out.sum(axis=0)
    d_z1 = (d_out @ w2.T) * a1 * (1.0 - a1)
    g_w1, g_b1 = x.T @ d_z1, d_z1.sum(axis=0)
    return np.array(
        [
            np.sqrt(np.sum(g_w1**2) + np.sum(g_b1**2)),
            np.sqrt(np.sum(g_w2**2) + np.sum(g_b2**2)),
        ]
    )


@pytest.mark.parametrize("mode", MODES)
def test_layer_grad_norms_match_hand_backprop(mode):
    params = _two_layer()
    x = jnp.array([[1.0, 2.0], [-1.0, 0.5], [0.3, -0.7], [2.0, 1.0]])
    y = jnp.array([[1.0], [0.0], [0.5], [-1.0]])
    f = _maybe_jit(lambda p, x, y: jaxnn.layer_grad_norms(_sq_loss, p, x, y), mode)
    norms = f(params, x, y)
    assert norms.shape == (2,)
    np.testing.assert_allclose(norms, _numpy_backprop_norms(params, x, y), rtol=1e-5)


def test_layer_grad_norms_closed_form():
    # One linear layer, loss = sum of outputs: dL/dW[i, j] = sum_n x[n, i] and
    # dL/db[j] = n, so the norm is sqrt(out * sum_i (sum_n x[n, i])^2 + out * n^2).
    params = (jaxnn.Dense(jnp.ones((3, 2)), jnp.zeros(2)),)
    x = jnp.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    norms = jaxnn.layer_grad_norms(lambda p, x: jnp.sum(jaxnn.mlp(p, x)), params, x)
    expected = np.sqrt(2 * (5.0**2 + 7.0**2 + 9.0**2) + 2 * 2.0**2)
    np.testing.assert_allclose(norms, [expected], rtol=1e-6)


def test_vanishing_gradient_sigmoid_against_relu(key):
    # The book's warning: through many sigmoid layers the gradient shrinks by a
    # factor sigma' <= 1/4 per layer; ReLU with He initialisation keeps it.
    depth, width = 6, 16
    sizes = [width] * depth + [1]
    x = jnp.sin(jnp.arange(32.0 * width) * 1.7).reshape(32, width)

    def loss(activation):
        return lambda p, x: jnp.mean(jaxnn.mlp(p, x, activation=activation) ** 2)

    sig = jaxnn.init_mlp(key, sizes, activation=jaxnn.sigmoid)
    rel = jaxnn.init_mlp(key, sizes, activation=jaxnn.relu)
    sig_norms = jaxnn.layer_grad_norms(loss(jaxnn.sigmoid), sig, x)
    rel_norms = jaxnn.layer_grad_norms(loss(jaxnn.relu), rel, x)
    assert sig_norms.shape == rel_norms.shape == (depth,)
    assert sig_norms[0] / sig_norms[-1] < 1e-3
    assert rel_norms[0] / rel_norms[-1] > 1e-1


def test_layer_grad_norms_bad_input():
    with pytest.raises(TypeError, match="loss_fn: expected a callable"):
        jaxnn.layer_grad_norms(None, _two_layer())
    with pytest.raises(ValueError, match="params: expected at least one layer"):
        jaxnn.layer_grad_norms(lambda p: 0.0, ())
    with pytest.raises(TypeError, match="params: expected a sequence of layers"):
        jaxnn.layer_grad_norms(lambda p: 0.0, _two_layer()[0])


def _numpy_dead_fraction(params, x):
    h = np.asarray(x, np.float64)
    fractions = []
    for layer in params[:-1]:
        z = h @ np.asarray(layer.weight, np.float64) + np.asarray(layer.bias)
        fractions.append(np.mean(np.all(z <= 0, axis=tuple(range(z.ndim - 1)))))
        h = np.maximum(z, 0.0)
    return np.array(fractions)


@pytest.mark.parametrize("mode", MODES)
def test_dead_unit_fraction_constructed(mode):
    # Units 1 and 3 of layer 0 have negative weights and biases: on positive
    # inputs they are dead. Layer 1 then sees zeros from them.
    w1 = jnp.array([[1.0, -1.0, 0.5, -2.0], [0.5, -0.5, 1.0, -1.0]])
    b1 = jnp.array([0.0, -0.1, 0.1, -1.0])
    w2 = jnp.array([[1.0, -1.0], [1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    params = (
        jaxnn.Dense(w1, b1),
        jaxnn.Dense(w2, jnp.array([0.0, -0.5])),
        jaxnn.Dense(jnp.ones((2, 1)), jnp.zeros(1)),
    )
    x = jnp.array([[1.0, 2.0], [0.5, 0.1], [3.0, 1.0]])
    f = _maybe_jit(jaxnn.dead_unit_fraction, mode)
    fractions = f(params, x)
    np.testing.assert_allclose(fractions, [0.5, 0.5])
    np.testing.assert_allclose(fractions, _numpy_dead_fraction(params, x))
    # Leaky ReLU has a nonzero slope everywhere: no dead units.
    np.testing.assert_allclose(
        jaxnn.dead_unit_fraction(params, x, activation=jax.nn.leaky_relu), [0.0, 0.0]
    )


def test_dead_unit_fraction_random_network_matches_numpy(key):
    params = jaxnn.init_mlp(key, [5, 40, 40, 1])
    # A large negative bias kills most units: a deliberate dying-ReLU network.
    dying = [jaxnn.Dense(layer.weight, layer.bias - 1.5) for layer in params[:-1]]
    params = (*dying, params[-1])
    x = jnp.sin(jnp.arange(160.0) * 1.7).reshape(2, 16, 5)
    fractions = jaxnn.dead_unit_fraction(params, x)
    expected = _numpy_dead_fraction(params, x)
    assert 0.0 < expected[0] < 1.0
    np.testing.assert_allclose(fractions, expected)


def test_dead_unit_fraction_edge_cases():
    one_layer = (jaxnn.Dense(jnp.ones((2, 3)), jnp.zeros(3)),)
    assert jaxnn.dead_unit_fraction(one_layer, jnp.ones(2)).shape == (0,)
    two = (jaxnn.Dense(jnp.ones((2, 3)), jnp.zeros(3)),) * 1 + (
        jaxnn.Dense(jnp.ones((3, 1)), jnp.zeros(1)),
    )
    # A single example is a batch of one; positive inputs keep every unit alive.
    np.testing.assert_allclose(jaxnn.dead_unit_fraction(two, jnp.ones(2)), [0.0])
    with pytest.raises(ValueError, match="layer 0 expects 2 input features"):
        jaxnn.dead_unit_fraction(two, jnp.ones((4, 3)))
    with pytest.raises(TypeError, match="activation: expected a callable"):
        jaxnn.dead_unit_fraction(two, jnp.ones(2), activation=1.0)


@pytest.mark.parametrize("shape", [(0, 2), (5, 0, 2)], ids=str)
def test_dead_unit_fraction_of_an_empty_batch_is_an_error(shape):
    # No example says nothing about dead units; "all of nothing is zero" would
    # report every unit dead.
    two = (
        jaxnn.Dense(jnp.ones((2, 3)), jnp.zeros(3)),
        jaxnn.Dense(jnp.ones((3, 1)), jnp.zeros(1)),
    )
    with pytest.raises(ValueError, match=r"x: expected at least one example"):
        jaxnn.dead_unit_fraction(two, jnp.ones(shape))
