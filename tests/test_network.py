"""Tests for Dense, init_mlp, mlp and collapse (jaxnn/_network.py)."""

import functools
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import jaxnn
from jaxnn import _network

MODES = ["eager", "jit"]
SIZES = [3, 4, 2]  # one shape for most tests: init_mlp compiles once per shape


@pytest.fixture(scope="module")
def params():
    return jaxnn.init_mlp(jax.random.key(42), SIZES)


def _maybe_jit(fn, mode):
    return jax.jit(fn) if mode == "jit" else fn


def _book_toy_network():
    """The three-layer network of the book's section 3.4.3 (init_network)."""
    return (
        jaxnn.Dense(
            jnp.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]), jnp.array([0.1, 0.2, 0.3])
        ),
        jaxnn.Dense(
            jnp.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]), jnp.array([0.1, 0.2])
        ),
        jaxnn.Dense(jnp.array([[0.1, 0.3], [0.2, 0.4]]), jnp.array([0.1, 0.2])),
    )


def _numpy_forward(params, x, activation, output=lambda z: z):
    """An independent float64 NumPy forward pass."""
    h = np.asarray(x, np.float64)
    for i, layer in enumerate(params):
        z = h @ np.asarray(layer.weight, np.float64) + np.asarray(
            layer.bias, np.float64
        )
        h = activation(z) if i < len(params) - 1 else output(z)
    return h


def _np_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@pytest.mark.parametrize("mode", MODES)
def test_book_toy_network(mode):
    # The book prints [0.31682708 0.69627909] for x = [1.0, 0.5].
    params = _book_toy_network()
    f = _maybe_jit(lambda p, x: jaxnn.mlp(p, x, activation=jaxnn.sigmoid), mode)
    y = f(params, jnp.array([1.0, 0.5]))
    assert y.shape == (2,) and y.dtype == jnp.float32
    np.testing.assert_allclose(y, [0.31682708, 0.69627909], rtol=1e-6)


@pytest.mark.parametrize(
    "activation, reference, mode",
    [
        (jax.nn.relu, lambda z: np.maximum(z, 0.0), "eager"),
        (jax.nn.sigmoid, _np_sigmoid, "jit"),
        (jnp.tanh, np.tanh, "jit"),
    ],
    ids=["relu-eager", "sigmoid-jit", "tanh-jit"],
)
def test_mlp_matches_numpy(params, mode, activation, reference):
    # Non-zero biases so that the bias path is exercised.
    params = tuple(
        jaxnn.Dense(layer.weight, 0.1 * jnp.arange(layer.bias.shape[0], dtype=float))
        for layer in params
    )
    x = jnp.linspace(-2.0, 2.0, 33).reshape(11, 3)
    f = _maybe_jit(functools.partial(jaxnn.mlp, activation=activation), mode)
    np.testing.assert_allclose(
        f(params, x), _numpy_forward(params, x, reference), rtol=2e-5, atol=2e-6
    )


