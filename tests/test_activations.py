"""Tests for jaxnn's elementwise activations.

References are independent of the code under test: mpmath at 40 digits (via
``tools/accuracy.py``, whose grid and mpmath formulas the docs also show), the
book's printed numbers, and finite differences.
"""

from __future__ import annotations

import functools
import importlib.util
import math
from pathlib import Path

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from jax.test_util import check_grads

import jaxnn

_spec = importlib.util.spec_from_file_location(
    "jaxnn_tools_accuracy",
    Path(__file__).resolve().parents[1] / "tools" / "accuracy.py",
)
assert _spec is not None and _spec.loader is not None
accuracy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(accuracy)

mp.mp.dps = 40

SMOOTH = list(accuracy.REFERENCES)  # sigmoid, tanh, ..., gelu_tanh, softsign
# gelu's tanh approximation is not yet within 4 ulp in its far negative tail
# (see test_gelu_tanh_accuracy_bound); every other smooth function is.
GUARANTEED = [n for n in SMOOTH if n != "gelu_tanh"]

ALL = {
    "step": jaxnn.step,
    "sigmoid": jaxnn.sigmoid,
    "relu": jaxnn.relu,
    "leaky_relu": jaxnn.leaky_relu,
    "identity": jaxnn.identity,
    "tanh": jaxnn.tanh,
    "softplus": jaxnn.softplus,
    "log_sigmoid": jaxnn.log_sigmoid,
    "elu": jaxnn.elu,
    "celu": jaxnn.celu,
    "selu": jaxnn.selu,
    "gelu": jaxnn.gelu,
    "gelu_tanh": functools.partial(jaxnn.gelu, approximate=True),
    "silu": jaxnn.silu,
    "swish": jaxnn.swish,
    "mish": jaxnn.mish,
    "softsign": jaxnn.softsign,
    "relu6": jaxnn.relu6,
    "hard_sigmoid": jaxnn.hard_sigmoid,
    "hard_tanh": jaxnn.hard_tanh,
}

# Limits at -inf and +inf of each function and of its derivative.
LIMITS = {
    "step": ((0, 1), (0, 0)),
    "sigmoid": ((0, 1), (0, 0)),
    "relu": ((0, np.inf), (0, 1)),
    "leaky_relu": ((-np.inf, np.inf), (0.01, 1)),
    "identity": ((-np.inf, np.inf), (1, 1)),
    "tanh": ((-1, 1), (0, 0)),
    "softplus": ((0, np.inf), (0, 1)),
    "log_sigmoid": ((-np.inf, 0), (1, 0)),
    "elu": ((-1, np.inf), (0, 1)),
    "celu": ((-1, np.inf), (0, 1)),
    "selu": (
        (-1.0507009873554805 * 1.6732632423543772, np.inf),
        (0, 1.0507009873554805),
    ),
    "gelu": ((0, np.inf), (0, 1)),
    "gelu_tanh": ((0, np.inf), (0, 1)),
    "silu": ((0, np.inf), (0, 1)),
    "swish": ((0, np.inf), (0, 1)),
    "mish": ((0, np.inf), (0, 1)),
    "softsign": ((-1, 1), (0, 0)),
    "relu6": ((0, 6), (0, 0)),
    "hard_sigmoid": ((0, 1), (0, 0)),
    "hard_tanh": ((-1, 1), (0, 0)),
}


def derivative(f):
    return jax.vmap(jax.grad(f))


# ---------------------------------------------------------------------------
# The book's numbers (Saito, Deep Learning from Scratch, chapter 3)
# ---------------------------------------------------------------------------


def test_book_sigmoid():
    got = jaxnn.sigmoid(np.array([-1.0, 1.0, 2.0]))
    np.testing.assert_allclose(got, [0.26894142, 0.73105858, 0.88079708], rtol=2e-7)


