"""Tests for the weight initialisers and the default per activation."""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxnn

FAN_IN, FAN_OUT = 400, 250  # 100,000 draws: sample variance within about 1%

# (initialiser, variance as a function of fan_in and fan_out, distribution):
# the variances are the published formulas (He et al. 2015; Glorot and Bengio
# 2010; LeCun et al. 1998), not read from the implementation.
CASES = [
    (jaxnn.he_normal, lambda i, o: 2.0 / i, "normal"),
    (jaxnn.he_uniform, lambda i, o: 2.0 / i, "uniform"),
    (jaxnn.glorot_normal, lambda i, o: 2.0 / (i + o), "normal"),
    (jaxnn.glorot_uniform, lambda i, o: 2.0 / (i + o), "uniform"),
    (jaxnn.lecun_normal, lambda i, o: 1.0 / i, "normal"),
    (jaxnn.lecun_uniform, lambda i, o: 1.0 / i, "uniform"),
]
IDS = [c[0].__name__ for c in CASES]


@pytest.mark.parametrize("init, variance, distribution", CASES, ids=IDS)
def test_moments_and_support(key, init, variance, distribution):
    w = np.asarray(init(key, (FAN_IN, FAN_OUT)), np.float64)
    assert w.shape == (FAN_IN, FAN_OUT)
    var = variance(FAN_IN, FAN_OUT)
    assert abs(w.mean()) < 4 * math.sqrt(var / w.size)
    np.testing.assert_allclose(w.var(), var, rtol=0.02)
    kurtosis = np.mean((w - w.mean()) ** 4) / w.var() ** 2
    if distribution == "normal":
        assert abs(kurtosis - 3.0) < 0.1
    else:
        # U(-a, a) has variance a^2 / 3 and kurtosis 9/5.
        limit = math.sqrt(3.0 * var)
        assert np.abs(w).max() <= limit
        assert np.abs(w).max() > 0.99 * limit
        assert abs(kurtosis - 1.8) < 0.05


@pytest.mark.parametrize(
    "init, dtype",
    [(c[0], jnp.bfloat16) for c in CASES]
    + [(jaxnn.he_normal, jnp.float16), (jaxnn.he_uniform, jnp.float32)],
    ids=[f"{name}-bfloat16" for name in IDS]
    + ["he_normal-float16", "he_uniform-float32"],
)
def test_dtype_kept(key, init, dtype):
    w = init(key, (3, 2), dtype)
    assert w.dtype == dtype and w.shape == (3, 2)


def test_deterministic_in_key(key):
    a = jaxnn.he_normal(key, (3, 2))
    np.testing.assert_array_equal(a, jaxnn.he_normal(key, (3, 2)))
    assert not np.allclose(a, jaxnn.he_normal(jax.random.key(1), (3, 2)))


def test_works_under_jit_and_vmap(key):
    keys = jax.random.split(key, 3)
    w = jax.jit(jax.vmap(lambda k: jaxnn.glorot_uniform(k, (4, 2))))(keys)
    assert w.shape == (3, 4, 2)
    np.testing.assert_array_equal(w[1], jaxnn.glorot_uniform(keys[1], (4, 2)))


@pytest.mark.parametrize("shape", [(3,), (2, 3, 4), (0, 3), (3, -1), (2.0, 3)], ids=str)
def test_bad_shape(key, shape):
    with pytest.raises(ValueError, match="shape: expected a weight shape"):
        jaxnn.he_normal(key, shape)


def test_bad_dtype(key):
    with pytest.raises(ValueError, match="dtype: expected a floating dtype, got int32"):
        jaxnn.lecun_normal(key, (2, 2), jnp.int32)


