"""Tests for jaxnn.initializers and the default initialiser per activation."""

import functools
import inspect
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

import jaxnn
from jaxnn import initializers as init

FAN_IN, FAN_OUT = 400, 250  # 100,000 draws: sample variance within about 1%
TRUNC_STD = 0.87962566103423978  # std of N(0, 1) truncated to (-2, 2)
RANDOM = [
    "variance_scaling",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_normal",
    "lecun_uniform",
    "xavier_normal",
    "xavier_uniform",
    "normal",
    "truncated_normal",
    "uniform",
    "orthogonal",
    "delta_orthogonal",
]


def _public(module):
    return sorted(n for n in dir(module) if not n.startswith("_"))


def _factories(name):
    """(jaxnn's, jax.nn's) initialiser for ``name``, built with the same arguments."""
    args = (
        ((2.0, "fan_avg", "truncated_normal"), {})
        if name == "variance_scaling"
        else ((), {})
    )
    return (
        getattr(init, name)(*args[0], **args[1]),
        getattr(jax.nn.initializers, name)(*args[0], **args[1]),
    )


def _shape_for(name):
    return (3, 4, 5) if name == "delta_orthogonal" else (7, 5)


def test_every_jax_nn_initializer_resolves_with_its_signature():
    assert _public(init) == _public(jax.nn.initializers)
    assert set(init.__all__) == set(_public(jax.nn.initializers))
    for name in _public(jax.nn.initializers):
        ours, theirs = getattr(init, name), getattr(jax.nn.initializers, name)
        if name == "Initializer":
            assert ours is theirs
            continue
        ps, qs = (
            inspect.signature(ours).parameters,
            inspect.signature(theirs).parameters,
        )
        assert [(p.name, p.kind, p.default) for p in ps.values()] == [
            (q.name, q.kind, q.default) for q in qs.values()
        ], name


def test_aliases_are_plain_aliases():
    assert init.kaiming_normal is init.he_normal
    assert init.kaiming_uniform is init.he_uniform
    assert init.xavier_normal is init.glorot_normal
    assert init.xavier_uniform is init.glorot_uniform


@pytest.mark.parametrize("name", RANDOM)
@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_same_bits_as_jax_nn_in_float32(key, name, mode):
    ours, theirs = _factories(name)
    shape = _shape_for(name)
    if mode == "jit":
        ours, theirs = (jax.jit(f, static_argnums=(1, 2)) for f in (ours, theirs))
    a = ours(key, shape, jnp.float32)
    b = theirs(key, shape, jnp.float32)
    assert a.dtype == b.dtype == jnp.float32
    np.testing.assert_array_equal(
        np.asarray(a).view(np.uint32), np.asarray(b).view(np.uint32)
    )


@pytest.mark.parametrize(
    "kwargs, shape",
    [
        ({}, (3, 3, 16, 32)),  # a conv kernel: receptive field 3 x 3
        ({"in_axis": 0, "out_axis": 1}, (16, 32, 3)),
        ({"in_axis": (0, 1), "out_axis": -1}, (4, 5, 6)),
        ({"batch_axis": 0}, (8, 16, 32)),
        ({"in_axis": -1, "out_axis": -2}, (32, 16)),
    ],
    ids=["conv", "axes", "axis-tuple", "batch-axis", "transposed"],
)
@pytest.mark.parametrize("name", ["he_normal", "glorot_uniform", "lecun_normal"])
def test_any_rank_and_axes_match_jax_nn(key, name, kwargs, shape):
    a = getattr(init, name)(**kwargs)(key, shape)
    b = getattr(jax.nn.initializers, name)(**kwargs)(key, shape)
    np.testing.assert_array_equal(a, b)