def test_book_step_and_relu():
    x = np.array([-1.0, 1.0, 2.0])
    np.testing.assert_array_equal(jaxnn.step(x), [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(jaxnn.relu(x), [0.0, 1.0, 2.0])
    # The book's step is 1 only for x > 0: step(0) = 0.
    assert float(jaxnn.step(0.0)) == 0.0
    assert jaxnn.step(np.array([-1, 1, 2])).dtype == jnp.float32


# ---------------------------------------------------------------------------
# Accuracy against mpmath (the issue's 4-ulp bound), values and derivatives
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", ["value", "derivative"])
@pytest.mark.parametrize("name", GUARANTEED)
def test_accuracy_within_4_ulp(name, quantity):
    got = accuracy.evaluate(accuracy.JAXNN[name], quantity)
    err = accuracy.ulp_errors(name, quantity, got)
    assessed = ~np.isnan(err)
    assert assessed.sum() > 1000  # the bound is checked on a dense grid
    worst = int(np.nanargmax(err))
    assert err[worst] <= 4.0, (
        f"{name} {quantity}: {err[worst]:.3g} ulp at x = {accuracy.grid()[worst]!r}"
    )


def test_accuracy_check_catches_jax_nn_tail_errors():
    # The same check fails for jax.nn's sigmoid', which is 0 for x > 17.
    got = accuracy.evaluate(jax.nn.sigmoid, "derivative")
    assert np.nanmax(accuracy.ulp_errors("sigmoid", "derivative", got)) > 1e6


def test_gelu_tanh_accuracy_bound():
    # Known limitation: the tanh approximation's cubic argument u is rounded
    # in float32, which costs about |u| ulp once x < -1 (up to ~130 ulp near
    # x = -9). It is within 4 ulp for x >= -1, never flushed to zero in the
    # tail, and far better than jax.nn's everywhere.
    xs = accuracy.grid()
    for quantity in ("value", "derivative"):
        got = accuracy.evaluate(accuracy.JAXNN["gelu_tanh"], quantity)
        err = accuracy.ulp_errors("gelu_tanh", quantity, got)
        assessed = ~np.isnan(err)
        assert np.max(err[(xs >= -1) & assessed]) <= 4.0
        assert np.max(err[assessed]) <= 200.0
        got_jax = accuracy.evaluate(accuracy.JAX_NN["gelu_tanh"], quantity)
        assert np.nanmax(accuracy.ulp_errors("gelu_tanh", quantity, got_jax)) > 1e6


def test_branch_free_exp_accuracy_limits_and_scale():
    # The hand-written exp behind tanh', silu and gelu-tanh: within 1.02 ulp
    # of exp on [-87.3, 0], 0 below the normal range and at -inf, NaN kept,
    # an exact power-of-2 factor, and its own derivative.
    from jaxnn._activations import _exp_neg

    z = -np.linspace(0.0, 87.3, 200001, dtype=np.float32)
    got = np.asarray(jax.jit(_exp_neg)(z), np.float64)
    ref = np.exp(z.astype(np.float64))
    ulp = np.spacing(ref.astype(np.float32)).astype(np.float64)
    assert np.max(np.abs(got - ref) / ulp) <= 1.05
    special = _exp_neg(jnp.array([-jnp.inf, jnp.nan, -100.0, -1e30, 0.0]))
    np.testing.assert_array_equal(special, [0.0, np.nan, 0.0, 0.0, 1.0])
    scaled = float(_exp_neg(jnp.float32(-95.0), 16))  # exp(-95) is subnormal
    assert scaled == pytest.approx(2.0**16 * math.exp(-95.0), rel=2e-7)
    assert float(_exp_neg(jnp.float32(-200.0), 16)) == 0.0
    d = jax.grad(lambda t: _exp_neg(t, 2))(jnp.float32(-1.5))
    assert float(d) == float(_exp_neg(jnp.float32(-1.5), 2))


def test_issue_examples_of_tails():
    # Numbers quoted in the issue, where jax.nn is wrong.
    s20 = float(jax.grad(jaxnn.sigmoid)(20.0))
    assert s20 == pytest.approx(float(mp.exp(-20) / (1 + mp.exp(-20)) ** 2), rel=3e-7)
    silu_tail = float(jaxnn.silu(np.float32(-88.4)))
    x = mp.mpf(float(np.float32(-88.4)))
    assert silu_tail == pytest.approx(float(x / (1 + mp.exp(-x))), rel=3e-7)
    assert silu_tail < 0
    assert float(jax.grad(jaxnn.tanh)(44.0)) > 0
    assert float(jax.grad(jaxnn.elu)(-87.0)) > 0


# ---------------------------------------------------------------------------
# Eager vs jit, vmap, shapes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ALL))
def test_eager_jit_vmap_and_shapes(name):
    f = ALL[name]
    x = jnp.linspace(-5.0, 5.0, 24).reshape(2, 3, 4)
    eager = f(x)
    assert eager.shape == x.shape
    np.testing.assert_array_equal(jax.jit(f)(x), eager)
    np.testing.assert_array_equal(jax.vmap(f)(x), eager)
    assert float(f(jnp.float32(1.5))) == float(f(jnp.full((2, 3, 4), 1.5))[1, 2, 3])


def test_empty_and_scalar_inputs():
    for f in (jaxnn.sigmoid, jaxnn.relu, jaxnn.gelu, jaxnn.step):
        assert f(jnp.zeros((0, 3))).shape == (0, 3)
        assert f(1.5).shape == ()


def test_sigmoid_fuses_into_the_mlp_layer_like_jax_nn():
    # Compiled x @ W + b followed by the activation: jaxnn's sigmoid must not
    # add kernels (fusions) beyond what jax.nn.sigmoid compiles to.
    w, b, x = jnp.ones((64, 32)), jnp.ones(32), jnp.ones((128, 64))

    def count(act):
        hlo = (
            jax.jit(lambda w, b, x: act(x @ w + b[None, :]))
            .lower(w, b, x)
            .compile()
            .as_text()
        )
        entry = hlo[hlo.index("ENTRY") :]
        return entry.count(" fusion(") + entry.count(" dot(")

    assert count(jaxnn.sigmoid) <= count(jax.nn.sigmoid)


def test_no_recompilation_on_second_call():
    from jaxnn import _activations

    x = jnp.linspace(-1.0, 1.0, 7)
    jaxnn.silu(x)
    before = _activations._silu._cache_size()
    jaxnn.silu(x + 1.0)
    jaxnn.silu(np.linspace(-2.0, 2.0, 7, dtype=np.float32))
    assert _activations._silu._cache_size() == before


# ---------------------------------------------------------------------------
# Derivatives: finite differences, jvp/vjp, hessian
# ---------------------------------------------------------------------------

AWAY_FROM_KINKS = np.array([-7.3, -2.9, -1.3, -0.4, 0.35, 1.7, 4.5, 8.2])
PIECEWISE_SAFE = np.array([-7.3, -2.9, -1.3, -0.4, 0.35, 0.8, 4.5, 8.2])


@pytest.mark.parametrize("name", [*SMOOTH, "celu", "leaky_relu", "hard_sigmoid"])
def test_float64_values_and_finite_difference_gradients(name):
    # In float64: the dtype is kept, values match mpmath, and central
    # differences (h = 1e-6, error ~1e-10) match the custom derivative in
    # forward (jvp) and reverse (vjp) mode, away from kinks.
    f = ALL[name]
    pts = (
        PIECEWISE_SAFE
        if name in ("hard_tanh", "relu6", "hard_sigmoid")
        else AWAY_FROM_KINKS
    )
    h = 1e-6
    with jax.enable_x64(True):
        x = jnp.asarray(pts, dtype=jnp.float64)
        y = f(x)
        fd = (np.asarray(f(x + h)) - np.asarray(f(x - h))) / (2 * h)
        _, tangent = jax.jvp(f, (x,), (jnp.ones_like(x),))
        _, pullback = jax.vjp(f, x)
        (cotangent,) = pullback(jnp.ones_like(x))
    assert y.dtype == tangent.dtype == cotangent.dtype == jnp.float64
    np.testing.assert_allclose(tangent, fd, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(cotangent, fd, rtol=1e-7, atol=1e-9)
    if name in accuracy.REFERENCES:
        ref = [float(accuracy.REFERENCES[name][0](mp.mpf(float(v)))) for v in pts]
        np.testing.assert_allclose(np.asarray(y), ref, rtol=1e-13, atol=1e-15)


def test_float64_dtype_kept_and_default_float_for_integers():
    with jax.enable_x64(True):
        x = jnp.linspace(-2.0, 2.0, 5, dtype=jnp.float64)
        for name, f in ALL.items():
            assert f(x).dtype == jnp.float64, name
        assert jaxnn.sigmoid(np.arange(3)).dtype == jnp.float64
        assert jaxnn.relu(np.arange(3)).dtype == jnp.float64


def test_check_grads():
    # jax.test_util.check_grads (finite differences, fwd and rev) in float64.
    with jax.enable_x64(True):
        x = jnp.asarray(AWAY_FROM_KINKS, dtype=jnp.float64)
        check_grads(jaxnn.gelu, (x,), order=1, modes=["fwd", "rev"])


@pytest.mark.parametrize("name", SMOOTH)
def test_second_derivative_float32(name):
    # hessian differentiates the custom derivative rule: it must match mpmath
    # and stay finite out to |x| = 1e4.
    f = accuracy.JAXNN[name]
    value = accuracy.REFERENCES[name][0]
    xs = np.array([-6.0, -1.1, 0.6, 3.3], np.float32)  # 0 is a kink of elu''
    ref = np.array([float(mp.diff(value, mp.mpf(float(v)), 2)) for v in xs])
    far = np.concatenate([-np.logspace(-3, 4, 98), np.logspace(-3, 4, 98)])
    got = np.asarray(jax.vmap(jax.hessian(f))(jnp.asarray(np.concatenate([xs, far]))))
    np.testing.assert_allclose(got[:4], ref, rtol=2e-5, atol=2e-6)
    assert np.all(np.isfinite(got)), far[~np.isfinite(got[4:])]


EXTREMES = np.concatenate(
    [[-np.inf, np.inf], -np.logspace(-3, 4, 100), np.logspace(-3, 4, 100), [0.0]]
).astype(np.float32)


@pytest.mark.parametrize("name", list(ALL))
def test_limits_at_infinity_and_no_nan_gradient_up_to_1e4(name):
    f = ALL[name]
    (v_neg, v_pos), (d_neg, d_pos) = LIMITS[name]
    x = jnp.asarray(EXTREMES)
    y = np.asarray(f(x))
    d = np.asarray(derivative(f)(x))
    np.testing.assert_allclose(y[:2], [v_neg, v_pos], rtol=1e-6)
    np.testing.assert_allclose(d[:2], [d_neg, d_pos], rtol=1e-6)
    assert np.all(np.isfinite(d)), x[~np.isfinite(d)]
    assert np.isnan(np.asarray(f(jnp.array([jnp.nan, 1.0])))[0])


# ---------------------------------------------------------------------------
# Kinks: one documented convention, tested at the kink itself
# ---------------------------------------------------------------------------

SELU_SCALE = 1.0507009873554805
SELU_ALPHA = 1.6732632423543772


@pytest.mark.parametrize(
    ("f", "kink", "expected"),
    [
        (jaxnn.relu, 0.0, 0.0),
        (jaxnn.leaky_relu, 0.0, 0.01),
        (functools.partial(jaxnn.leaky_relu, negative_slope=0.2), 0.0, 0.2),
        (jaxnn.elu, 0.0, 1.0),
        (functools.partial(jaxnn.elu, alpha=0.5), 0.0, 0.5),
        (functools.partial(jaxnn.celu, alpha=0.5), 0.0, 1.0),
        (jaxnn.selu, 0.0, SELU_SCALE * SELU_ALPHA),
        (jaxnn.relu6, 0.0, 0.0),
        (jaxnn.relu6, 6.0, 0.0),
        (jaxnn.hard_tanh, -1.0, 0.0),
        (jaxnn.hard_tanh, 1.0, 0.0),
        (jaxnn.hard_sigmoid, -3.0, 0.0),
        (jaxnn.hard_sigmoid, 3.0, 0.0),
        (jaxnn.step, 0.0, 0.0),
        (jaxnn.softsign, 0.0, 1.0),
    ],
)
def test_derivative_at_kink(f, kink, expected):
    got = float(jax.jit(jax.grad(f))(jnp.float32(kink)))
    assert got == pytest.approx(expected, rel=1e-6)
    # ... and forward mode agrees with reverse mode there (and under jit).
    assert float(jax.jit(jax.jacfwd(f))(jnp.float32(kink))) == pytest.approx(got)


def test_one_sided_slopes_next_to_kinks():
    eps = 1e-3
    assert float(jax.grad(jaxnn.relu)(eps)) == 1.0
    assert float(jax.grad(jaxnn.leaky_relu)(-eps)) == pytest.approx(0.01)
    assert float(jax.grad(jaxnn.hard_tanh)(1 - eps)) == 1.0
    assert float(jax.grad(jaxnn.hard_sigmoid)(3 - eps)) == pytest.approx(1 / 6)
    assert float(jax.grad(jaxnn.relu6)(6 - eps)) == 1.0


def test_step_true_derivative_is_zero():
    x = jnp.linspace(-3.0, 3.0, 13)
    np.testing.assert_array_equal(derivative(jaxnn.step)(x), np.zeros(13))


# ---------------------------------------------------------------------------
# inf and nan
# ---------------------------------------------------------------------------


def test_silu_at_minus_inf_is_zero_not_nan():
    assert float(jaxnn.silu(-jnp.inf)) == 0.0
    assert float(jaxnn.mish(-jnp.inf)) == 0.0
    assert float(jaxnn.gelu(-jnp.inf)) == 0.0


# ---------------------------------------------------------------------------
# dtypes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ALL))
def test_floating_dtype_kept(name):
    f = ALL[name]
    x32 = jnp.linspace(-3.0, 3.0, 9)
    for dtype in (jnp.float16, jnp.bfloat16):
        x = x32.astype(dtype)
        y = f(x)
        assert y.dtype == dtype
        # Half types are computed in float32 and rounded once.
        want = f(x.astype(jnp.float32)).astype(dtype)
        np.testing.assert_array_equal(
            np.asarray(y, np.float32), np.asarray(want, np.float32)
        )
    assert f(x32).dtype == jnp.float32


def test_half_precision_derivatives_keep_dtype():
    x = jnp.linspace(-3.0, 3.0, 9)
    for f in (jaxnn.sigmoid, jaxnn.gelu, jaxnn.relu):
        for dtype in (jnp.float16, jnp.bfloat16):
            assert derivative(f)(x.astype(dtype)).dtype == dtype


@pytest.mark.parametrize("name", list(ALL))
def test_int_and_bool_promoted_to_default_float(name):
    f = ALL[name]
    y = f(np.array([-2, 0, 3], np.int32))
    assert y.dtype == jnp.float32
    np.testing.assert_array_equal(y, f(np.array([-2.0, 0.0, 3.0], np.float32)))
    assert f(np.array([True, False])).dtype == jnp.float32
    assert f(2).dtype == jnp.float32


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ALL))
@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("1.0", "str"),
        ([1.0, 2.0], "list"),
        (np.array([1 + 2j]), "complex"),
        (1j, "complex"),
        (None, "NoneType"),
    ],
)
def test_bad_input_raises_type_error(name, bad, words):
    with pytest.raises(TypeError, match=r"'x'") as info:
        ALL[name](bad)
    assert words in str(info.value)