@pytest.mark.parametrize(
    "activation, expected",
    [
        (jaxnn.relu, jaxnn.he_normal),
        (jax.nn.relu, jaxnn.he_normal),
        (jax.nn.leaky_relu, jaxnn.he_normal),
        (functools.partial(jax.nn.leaky_relu, negative_slope=0.2), jaxnn.he_normal),
        (jax.nn.gelu, jaxnn.he_normal),
        (jax.nn.elu, jaxnn.he_normal),
        (jax.nn.silu, jaxnn.he_normal),
        (jaxnn.sigmoid, jaxnn.glorot_normal),
        (jax.nn.sigmoid, jaxnn.glorot_normal),
        (jnp.tanh, jaxnn.glorot_normal),
        (jaxnn.identity, jaxnn.glorot_normal),
        (jax.nn.selu, jaxnn.lecun_normal),
        (lambda x: 2 * x, jaxnn.glorot_normal),
    ],
    ids=lambda v: getattr(v, "__name__", None) or getattr(v, "func", v).__name__,
)
def test_default_initializer(activation, expected):
    assert jaxnn.default_initializer(activation) is expected


@pytest.mark.parametrize(
    "name, expected",
    [
        ("leaky_relu", jaxnn.he_normal),
        ("elu", jaxnn.he_normal),
        ("gelu", jaxnn.he_normal),
        ("silu", jaxnn.he_normal),
        ("mish", jaxnn.he_normal),
        ("softplus", jaxnn.he_normal),
        ("tanh", jaxnn.glorot_normal),
        ("hard_sigmoid", jaxnn.glorot_normal),
        ("selu", jaxnn.lecun_normal),
        ("relu6", jaxnn.he_normal),
        ("celu", jaxnn.he_normal),
        ("swish", jaxnn.he_normal),
        ("softsign", jaxnn.glorot_normal),
        ("hard_tanh", jaxnn.glorot_normal),
        ("log_sigmoid", jaxnn.glorot_normal),
    ],
)
def test_default_initializer_for_jaxnn_activations(name, expected):
    activation = getattr(jaxnn, name, None)
    if activation is None:
        pytest.skip(f"jaxnn.{name} does not exist yet")
    assert jaxnn.default_initializer(activation) is expected


def test_default_initializer_rejects_non_callable():
    with pytest.raises(TypeError, match="activation: expected a callable"):
        jaxnn.default_initializer("relu")


def test_init_mlp_follows_activation(key):
    # One 400x250 layer: the spread of its weights tells the initialiser apart.
    sizes = [FAN_IN, FAN_OUT]
    relu_w = jaxnn.init_mlp(key, sizes, activation=jaxnn.relu)[0].weight
    sig_w = jaxnn.init_mlp(key, sizes, activation=jaxnn.sigmoid)[0].weight
    selu_w = jaxnn.init_mlp(key, sizes, activation=jax.nn.selu)[0].weight
    np.testing.assert_allclose(np.var(relu_w), 2.0 / FAN_IN, rtol=0.02)
    np.testing.assert_allclose(np.var(sig_w), 2.0 / (FAN_IN + FAN_OUT), rtol=0.02)
    np.testing.assert_allclose(np.var(selu_w), 1.0 / FAN_IN, rtol=0.02)
    uni = jaxnn.init_mlp(key, sizes, initializer=jaxnn.he_uniform)[0].weight
    assert np.abs(uni).max() <= math.sqrt(6.0 / FAN_IN)
    np.testing.assert_allclose(np.var(uni), 2.0 / FAN_IN, rtol=0.02)


def test_init_mlp_scales_every_layer(key):
    # With the one-draw path, each layer still gets its own fan-in scaling.
    params = jaxnn.init_mlp(key, [200, 400, 100], initializer=jaxnn.he_normal)
    np.testing.assert_allclose(np.var(params[0].weight), 2.0 / 200, rtol=0.03)
    np.testing.assert_allclose(np.var(params[1].weight), 2.0 / 400, rtol=0.03)
    corr = np.corrcoef(
        np.ravel(params[0].weight)[:10000], np.ravel(params[1].weight)[:10000]
    )[0, 1]
    assert abs(corr) < 0.05