@pytest.mark.parametrize("mode", MODES)
def test_softmax_output(params, mode):
    x = jnp.linspace(-2.0, 2.0, 18).reshape(6, 3)

    def np_softmax(z):
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    f = _maybe_jit(lambda p, x: jaxnn.mlp(p, x, output=jaxnn.softmax), mode)
    y = f(params, x)
    ref = _numpy_forward(params, x, lambda z: np.maximum(z, 0), np_softmax)
    np.testing.assert_allclose(y, ref, rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(jnp.sum(y, axis=-1), np.ones(6), rtol=1e-6)
    assert y.shape == (6, 2)


@pytest.mark.parametrize("mode", MODES)
def test_mlp_input_ranks_agree(params, mode):
    x = jnp.linspace(-2.0, 2.0, 24).reshape(2, 4, 3)
    f = _maybe_jit(jaxnn.mlp, mode)
    batched = f(params, x)
    assert batched.shape == (2, 4, 2)
    np.testing.assert_allclose(f(params, x.reshape(8, 3)).reshape(2, 4, 2), batched)
    np.testing.assert_allclose(f(params, x[1, 2]), batched[1, 2], rtol=1e-6)


def test_dense_call():
    layer = jaxnn.Dense(jnp.array([[1.0, 2.0], [3.0, 4.0]]), jnp.array([0.5, -0.5]))
    np.testing.assert_allclose(layer(jnp.array([1.0, 1.0])), [4.5, 5.5])
    assert len(jax.tree.leaves(layer)) == 2
    with pytest.raises(ValueError, match="layer 0 expects 2 input features"):
        layer(jnp.ones(3))


@pytest.mark.parametrize(
    "sizes, dtype",
    [([784, 50, 100, 10], jnp.float32), ([3, 2], jnp.bfloat16), ([3, 2], jnp.float16)],
    ids=["float32", "bfloat16", "float16"],
)
def test_init_shapes_and_dtypes(key, sizes, dtype):
    params = jaxnn.init_mlp(key, sizes, dtype=dtype)
    assert isinstance(params, tuple) and len(params) == len(sizes) - 1
    for layer, n_in, n_out in zip(params, sizes[:-1], sizes[1:], strict=True):
        assert isinstance(layer, jaxnn.Dense)
        assert layer.weight.shape == (n_in, n_out) and layer.weight.dtype == dtype
        assert layer.bias.shape == (n_out,) and layer.bias.dtype == dtype
        assert not jnp.any(layer.bias)
        assert bool(jnp.all(jnp.isfinite(layer.weight)))
    assert jaxnn.mlp(params, jnp.ones((2, sizes[0]), dtype)).dtype == dtype


def test_init_is_deterministic_and_layers_differ(key):
    a = jaxnn.init_mlp(key, [4, 4, 4])
    b = jaxnn.init_mlp(key, [4, 4, 4])
    c = jaxnn.init_mlp(jax.random.key(1), [4, 4, 4])
    np.testing.assert_array_equal(a[0].weight, b[0].weight)
    assert not np.allclose(a[0].weight, c[0].weight)
    assert not np.allclose(a[0].weight, a[1].weight)


def test_init_accepts_custom_initializer(key):
    params = jaxnn.init_mlp(key, [3, 4], initializer=jax.nn.initializers.ones)
    np.testing.assert_array_equal(params[0].weight, np.ones((3, 4)))


@pytest.mark.parametrize(
    "sizes, error",
    [
        ([3], ValueError),
        ([], ValueError),
        ([3, 0, 2], ValueError),
        ([3, -1], ValueError),
        (np.array([3, 0]), ValueError),
        ([3, 2.0], TypeError),
        ((3, True), TypeError),
        ([3, np.float64(2.0)], TypeError),
        ("32", TypeError),
        (None, TypeError),
        (np.array(3), TypeError),
    ],
    ids=str,
)
def test_init_bad_sizes(key, sizes, error):
    with pytest.raises(error, match="sizes: expected a sequence of at least two"):
        jaxnn.init_mlp(key, sizes)


def test_init_single_int_is_a_clear_error(key):
    with pytest.raises(TypeError, match=r"sizes: expected a sequence .* got 3"):
        jaxnn.init_mlp(key, 3)


@pytest.mark.parametrize(
    "sizes",
    [
        [np.int64(3), np.int32(4), 2],
        np.array([3, 4, 2]),
        np.array([3, 4, 2], dtype=np.uint8),
        jnp.array([3, 4, 2]),
        range(3, 5),
    ],
    ids=["numpy-scalars", "numpy-array", "uint8-array", "jax-array", "range"],
)
def test_init_accepts_numpy_integers(key, sizes):
    params = jaxnn.init_mlp(key, sizes)
    expected = jaxnn.init_mlp(key, [int(n) for n in sizes])
    for got, want in zip(params, expected, strict=True):
        np.testing.assert_array_equal(got.weight, want.weight)
        assert type(got.weight.shape[0]) is int
    assert all(
        isinstance(n, int) for n in jax.tree.leaves(jax.tree.map(jnp.shape, params))
    )


def test_init_catches_initializer_of_the_wrong_shape(key):
    def transposed(k, shape, dtype=jnp.float32):
        return jax.random.normal(k, shape[::-1], dtype)

    with pytest.raises(
        ValueError,
        match=r"initializer: .* shape \(4, 3\) for layer 0, expected \(3, 4\)",
    ):
        jaxnn.init_mlp(key, [3, 4, 4], initializer=transposed)


def test_init_bad_key():
    with pytest.raises(TypeError, match="key: expected a PRNG key"):
        jaxnn.init_mlp(0, [2, 3])
    with pytest.raises(ValueError, match="key: expected a single PRNG key"):
        jaxnn.init_mlp(jax.random.split(jax.random.key(0), 2), [2, 3])
    legacy = jaxnn.init_mlp(jax.random.PRNGKey(0), [2, 3])
    assert legacy[0].weight.shape == (2, 3)


def test_init_bad_dtype(key):
    with pytest.raises(ValueError, match="dtype: expected a floating dtype, got int32"):
        jaxnn.init_mlp(key, [2, 3], dtype=jnp.int32)


def test_vmap_over_keys_gives_ensemble(key):
    keys = jax.random.split(key, 4)
    ensemble = jax.vmap(lambda k: jaxnn.init_mlp(k, SIZES))(keys)
    assert isinstance(ensemble, tuple) and isinstance(ensemble[0], jaxnn.Dense)
    assert ensemble[0].weight.shape == (4, 3, 4)
    assert ensemble[1].bias.shape == (4, 2)
    for i in range(4):
        member = jaxnn.init_mlp(keys[i], SIZES)
        np.testing.assert_allclose(ensemble[0].weight[i], member[0].weight)
    assert not np.allclose(ensemble[0].weight[0], ensemble[0].weight[1])

    # vmap over the ensemble in mlp agrees with a Python loop over members.
    x = jnp.linspace(-2.0, 2.0, 21).reshape(7, 3)
    out = jax.jit(jax.vmap(lambda p: jaxnn.mlp(p, x)))(ensemble)
    assert out.shape == (4, 7, 2)
    for i in range(4):
        member = jax.tree.map(lambda leaf, i=i: leaf[i], ensemble)
        np.testing.assert_allclose(out[i], jaxnn.mlp(member, x), rtol=1e-5)


def test_vmap_over_inputs(params):
    x = jnp.linspace(-2.0, 2.0, 15).reshape(5, 3)
    out = jax.vmap(lambda xi: jaxnn.mlp(params, xi))(x)
    np.testing.assert_allclose(out, jaxnn.mlp(params, x), rtol=1e-6)


@pytest.mark.parametrize("mode", MODES)
def test_grad_against_finite_differences(params, mode):
    x = jnp.linspace(-2.0, 2.0, 15).reshape(5, 3)

    def loss(p):
        return jnp.sum(jaxnn.mlp(p, x, activation=jax.nn.sigmoid) ** 2)

    grads = _maybe_jit(jax.grad(loss), mode)(params)
    assert jax.tree.structure(grads) == jax.tree.structure(params)
    check_grads(loss, (params,), order=1, modes=["rev"], eps=1e-2, atol=5e-3, rtol=5e-3)


def test_sharded_input(params):
    n = 4 * jax.device_count()
    x = jnp.linspace(-2.0, 2.0, 3 * n).reshape(n, 3)
    xs = jaxnn.shard_batch(x)
    out = jax.jit(jaxnn.mlp)(jaxnn.replicate(params), xs)
    np.testing.assert_allclose(out, jaxnn.mlp(params, x), rtol=1e-6)


@pytest.mark.parametrize("mode", MODES)
def test_bad_input_size_names_layer_and_sizes(params, mode):
    f = _maybe_jit(jaxnn.mlp, mode)
    with pytest.raises(ValueError, match=r"layer 0 expects 3 input features.* has 5"):
        f(params, jnp.ones((2, 5)))
    with pytest.raises(ValueError, match="x: expected shape"):
        f(params, jnp.ones(()))


@pytest.mark.parametrize("mode", MODES)
def test_bad_layer_chain_names_layer_and_sizes(mode):
    a = jaxnn.Dense(jnp.ones((3, 4)), jnp.zeros(4))
    b = jaxnn.Dense(jnp.ones((5, 2)), jnp.zeros(2))
    f = _maybe_jit(jaxnn.mlp, mode)
    with pytest.raises(ValueError, match=r"layer 1 expects 5 inputs.*layer 0 has 4"):
        f((a, b), jnp.ones(3))
    bad_bias = jaxnn.Dense(a.weight, jnp.zeros(3))
    with pytest.raises(ValueError, match=r"params\[0\].bias: expected shape \(4,\)"):
        f((bad_bias,), jnp.ones(3))
    with pytest.raises(ValueError, match=r"params\[0\].weight: expected a matrix"):
        f((jaxnn.Dense(jnp.ones(3), jnp.zeros(3)),), jnp.ones(3))


def test_bad_params_types():
    with pytest.raises(ValueError, match="at least one"):
        jaxnn.mlp((), jnp.ones(3))
    with pytest.raises(TypeError, match=r"params\[0\]: expected a jaxnn.Dense"):
        jaxnn.mlp(((jnp.ones((3, 2)), jnp.zeros(2)),), jnp.ones(3))
    with pytest.raises(TypeError, match="activation: expected a callable"):
        jaxnn.mlp(
            (jaxnn.Dense(jnp.ones((3, 2)), jnp.zeros(2)),), jnp.ones(3), activation=None
        )


def test_no_recompilation_on_second_call(params):
    x = jnp.ones((5, 3))
    jaxnn.mlp(params, x, activation=jaxnn.sigmoid)
    size = _network._mlp._cache_size()
    params2 = jax.tree.map(lambda leaf: leaf + 1.0, params)
    jaxnn.mlp(params2, x + 1.0, activation=jaxnn.sigmoid)
    assert _network._mlp._cache_size() == size

    traces = []

    @jax.jit
    def forward(p, x):
        traces.append(None)  # runs once per trace
        return jaxnn.mlp(p, x)

    forward(params, x)
    forward(params2, x + 1.0)
    assert len(traces) == 1


def _compiled_kernels(fn, *args):
    """The kernels (fusions, dots, copies...) of the compiled entry computation."""
    text = jax.jit(fn).lower(*args).compile().as_text()
    entry = text[text.index("\nENTRY") :].splitlines()[1:]
    skip = ("parameter(", "constant(", "tuple(")
    return [
        line for line in entry if " = " in line and not any(s in line for s in skip)
    ]


def _book_forward(params, x, activation, output):
    """The book network written out, as a user of jax.nn would write it."""
    h = x
    with jax.numpy_rank_promotion("allow"):  # x @ W + b
        for layer in params[:-1]:
            h = activation(h @ layer.weight + layer.bias)
        return output(h @ params[-1].weight + params[-1].bias)


def _cross_entropy_grad(forward):
    def loss(params, x, target):
        return -jnp.mean(jnp.sum(target * forward(params, x), axis=-1))

    return jax.grad(loss)


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="XLA CPU fusion")
@pytest.mark.parametrize("batch", [1000, 10000])
@pytest.mark.parametrize("what", ["forward", "gradient"])
def test_book_network_fuses_like_a_plain_jax_network(batch, what):
    # The speed target of the book's forward pass (at most 1.1x its three
    # bare matrix products) needs the activations and the softmax fused into
    # the products. XLA's CPU backend fuses only some operations (a select or
    # compare splits the fusion), so jaxnn's forward pass, and the gradient of
    # a cross-entropy through it, must compile to no more kernels than the
    # same network written with jax.nn. Shapes only: nothing runs.
    sizes = (784, 50, 100, 10)
    params = tuple(
        jaxnn.Dense(
            jax.ShapeDtypeStruct((n_in, n_out), jnp.float32),
            jax.ShapeDtypeStruct((n_out,), jnp.float32),
        )
        for n_in, n_out in itertools.pairwise(sizes)
    )
    x = jax.ShapeDtypeStruct((batch, sizes[0]), jnp.float32)
    if what == "forward":
        outputs = (jaxnn.softmax, jax.nn.softmax)
    else:
        outputs = (jaxnn.log_softmax, jax.nn.log_softmax)

    def ours(params, x):
        return jaxnn.mlp(params, x, activation=jaxnn.sigmoid, output=outputs[0])

    def plain(params, x):
        return _book_forward(params, x, jax.nn.sigmoid, outputs[1])

    args: tuple = (params, x)
    if what == "gradient":
        ours, plain = _cross_entropy_grad(ours), _cross_entropy_grad(plain)
        args += (jax.ShapeDtypeStruct((batch, sizes[-1]), jnp.float32),)
    mine = _compiled_kernels(ours, *args)
    theirs = _compiled_kernels(plain, *args)
    assert len(mine) <= len(theirs), "\n".join(["jaxnn:", *mine, "jax.nn:", *theirs])