def test_bad_hyperparameters():
    with pytest.raises(TypeError, match="negative_slope"):
        jaxnn.leaky_relu(jnp.ones(3), negative_slope=jnp.ones(3))
    with pytest.raises(TypeError, match="alpha"):
        jaxnn.elu(jnp.ones(3), alpha="big")
    with pytest.raises(TypeError, match="approximate"):
        jaxnn.gelu(jnp.ones(3), approximate="tanh")
    with pytest.raises(TypeError):
        jaxnn.leaky_relu(jnp.ones(3), 0.2)  # hyperparameters are keyword-only


def test_hyperparameters_are_differentiable():
    x = jnp.array([-2.0, -0.5, 1.0])
    g = jax.grad(lambda a: jnp.sum(jaxnn.elu(x, alpha=a)))(1.5)
    assert float(g) == pytest.approx(float(np.sum(np.expm1([-2.0, -0.5]))), rel=1e-6)
    g = jax.grad(lambda s: jnp.sum(jaxnn.leaky_relu(x, negative_slope=s)))(0.1)
    assert float(g) == pytest.approx(-2.5)
    g = jax.grad(lambda a: jaxnn.celu(jnp.float32(-1.0), alpha=a))(2.0)
    ref = mp.diff(lambda a: a * mp.expm1(-1 / a), 2)
    assert float(g) == pytest.approx(float(ref), rel=1e-5)


