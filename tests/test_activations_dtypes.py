"""Dtypes, empty and odd inputs, and bad input for jaxnn's activations.

Output dtypes are jax.nn's wherever jax.nn accepts the input (checked
exhaustively in test_jax_nn_compat.py); here: half precision computed in
float32 and rounded once, float64 kept under x64, integer rules, and errors.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxnn

ELEMENTWISE = [
    n for n in jaxnn.activation_names() if n not in ("softmax", "log_softmax", "glu")
]
ALL = {name: getattr(jaxnn, name) for name in ELEMENTWISE}
ALL["gelu_exact"] = functools.partial(jaxnn.gelu, approximate=False)


def derivative(f):
    return jax.vmap(jax.grad(f))


@pytest.mark.parametrize("name", list(ALL))
def test_half_precision_kept_and_rounded_once(name):
    f = ALL[name]
    x32 = jnp.linspace(-3.0, 3.0, 9) + (3.5 if name == "log1mexp" else 0.0)
    for dtype in (jnp.float16, jnp.bfloat16):
        x = x32.astype(dtype)
        y = f(x)
        assert y.dtype == dtype
        # Half types are computed in float32 and rounded once.
        want = f(x.astype(jnp.float32)).astype(dtype)
        np.testing.assert_array_equal(
            np.asarray(y, np.float32), np.asarray(want, np.float32)
        )
        assert derivative(f)(x).dtype == dtype
    assert f(x32).dtype == jnp.float32


@pytest.mark.parametrize("name", list(ALL))
def test_float64_kept_under_x64(name):
    with jax.enable_x64(True):
        x = jnp.linspace(0.5, 2.0, 5, dtype=jnp.float64)
        assert ALL[name](x).dtype == jnp.float64
        assert derivative(ALL[name])(x).dtype == jnp.float64
        # A float32 input stays float32 when x64 is on.
        assert ALL[name](x.astype(jnp.float32)).dtype == jnp.float32


def test_integer_inputs_follow_jax_nn():
    ints = np.array([-2, 0, 3], np.int32)
    # relu, hard_tanh and identity keep integers, as in jax.nn.
    for f in (jaxnn.relu, jaxnn.hard_tanh, jaxnn.identity):
        assert f(ints).dtype == jnp.int32
    np.testing.assert_array_equal(jaxnn.relu(ints), [0, 0, 3])
    np.testing.assert_array_equal(jaxnn.hard_tanh(ints), [-1, 0, 1])
    # The others give a float equal to the float computation.
    for name in ("sigmoid", "step", "elu", "gelu", "tanh", "leaky_relu"):
        y = getattr(jaxnn, name)(ints)
        assert y.dtype == jnp.float32, name
        np.testing.assert_array_equal(y, getattr(jaxnn, name)(ints.astype(np.float32)))
    with jax.enable_x64(True):
        assert jaxnn.relu(np.arange(3)).dtype == jnp.int64
        assert jaxnn.sigmoid(np.arange(3)).dtype == jnp.float64
        assert jaxnn.step(np.arange(3)).dtype == jnp.float64
        assert jaxnn.step(np.arange(3, dtype=np.int32)).dtype == jnp.float32


def test_python_scalars_keep_weak_types():
    # As in jax.nn: a Python float gives a weakly typed result, which then
    # takes the dtype of the arrays it meets (bfloat16 here).
    y = jaxnn.sigmoid(2.0)
    assert jax.typeof(y).weak_type
    assert (y * jnp.ones(2, jnp.bfloat16)).dtype == jnp.bfloat16
    assert not jax.typeof(jaxnn.gelu(2.0)).weak_type  # jax.nn.gelu is strong too


def test_complex_input_uses_jax_nn():
    z = jnp.array([1.0 + 1.0j, -0.5j])
    np.testing.assert_array_equal(jaxnn.sigmoid(z), jax.nn.sigmoid(z))
    np.testing.assert_array_equal(jaxnn.identity(z), z)
    for f in (jaxnn.step, jaxnn.sparse_sigmoid, jaxnn.surrogate_step()):
        with pytest.raises(TypeError, match="complex"):
            f(z)


@pytest.mark.parametrize("name", list(ALL))
@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("1.0", "str"),
        ([1.0, 2.0], "list"),
        ((1.0, 2.0), "tuple"),
        (None, "NoneType"),
        (jax.random.key(0), "numeric dtype"),
    ],
)
def test_bad_input_raises_type_error_naming_x(name, bad, words):
    with pytest.raises(TypeError, match=r"'x'") as info:
        ALL[name](bad)
    assert words in str(info.value)


def test_bad_hyperparameters():
    with pytest.raises(ValueError, match=r"negative_slope.*broadcast"):
        jaxnn.leaky_relu(jnp.ones(3), jnp.ones(2))
    with pytest.raises(TypeError, match="alpha"):
        jaxnn.elu(jnp.ones(3), alpha="big")
    with pytest.raises(TypeError, match="'b' must be real"):
        jaxnn.squareplus(jnp.ones(3), 1j)
    with pytest.raises(TypeError, match="approximate"):
        jaxnn.gelu(jnp.ones(3), approximate="tanh")
    # jax.nn's positional hyperparameters work.
    np.testing.assert_allclose(jaxnn.leaky_relu(jnp.array([-1.0]), 0.2), [-0.2])
    np.testing.assert_allclose(jaxnn.gelu(jnp.array([1.0]), False), [0.8413447])
    assert jaxnn.gelu(jnp.array([1.0]), 1) == jaxnn.gelu(jnp.array([1.0]), True)


def test_nan_reaches_the_output_of_a_fused_layer():
    # At the size where XLA's CPU backend fuses the activation into the
    # layer, NaN in the input still reaches the output, for every function.
    x = jnp.ones((64, 32)).at[3, 5].set(jnp.nan)
    w = jnp.ones((32, 16))
    for name, f in ALL.items():
        y = jax.jit(lambda x, w, f=f: f(x @ w))(x, w)
        assert bool(jnp.isnan(y[3]).all()), name
