"""Tests for jaxnn's elementwise activations: values, derivatives, kinks, NaN.

References are independent of the code under test: mpmath at 40 digits (via
``tools/accuracy.py``, whose grid and mpmath formulas the docs also show), the
book's printed numbers, and finite differences. Dtypes and bad input are in
``test_activations_dtypes.py``; the comparison with jax.nn is in
``test_jax_nn_compat.py``.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from jax.test_util import check_grads

import jaxnn
from tools import accuracy

mp.mp.dps = 40

SMOOTH = list(accuracy.REFERENCES)  # sigmoid, tanh, ..., squareplus, hard_silu
GUARANTEED = SMOOTH  # every function of the table is within 4 ulp on its grid

# Every elementwise activation, by its public name (one list, in
# jaxnn/_activations), plus gelu's exact form.
ELEMENTWISE = [
    n for n in jaxnn.activation_names() if n not in ("softmax", "log_softmax", "glu")
]
ALL = {name: getattr(jaxnn, name) for name in ELEMENTWISE}
ALL["gelu_exact"] = functools.partial(jaxnn.gelu, approximate=False)

SELU_SCALE = 1.0507009873554805
SELU_ALPHA = 1.6732632423543772

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
    "selu": ((-SELU_SCALE * SELU_ALPHA, np.inf), (0, SELU_SCALE)),
    "gelu": ((0, np.inf), (0, 1)),
    "gelu_exact": ((0, np.inf), (0, 1)),
    "silu": ((0, np.inf), (0, 1)),
    "swish": ((0, np.inf), (0, 1)),
    "mish": ((0, np.inf), (0, 1)),
    "soft_sign": ((-1, 1), (0, 0)),
    "softsign": ((-1, 1), (0, 0)),
    "relu6": ((0, 6), (0, 0)),
    "hard_sigmoid": ((0, 1), (0, 0)),
    "hard_silu": ((0, np.inf), (0, 1)),
    "hard_swish": ((0, np.inf), (0, 1)),
    "hard_tanh": ((-1, 1), (0, 0)),
    "squareplus": ((0, np.inf), (0, 1)),
    "sparse_plus": ((0, np.inf), (0, 1)),
    "sparse_sigmoid": ((0, 1), (0, 0)),
    "log1mexp": ((np.nan, 0), (np.nan, 0)),  # defined for x >= 0 only
}

# The piecewise functions and their kinks.
PIECEWISE = {
    "step": (0.0,),
    "relu": (0.0,),
    "leaky_relu": (0.0,),
    "relu6": (0.0, 6.0),
    "hard_sigmoid": (-3.0, 3.0),
    "hard_silu": (-3.0, 3.0),
    "hard_swish": (-3.0, 3.0),
    "hard_tanh": (-1.0, 1.0),
    "sparse_plus": (-1.0, 1.0),
    "sparse_sigmoid": (-1.0, 1.0),
    "elu": (0.0,),
    "celu": (0.0,),
    "selu": (0.0,),
}


def derivative(f):
    return jax.vmap(jax.grad(f))


def test_every_activation_has_limits_listed():
    assert set(LIMITS) == set(ALL)


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
# Accuracy against mpmath (the 4-ulp bound stated in jaxnn/_activations)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", ["value", "derivative"])
@pytest.mark.parametrize("name", GUARANTEED)
def test_accuracy_within_4_ulp(name, quantity):
    got = accuracy.evaluate(accuracy.JAXNN[name], quantity)
    err = accuracy.ulp_errors(name, quantity, got)
    assessed = ~np.isnan(err)
    assert assessed.sum() > 900  # the bound is checked on a dense grid
    worst = int(np.nanargmax(err))
    assert err[worst] <= 4.0, (
        f"{name} {quantity}: {err[worst]:.3g} ulp at x = {accuracy.grid()[worst]!r}"
    )


def test_accuracy_check_catches_jax_nn_tail_errors():
    # The same check fails for jax.nn's sigmoid', which is 0 for x > 17.
    got = accuracy.evaluate(jax.nn.sigmoid, "derivative")
    assert np.nanmax(accuracy.ulp_errors("sigmoid", "derivative", got)) > 1e6


def test_gelu_tanh_tail_keeps_its_bits():
    # The tanh form's cubic argument v is formed as v_hi + v_lo, so its
    # rounding (|v| ulp, ~130 near x = -9) does not reach exp(-|v|); jax.nn's
    # 1 + tanh cancels there.
    xs = accuracy.grid()
    tail = (xs >= -11) & (xs <= -3)
    for quantity in ("value", "derivative"):
        got = accuracy.evaluate(accuracy.JAXNN["gelu_tanh"], quantity)
        err = accuracy.ulp_errors("gelu_tanh", quantity, got)
        assert np.nanmax(err[tail]) <= 4.0
        got_jax = accuracy.evaluate(accuracy.JAX_NN["gelu_tanh"], quantity)
        assert np.nanmax(accuracy.ulp_errors("gelu_tanh", quantity, got_jax)) > 1e6


def test_tail_values_where_jax_nn_is_zero():
    s20 = float(jax.grad(jaxnn.sigmoid)(20.0))
    assert s20 == pytest.approx(float(mp.exp(-20) / (1 + mp.exp(-20)) ** 2), rel=3e-7)
    silu_tail = float(jaxnn.silu(np.float32(-88.4)))
    x = mp.mpf(float(np.float32(-88.4)))
    assert silu_tail == pytest.approx(float(x / (1 + mp.exp(-x))), rel=3e-7)
    assert silu_tail < 0
    assert float(jax.grad(jaxnn.tanh)(44.0)) > 0
    assert float(jax.grad(jaxnn.elu)(-87.0)) > 0
    # squareplus keeps b / (4 |x|) far out, where its x + sqrt(x^2 + b) is 0.
    for v in (-1e4, -1e10, -1e30):
        assert float(jaxnn.squareplus(jnp.float32(v))) == pytest.approx(
            -1 / v, rel=3e-7
        )
        d = float(jax.grad(jaxnn.squareplus)(jnp.float32(v)))
        assert d == pytest.approx(1 / v**2, rel=3e-7) or 1 / v**2 < 1.2e-38
    assert float(jaxnn.squareplus(jnp.float32(3e38))) == pytest.approx(3e38, rel=1e-7)
    # log1mexp far out: -exp(-x), a normal number down to x = 87.3.
    assert float(jaxnn.log1mexp(jnp.float32(87.0))) == pytest.approx(
        -math.exp(-87.0), rel=3e-7
    )


def test_glu_against_mpmath():
    rng = np.random.default_rng(0)
    a, b = (rng.uniform(-30, 30, 500).astype(np.float32) for _ in range(2))
    got = np.asarray(jaxnn.glu(jnp.concatenate([a, b])), np.float64)
    ref = np.array(
        [
            float(mp.mpf(float(p)) / (1 + mp.exp(-mp.mpf(float(q)))))
            for p, q in zip(a, b, strict=True)
        ]
    )
    normal = np.abs(ref) >= np.finfo(np.float32).tiny
    ulp = np.spacing(np.abs(ref[normal]).astype(np.float32)).astype(np.float64)
    assert np.max(np.abs(got[normal] - ref[normal]) / ulp) <= 3.0
    # Its gradient: d/da = sigmoid(b), d/db = a sigmoid'(b), with jaxnn's rules.
    g = jax.grad(lambda t: jnp.sum(jaxnn.glu(t)))(jnp.concatenate([a, b]))
    np.testing.assert_allclose(g[:500], jaxnn.sigmoid(b), rtol=1e-6)
    np.testing.assert_allclose(g[500:], a * derivative(jaxnn.sigmoid)(b), rtol=1e-6)


# ---------------------------------------------------------------------------
# Eager vs jit, vmap, shapes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ALL))
def test_eager_jit_vmap_and_shapes(name):
    f = ALL[name]
    x = jnp.linspace(0.1, 5.0, 24).reshape(2, 3, 4) * (1 if name == "log1mexp" else 2)
    x = x - (0 if name == "log1mexp" else 5.0)
    eager = f(x)
    assert eager.shape == x.shape
    np.testing.assert_array_equal(jax.jit(f)(x), eager)
    np.testing.assert_array_equal(jax.vmap(f)(x), eager)
    assert float(f(jnp.float32(1.5))) == float(f(jnp.full((2, 3, 4), 1.5))[1, 2, 3])


@pytest.mark.parametrize("name", list(ALL))
def test_empty_and_scalar_inputs(name):
    f = ALL[name]
    assert f(jnp.zeros((0, 4))).shape == (0, 4)
    assert derivative(f)(jnp.zeros((0,))).shape == (0,)
    assert f(1.5).shape == ()


def test_glu_empty_and_axes():
    assert jaxnn.glu(jnp.zeros((0, 4))).shape == (0, 2)
    assert jaxnn.glu(jnp.zeros((3, 0))).shape == (3, 0)
    assert jaxnn.glu(jnp.ones((4, 6)), 0).shape == (2, 6)
    with pytest.raises(ValueError, match="out of range"):
        jaxnn.glu(jnp.ones((4, 6)), 2)
    with pytest.raises(TypeError, match="axis"):
        jaxnn.glu(jnp.ones((4, 6)), 0.5)


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
    from jaxnn._activations import _gated

    x = jnp.linspace(-1.0, 1.0, 7)
    jaxnn.silu(x)
    before = _gated._silu._cache_size()
    jaxnn.silu(x + 1.0)
    jaxnn.silu(np.linspace(-2.0, 2.0, 7, dtype=np.float32))
    assert _gated._silu._cache_size() == before


# ---------------------------------------------------------------------------
# Derivatives: finite differences, jvp/vjp, hessian
# ---------------------------------------------------------------------------

AWAY_FROM_KINKS = np.array([-7.3, -2.9, -1.3, -0.4, 0.35, 1.7, 4.5, 8.2])
PIECEWISE_SAFE = np.array([-7.3, -2.9, -1.3, -0.4, 0.35, 0.8, 4.5, 8.2])
POSITIVE = np.array([0.01, 0.3, 0.69, 0.7, 1.3, 4.5, 8.2, 30.0])


@pytest.mark.parametrize("name", [n for n in ALL if n != "step"])
def test_float64_values_and_finite_difference_gradients(name):
    # In float64: the dtype is kept, values match mpmath, and central
    # differences (h = 1e-6, error ~1e-10) match the custom derivative in
    # forward (jvp) and reverse (vjp) mode, away from kinks.
    f = ALL[name]
    pts = {"log1mexp": POSITIVE}.get(
        name, PIECEWISE_SAFE if name in PIECEWISE else AWAY_FROM_KINKS
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
    key = {"gelu": "gelu_tanh", "gelu_exact": "gelu", "soft_sign": "softsign"}.get(
        name, name
    )
    if key in accuracy.REFERENCES:
        ref = [float(accuracy.REFERENCES[key][0](mp.mpf(float(v)))) for v in pts]
        np.testing.assert_allclose(np.asarray(y), ref, rtol=1e-13, atol=1e-15)


def test_check_grads():
    # jax.test_util.check_grads (finite differences, fwd and rev) in float64.
    with jax.enable_x64(True):
        x = jnp.asarray(AWAY_FROM_KINKS, dtype=jnp.float64)
        check_grads(jaxnn.gelu, (x,), order=2, modes=["rev"])
        for f in (ALL["gelu_exact"], jaxnn.squareplus, jaxnn.silu):
            check_grads(f, (x,), order=1, modes=["fwd", "rev"])
        check_grads(jaxnn.log1mexp, (jnp.asarray(POSITIVE[1:]),), order=1)


@pytest.mark.parametrize("name", SMOOTH)
def test_second_derivative_float32(name):
    # hessian differentiates the custom derivative rule: it must match mpmath
    # and stay finite out to |x| = 1e4.
    f = accuracy.JAXNN[name]
    value = accuracy.REFERENCES[name][0]
    xs = np.array([-6.0, -1.1, 0.6, 3.3], np.float32)  # 0 is a kink of elu''
    if name == "log1mexp":
        xs = np.abs(xs) + np.float32(0.25)
    ref = np.array([float(mp.diff(value, mp.mpf(float(v)), 2)) for v in xs])
    far = np.concatenate([-np.logspace(-3, 4, 98), np.logspace(-3, 4, 98)])
    if name == "log1mexp":
        far = np.abs(far)
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
    finite = EXTREMES > 0 if name == "log1mexp" else np.ones(EXTREMES.shape, bool)
    finite[:2] = False
    assert np.all(np.isfinite(d[finite])), EXTREMES[finite][~np.isfinite(d[finite])]
    assert np.isnan(np.asarray(f(jnp.array([jnp.nan, 1.0])))[0])


# ---------------------------------------------------------------------------
# Kinks: one documented convention, tested at the kink itself
# ---------------------------------------------------------------------------


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
        (jaxnn.hard_silu, -3.0, 0.0),
        (jaxnn.hard_silu, 3.0, 1.0),
        (jaxnn.sparse_sigmoid, -1.0, 0.0),
        (jaxnn.sparse_sigmoid, 1.0, 0.0),
        (jaxnn.sparse_plus, -1.0, 0.0),
        (jaxnn.sparse_plus, 1.0, 1.0),
        (jaxnn.step, 0.0, 0.0),
        (jaxnn.soft_sign, 0.0, 1.0),
        (functools.partial(jaxnn.squareplus, b=0.0), 0.0, 0.0),
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
    assert float(jax.grad(jaxnn.hard_silu)(3 - eps)) == pytest.approx(1.5, rel=1e-3)
    assert float(jax.grad(jaxnn.sparse_sigmoid)(1 - eps)) == 0.5


def test_second_derivatives_of_piecewise_functions():
    # hard_silu'' = 1/3 inside, 0 outside; sparse_plus'' = 1/2 inside.
    h = derivative(jax.grad(jaxnn.hard_silu))
    np.testing.assert_allclose(
        h(jnp.array([-4.0, -1.0, 2.0, 4.0])), [0, 1 / 3, 1 / 3, 0]
    )
    h = derivative(jax.grad(jaxnn.sparse_plus))
    np.testing.assert_allclose(h(jnp.array([-2.0, 0.5, 2.0])), [0, 0.5, 0])


def test_step_true_derivative_is_zero():
    x = jnp.linspace(-3.0, 3.0, 13)
    np.testing.assert_array_equal(derivative(jaxnn.step)(x), np.zeros(13))


# ---------------------------------------------------------------------------
# NaN
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ALL))
def test_nan_propagates_through_value_and_derivative(name):
    # The derivative at NaN is NaN, never the slope of one piece (grad(step)
    # at NaN used to be 1, grad(relu) 1, jax.nn's relu gives 0).
    f = ALL[name]
    x = jnp.array([jnp.nan, 0.5], jnp.float32)
    assert np.isnan(np.asarray(f(x))[0])
    d = np.asarray(derivative(f)(x))
    if name == "identity":
        assert d[0] == 1.0  # identity's derivative is 1 everywhere
    else:
        assert np.isnan(d[0]), f"{name}'(NaN) = {d[0]}"
    assert not np.isnan(d[1])
    for kind in ("straight_through", "sigmoid", "fast_sigmoid"):
        assert np.isnan(float(jax.grad(jaxnn.surrogate_step(kind))(jnp.nan)))


def test_nan_in_hyperparameter_derivatives():
    x = jnp.array([jnp.nan, -1.0, 1.0])
    for f, p in ((jaxnn.leaky_relu, 0.1), (jaxnn.elu, 1.0), (jaxnn.celu, 1.5)):
        g = jax.vmap(jax.grad(f, argnums=1), (0, None))(x, p)
        assert np.isnan(g[0]) and np.all(np.isfinite(g[1:]))


def test_silu_at_minus_inf_is_zero_not_nan():
    assert float(jaxnn.silu(-jnp.inf)) == 0.0
    assert float(jaxnn.mish(-jnp.inf)) == 0.0
    assert float(jaxnn.gelu(-jnp.inf)) == 0.0
    assert float(jaxnn.gelu(-jnp.inf, approximate=False)) == 0.0


# ---------------------------------------------------------------------------
# Hyperparameters
# ---------------------------------------------------------------------------


def test_hyperparameters_are_differentiable():
    x = jnp.array([-2.0, -0.5, 1.0])
    g = jax.grad(lambda a: jnp.sum(jaxnn.elu(x, alpha=a)))(1.5)
    assert float(g) == pytest.approx(float(np.sum(np.expm1([-2.0, -0.5]))), rel=1e-6)
    g = jax.grad(lambda s: jnp.sum(jaxnn.leaky_relu(x, s)))(0.1)
    assert float(g) == pytest.approx(-2.5)
    g = jax.grad(lambda a: jaxnn.celu(jnp.float32(-1.0), alpha=a))(2.0)
    ref = mp.diff(lambda a: a * mp.expm1(-1 / a), 2)
    assert float(g) == pytest.approx(float(ref), rel=1e-5)
    g = jax.grad(lambda b: jaxnn.squareplus(jnp.float32(-3.0), b))(2.0)
    assert float(g) == pytest.approx(1 / (4 * math.sqrt(11.0)), rel=1e-6)


def test_per_channel_hyperparameters():
    x = jnp.array([[-1.0, -1.0, 2.0]])
    slope = jnp.array([[0.1, 0.2, 0.3]])
    np.testing.assert_allclose(
        jaxnn.leaky_relu(x, slope), [[-0.1, -0.2, 2.0]], rtol=1e-6
    )
    g = jax.grad(lambda s: jnp.sum(jaxnn.leaky_relu(x, s)))(slope)
    np.testing.assert_allclose(g, [[-1.0, -1.0, 0.0]])
    alpha = jnp.array([[0.5, 1.0, 2.0]])
    np.testing.assert_allclose(
        jaxnn.elu(x, alpha), [[0.5 * math.expm1(-1), math.expm1(-1), 2.0]], rtol=1e-6
    )


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


def test_selu_constants_match_paper():
    # Klambauer et al. (2017): alpha and lambda solve the fixed-point equations
    # for mean 0 and variance 1; check against those digits, not our own.
    y = jaxnn.selu(jnp.array([-math.inf, 1.0]))
    np.testing.assert_allclose(y, [-1.7580993408473766, 1.0507009873554805], rtol=1e-7)