def test_same_bits_as_jax_nn_in_float64_and_complex(key):
    with jax.enable_x64(True):
        for name in ("he_normal", "glorot_uniform", "normal", "orthogonal"):
            ours, theirs = _factories(name)
            a, b = ours(key, (6, 4), jnp.float64), theirs(key, (6, 4), jnp.float64)
            assert a.dtype == jnp.float64
            np.testing.assert_array_equal(a, b)
    for name in ("he_normal", "glorot_uniform", "normal"):
        ours, theirs = _factories(name)
        a, b = ours(key, (6, 4), jnp.complex64), theirs(key, (6, 4), jnp.complex64)
        assert a.dtype == jnp.complex64
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16], ids=["bf16", "f16"])
@pytest.mark.parametrize("name", RANDOM)
def test_half_precision_is_jax_nn_float32_draw_rounded_once(key, name, dtype):
    # The reference is jax.nn's own float32 draw, rounded to the narrow type.
    ours, theirs = _factories(name)
    shape = _shape_for(name)
    a = ours(key, shape, dtype)
    assert a.dtype == dtype
    b = theirs(key, shape, jnp.float32).astype(dtype)
    np.testing.assert_array_equal(
        np.asarray(a).view(np.uint16), np.asarray(b).view(np.uint16)
    )


@pytest.mark.parametrize("name", ["he_normal", "he_uniform"])
def test_bfloat16_draws_follow_the_distribution(key, name):
    # 200,000 bfloat16 weights against the exact distribution (scipy): drawn in
    # bfloat16 directly (as jax.nn does) they take 128 distinct values and are
    # about 0.011 off in Kolmogorov-Smirnov distance; drawn in float32 and
    # rounded once, 0.0015 (measured on 10^6 draws).
    n_in = 500
    w = np.asarray(getattr(init, name)()(key, (n_in, 400), jnp.bfloat16), np.float64)
    if name == "he_normal":
        sd = math.sqrt(2 / n_in) / TRUNC_STD
        dist = scipy.stats.truncnorm(-2, 2, scale=sd)
    else:
        a = math.sqrt(6 / n_in)
        dist = scipy.stats.uniform(-a, 2 * a)
    assert scipy.stats.kstest(w.ravel(), dist.cdf).statistic < 0.006
    assert len(np.unique(w)) > 1000


@pytest.mark.parametrize(
    "dtype", [jnp.bfloat16, jnp.float16, jnp.float32, jnp.float64], ids=str
)
def test_strict_dtype_promotion(key, dtype):
    with jax.numpy_dtype_promotion("strict"), jax.enable_x64(dtype == jnp.float64):
        for name in RANDOM:
            ours, _ = _factories(name)
            assert ours(key, _shape_for(name), dtype).dtype == dtype, name
        for layer in jaxnn.init_mlp(key, [3, 4, 2], dtype=dtype):
            assert layer.weight.dtype == layer.bias.dtype == dtype
        for activation in (jaxnn.relu, jaxnn.sigmoid, jax.nn.selu):
            params = jaxnn.init_mlp(key, [3, 2], activation=activation, dtype=dtype)
            assert params[0].weight.dtype == dtype


# (factory, variance as a function of fan_in and fan_out, distribution): the
# published formulas (He et al. 2015; Glorot and Bengio 2010; LeCun et al.
# 1998), not read from the implementation.
CASES = [
    (init.he_normal, lambda i, o: 2.0 / i, "normal"),
    (init.he_uniform, lambda i, o: 2.0 / i, "uniform"),
    (init.glorot_normal, lambda i, o: 2.0 / (i + o), "normal"),
    (init.glorot_uniform, lambda i, o: 2.0 / (i + o), "uniform"),
    (init.lecun_normal, lambda i, o: 1.0 / i, "normal"),
    (init.lecun_uniform, lambda i, o: 1.0 / i, "uniform"),
]