@pytest.fixture(scope="module")
def nan_unit_forward_inputs():
    """Book-shaped parameters with one hidden unit's bias NaN, and 10,000 inputs.

    At this size XLA's CPU backend fuses a forward pass into one computation,
    where max and min may silently drop NaN (jax.nn.relu does there: the NaN
    unit becomes 0). A NaN must reach the output instead.
    """
    key = jax.random.key(3)
    params = jaxnn.init_mlp(key, (784, 50, 100, 10))
    first = jaxnn.Dense(params[0].weight, params[0].bias.at[5].set(jnp.nan))
    return (first, *params[1:]), jax.random.uniform(key, (10_000, 784))


# glu halves the width of its input, so it cannot sit between two layers.
@pytest.mark.parametrize("name", [n for n in jaxnn.activation_names() if n != "glu"])
def test_nan_unit_reaches_the_output_of_a_fused_forward_pass(
    name, nan_unit_forward_inputs
):
    params, x = nan_unit_forward_inputs
    activation = jaxnn.get_activation(name)
    forward = jax.jit(
        lambda p, x: jaxnn.mlp(p, x, activation=activation, output=jaxnn.softmax)
    )
    assert bool(jnp.all(jnp.isnan(forward(params, x))))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("slope", [1.0, -1.5])