# ---------------------------------------------------------------------------
# Surrogate gradients for step
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["straight_through", "sigmoid", "fast_sigmoid"])
def test_surrogate_forward_is_step(kind):
    f = jaxnn.surrogate_step(kind, slope=3.0)
    x = jnp.linspace(-2.0, 2.0, 9)  # includes 0
    np.testing.assert_array_equal(f(x), jaxnn.step(x))
    np.testing.assert_array_equal(jax.jit(f)(x), jaxnn.step(x))


def _dsig(z):
    return mp.exp(-z) / (1 + mp.exp(-z)) ** 2


def test_surrogate_derivatives():
    xs = np.array([-1.5, -0.2, 0.0, 0.4, 2.0], np.float32)
    x = jnp.asarray(xs)
    st = derivative(jaxnn.surrogate_step("straight_through"))(x)
    np.testing.assert_array_equal(st, np.ones(5))
    k = 4.0
    sig = derivative(jaxnn.surrogate_step("sigmoid", slope=k))(x)
    ref = [float(k * _dsig(k * mp.mpf(float(v)))) for v in xs]
    np.testing.assert_allclose(sig, ref, rtol=1e-6)
    fast = derivative(jaxnn.surrogate_step("fast_sigmoid", slope=2.0))(x)
    np.testing.assert_allclose(fast, 1 / (1 + 2 * np.abs(xs)) ** 2, rtol=1e-6)
    # A steeper sigmoid surrogate concentrates at 0.
    steep = derivative(jaxnn.surrogate_step("sigmoid", slope=50.0))(x)
    assert float(steep[2]) == pytest.approx(12.5) and float(steep[0]) < 1e-20