@pytest.mark.parametrize(
    "factory, variance, distribution", CASES, ids=[c[0].__name__ for c in CASES]
)
def test_moments_and_support(key, factory, variance, distribution):
    w = np.asarray(factory()(key, (FAN_IN, FAN_OUT)), np.float64)
    var = variance(FAN_IN, FAN_OUT)
    assert abs(w.mean()) < 4 * math.sqrt(var / w.size)
    np.testing.assert_allclose(w.var(), var, rtol=0.02)
    kurtosis = np.mean((w - w.mean()) ** 4) / w.var() ** 2
    if distribution == "normal":
        # A normal truncated at two standard deviations (scipy's kurtosis).
        limit = 2 * math.sqrt(var) / TRUNC_STD
        expected = 3 + scipy.stats.truncnorm.stats(-2, 2, moments="k")
    else:
        # U(-a, a) has variance a^2 / 3 and kurtosis 9/5.
        limit, expected = math.sqrt(3.0 * var), 1.8
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.99 * limit
    assert abs(kurtosis - expected) < 0.05


def test_conv_kernel_fans(key):
    # A 3 x 3 kernel from 16 to 32 channels: fan_in = 3 * 3 * 16.
    w = np.asarray(init.he_uniform()(key, (3, 3, 16, 32)), np.float64)
    np.testing.assert_allclose(w.var(), 2.0 / (3 * 3 * 16), rtol=0.03)


def test_glorot_variance_in_the_module_docs():
    # The docs state Glorot's variance as 2 / (n_in + n_out), as drawn.
    from jaxnn import _initializers

    doc = _initializers.__doc__
    assert r"2 / (n_\mathrm{in} + n_\mathrm{out})" in doc
    assert "4 / (" not in doc and r"\frac{4}" not in doc


def test_deterministic_in_key_and_under_vmap(key):
    f = init.glorot_uniform()
    a = f(key, (3, 2))
    np.testing.assert_array_equal(a, f(key, (3, 2)))
    assert not np.allclose(a, f(jax.random.key(1), (3, 2)))
    keys = jax.random.split(key, 3)
    w = jax.jit(jax.vmap(lambda k: f(k, (4, 2))))(keys)
    assert w.shape == (3, 4, 2)
    np.testing.assert_array_equal(w[1], f(keys[1], (4, 2)))


def test_factory_dtype_is_the_default(key):
    f = init.he_normal(dtype=jnp.bfloat16)
    assert f(key, (3, 2)).dtype == jnp.bfloat16
    assert f(key, (3, 2), jnp.float32).dtype == jnp.float32
    assert init.normal(0.5, jnp.float16)(key, (2,)).dtype == jnp.float16


def test_numpy_integers_in_shapes_and_axes(key):
    a = init.he_normal(in_axis=np.int64(0), out_axis=np.int64(1))(
        key, (np.int64(5), np.int64(3))
    )
    np.testing.assert_array_equal(a, init.he_normal()(key, (5, 3)))
    b = init.normal()(key, np.array([2, 3]))
    assert b.shape == (2, 3)