def test_collapse_equals_linear_network(mode, slope):
    # Four layers 4-6-5-3 with fixed, non-trivial weights and biases.
    sizes = [4, 6, 5, 3]
    params = tuple(
        jaxnn.Dense(
            jnp.sin(jnp.arange(n_in * n_out, dtype=float) + i).reshape(n_in, n_out),
            jnp.linspace(-1.0, 1.0, n_out),
        )
        for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes))
    )
    x = jnp.cos(jnp.arange(36.0)).reshape(9, 4)
    one = _maybe_jit(functools.partial(jaxnn.collapse, slope=slope), mode)(params)
    assert isinstance(one, jaxnn.Dense)
    assert one.weight.shape == (4, 3) and one.bias.shape == (3,)
    assert one.weight.dtype == jnp.float32
    # Independent float64 NumPy reference of h(h(x W1 + b1) W2 + b2) W3 + b3.
    ref = _numpy_forward(params, x, lambda z: slope * z)
    np.testing.assert_allclose(one(x), ref, rtol=1e-5, atol=1e-5)
    deep = jaxnn.mlp(params, x, activation=lambda z: slope * z)
    np.testing.assert_allclose(one(x), deep, rtol=1e-5, atol=1e-5)


def test_forward_mode_jacobian_is_the_collapsed_weight(params):
    # With identity activations the network is affine, so its Jacobian with
    # respect to x is the collapsed weight (transposed), at every x.
    f = jax.jit(lambda x: jaxnn.mlp(params, x, activation=jaxnn.identity))
    jac = jax.jacfwd(f)(jnp.array([0.3, -1.0, 2.0]))
    np.testing.assert_allclose(jac, jaxnn.collapse(params).weight.T, rtol=1e-5)
    w1, w2 = (np.asarray(layer.weight, np.float64) for layer in params)
    np.testing.assert_allclose(jac, (w1 @ w2).T, rtol=1e-5, atol=1e-7)
    # Second order: a nonlinear network's Hessian is symmetric and finite.
    hess = jax.hessian(lambda x: jnp.sum(jaxnn.mlp(params, x, activation=jnp.tanh)))(
        jnp.array([0.3, -1.0, 2.0])
    )
    np.testing.assert_allclose(hess, hess.T, rtol=1e-5, atol=1e-7)


def test_collapse_book_identity():
    # h(h(h(x))) with h(x) = c x is c^3 x: four 1x1 layers of weight 1.
    params = tuple(jaxnn.Dense(jnp.ones((1, 1)), jnp.zeros(1)) for _ in range(4))
    one = jaxnn.collapse(params, slope=3.0)
    np.testing.assert_allclose(one.weight, [[27.0]])
    with pytest.raises(ValueError, match="slope: expected a scalar"):
        jaxnn.collapse(params, slope=jnp.ones(2))