def test_surrogate_trains_a_threshold_unit():
    # The plain step gives a zero gradient; the surrogate moves the weight.
    x = jnp.array([-1.0, 1.0])
    y = jnp.array([0.0, 1.0])

    def loss(w, f):
        return jnp.sum((f(w * x - 0.5) - y) ** 2)

    assert float(jax.grad(loss)(0.1, jaxnn.step)) == 0.0
    assert float(jax.grad(loss)(0.1, jaxnn.surrogate_step("sigmoid"))) < 0.0


def test_surrogate_bad_arguments():
    with pytest.raises(ValueError, match="straight_through, sigmoid, fast_sigmoid"):
        jaxnn.surrogate_step("tanh")
    with pytest.raises(ValueError, match="slope"):
        jaxnn.surrogate_step("sigmoid", slope=0.0)
    with pytest.raises(TypeError, match="slope"):
        jaxnn.surrogate_step("sigmoid", slope="4")


# ---------------------------------------------------------------------------
# Look-up by name
# ---------------------------------------------------------------------------


def test_get_activation():
    assert jaxnn.get_activation("relu") is jaxnn.relu
    assert jaxnn.get_activation("swish") is jaxnn.swish
    f = jaxnn.get_activation("leaky_relu", negative_slope=0.2)
    np.testing.assert_allclose(f(jnp.array([-1.0, 1.0])), [-0.2, 1.0])
    for name in jaxnn.activation_names():
        fn = jaxnn.get_activation(name)
        assert fn(jnp.array([0.5, -0.5])).shape == (2,)
        assert fn is getattr(jaxnn, name)


def test_get_activation_errors():
    with pytest.raises(ValueError, match="unknown activation 'rleu'") as info:
        jaxnn.get_activation("rleu")
    for name in ("relu", "sigmoid", "gelu", "softmax"):
        assert name in str(info.value)
    with pytest.raises(ValueError, match="negative_slop"):
        jaxnn.get_activation("leaky_relu", negative_slop=0.2)
    with pytest.raises(TypeError, match="string"):
        jaxnn.get_activation(jaxnn.relu)


def test_selu_constants_match_paper():
    # Klambauer et al. (2017): alpha and lambda solve the fixed-point equations
    # for mean 0 and variance 1; check against those digits, not our own.
    y = jaxnn.selu(jnp.array([-math.inf, 1.0]))
    np.testing.assert_allclose(y, [-1.7580993408473766, 1.0507009873554805], rtol=1e-7)