def test_equal_initializers_compare_equal():
    assert init.he_normal() == init.he_normal() == init.kaiming_normal()
    assert hash(init.he_normal()) == hash(init.he_normal())
    assert init.he_normal() != init.he_uniform()
    assert init.he_normal(in_axis=[0]) == init.he_normal(in_axis=(0,))
    assert init.normal(0.1) != init.normal(0.2)
    assert (
        repr(init.he_uniform()) == "he_uniform(in_axis=-2, out_axis=-1, batch_axis=())"
    )


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda k: init.he_normal()(k, (3,)), ValueError, r"at least 2 dimensions"),
        (lambda k: init.he_normal()(k, (0, 3)), ValueError, "fans .* are zero"),
        (lambda k: init.he_normal()(k, (3, -1)), ValueError, "shape: expected a tuple"),
        (
            lambda k: init.he_normal()(k, (2.0, 3)),
            ValueError,
            "shape: expected a tuple",
        ),
        (lambda k: init.he_normal(in_axis=2)(k, (3, 4)), ValueError, "in_axis: axis 2"),
        (lambda k: init.he_normal(batch_axis=5)(k, (3, 4)), ValueError, "batch_axis"),
        (
            lambda k: init.he_normal()(k, (3, 4), jnp.int32),
            ValueError,
            "dtype: .* int32",
        ),
        (
            lambda k: init.he_normal(dtype="no_such"),
            TypeError,
            "dtype: expected a dtype",
        ),
        (lambda k: init.he_normal()(0, (3, 4)), TypeError, "key: expected a PRNG key"),
        (lambda k: init.he_normal(in_axis=1.5), TypeError, "in_axis: expected an int"),
        (lambda k: init.he_normal(in_axis="0"), TypeError, "in_axis: expected an int"),
        (
            lambda k: init.variance_scaling(-1.0, "fan_in", "normal"),
            ValueError,
            "scale",
        ),
        (lambda k: init.variance_scaling(1.0, "fan", "normal"), ValueError, "mode"),
        (
            lambda k: init.variance_scaling(1.0, "fan_in", "cauchy"),
            ValueError,
            "distrib",
        ),
        (lambda k: init.normal(float("nan")), ValueError, "stddev: expected a finite"),
        (lambda k: init.normal(-1.0), ValueError, "stddev: expected a number >= 0"),
        (lambda k: init.normal(jnp.ones(2)), TypeError, "stddev: expected a scalar"),
        (lambda k: init.truncated_normal(1.0, None, 2.0, -2.0), ValueError, "lower <"),
        (lambda k: init.uniform(1.0, jnp.complex64), ValueError, "floating dtype"),
        (lambda k: init.orthogonal()(k, (4,)), ValueError, "at least 2 dimensions"),
        (
            lambda k: init.orthogonal(column_axis=3)(k, (4, 4)),
            ValueError,
            "column_axis",
        ),
        (
            lambda k: init.delta_orthogonal()(k, (3, 4, 2)),
            ValueError,
            "fan_out >= fan_in",
        ),
        (lambda k: init.delta_orthogonal()(k, (4, 4)), ValueError, "3-, 4- or 5-dim"),
    ],
    ids=lambda v: None if callable(v) or isinstance(v, type) else v,
)
def test_errors_name_the_argument(key, call, error, match):
    with pytest.raises(error, match=match):
        call(key)


def test_traced_hyperparameter_is_a_clear_error():
    with pytest.raises(TypeError, match="stddev: expected a concrete number"):
        jax.jit(lambda s: init.normal(s)(jax.random.key(0), (2,)))(1.0)


def test_draw_nothing_initializers_are_jax_nn_own():
    assert init.zeros is jax.nn.initializers.zeros
    assert init.ones is jax.nn.initializers.ones
    assert init.constant is jax.nn.initializers.constant


def test_top_level_has_no_initializer_functions():
    # One convention: initialisers are factories, under jaxnn.initializers
    # (as in jax.nn); the top level keeps only default_initializer.
    for name in ("he_normal", "he_uniform", "glorot_normal", "glorot_uniform"):
        assert not hasattr(jaxnn, name)
        assert name not in jaxnn.__all__
    assert jaxnn.initializers is init


@pytest.mark.parametrize(
    "activation, expected",
    [
        (jaxnn.relu, "he_normal"),
        (jax.nn.relu, "he_normal"),
        (jax.nn.leaky_relu, "he_normal"),
        (functools.partial(jax.nn.leaky_relu, negative_slope=0.2), "he_normal"),
        (jax.nn.gelu, "he_normal"),
        (jax.nn.elu, "he_normal"),
        (jax.nn.silu, "he_normal"),
        (jax.nn.hard_silu, "he_normal"),
        (jaxnn.sigmoid, "glorot_normal"),
        (jax.nn.sigmoid, "glorot_normal"),
        (jnp.tanh, "glorot_normal"),
        (jaxnn.identity, "glorot_normal"),
        (jax.nn.selu, "lecun_normal"),
        (lambda x: 2 * x, "glorot_normal"),
    ],
    ids=lambda v: v if isinstance(v, str) else getattr(v, "__name__", "partial"),
)
def test_default_initializer(activation, expected):
    assert jaxnn.default_initializer(activation) == getattr(init, expected)()


@pytest.mark.parametrize(
    "name, expected",
    [
        ("leaky_relu", "he_normal"),
        ("elu", "he_normal"),
        ("gelu", "he_normal"),
        ("silu", "he_normal"),
        ("mish", "he_normal"),
        ("softplus", "he_normal"),
        ("relu6", "he_normal"),
        ("celu", "he_normal"),
        ("swish", "he_normal"),
        ("tanh", "glorot_normal"),
        ("hard_sigmoid", "glorot_normal"),
        ("softsign", "glorot_normal"),
        ("hard_tanh", "glorot_normal"),
        ("log_sigmoid", "glorot_normal"),
        ("selu", "lecun_normal"),
    ],
)
def test_default_initializer_for_jaxnn_activations(name, expected):
    activation = getattr(jaxnn, name, None)
    if activation is None:
        pytest.skip(f"jaxnn.{name} does not exist yet")
    assert jaxnn.default_initializer(activation) == getattr(init, expected)()


def test_default_initializer_rejects_non_callable():
    with pytest.raises(TypeError, match="activation: expected a callable"):
        jaxnn.default_initializer("relu")


@pytest.mark.parametrize("name", ["he_normal", "glorot_uniform", "orthogonal"])
def test_init_mlp_draws_what_the_jax_nn_initializer_draws(key, name):
    # Layer i draws init(keys[i], (sizes[i], sizes[i + 1])) with split keys, so
    # a jax.nn initialiser and its jaxnn namesake give the same weights.
    sizes = [5, 7, 3]
    ours = jaxnn.init_mlp(key, sizes, initializer=getattr(init, name)())
    theirs = jaxnn.init_mlp(
        key, sizes, initializer=getattr(jax.nn.initializers, name)()
    )
    keys = jax.random.split(key, 2)
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        expected = getattr(jax.nn.initializers, name)()(
            keys[i], (sizes[i], sizes[i + 1])
        )
        np.testing.assert_array_equal(a.weight, expected)
        np.testing.assert_array_equal(b.weight, expected)


def test_init_mlp_follows_activation(key):
    # One 400x250 layer: the spread of its weights tells the initialiser apart.
    sizes = [FAN_IN, FAN_OUT]
    relu_w = jaxnn.init_mlp(key, sizes, activation=jaxnn.relu)[0].weight
    sig_w = jaxnn.init_mlp(key, sizes, activation=jaxnn.sigmoid)[0].weight
    selu_w = jaxnn.init_mlp(key, sizes, activation=jax.nn.selu)[0].weight
    np.testing.assert_allclose(np.var(relu_w), 2.0 / FAN_IN, rtol=0.02)
    np.testing.assert_allclose(np.var(sig_w), 2.0 / (FAN_IN + FAN_OUT), rtol=0.02)
    np.testing.assert_allclose(np.var(selu_w), 1.0 / FAN_IN, rtol=0.02)
    uni = jaxnn.init_mlp(key, sizes, initializer=init.he_uniform())[0].weight
    assert np.abs(uni).max() <= math.sqrt(6.0 / FAN_IN)
    np.testing.assert_allclose(np.var(uni), 2.0 / FAN_IN, rtol=0.02)


def test_init_mlp_compiles_once_for_equal_initializers(key):
    from jaxnn import _network

    sizes = (6, 5, 4)
    jaxnn.init_mlp(key, sizes, initializer=init.lecun_uniform())
    before = _network._init_mlp._cache_size()
    jaxnn.init_mlp(key, sizes, initializer=init.lecun_uniform())
    jaxnn.init_mlp(jax.random.key(1), sizes, initializer=init.lecun_uniform())
    assert _network._init_mlp._cache_size() == before
