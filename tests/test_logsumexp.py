"""Tests for logsumexp and logmeanexp (jaxnn/_logsumexp.py).

References: mpmath at 50 digits, finite differences in float64, and jax.nn
on ordinary inputs and for the conventions jaxnn shares with it.
"""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from jax.test_util import check_grads

import jaxnn

mp.mp.dps = 50
TINY32 = float(np.finfo(np.float32).tiny)
INF, NAN = float("inf"), float("nan")


def ulps(got, exact, scale=None):
    """|got - exact| in float32 ulps of ``exact`` (or of ``scale``)."""
    ref = mp.mpf(scale if scale is not None else exact)
    if ref == 0:
        return 0.0 if float(got) == float(exact) else float("inf")
    unit = mp.ldexp(1, mp.frexp(ref)[1] - 24)
    return float(abs(mp.mpf(float(got)) - mp.mpf(exact)) / unit)


def _rows(seed, count):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n = int(rng.integers(1, 10))
        spread = float(rng.choice([0.01, 1.0, 10.0, 50.0]))
        offset = float(rng.choice([0.0, rng.uniform(-100.0, 100.0)]))
        a = (rng.standard_normal(n) * spread + offset).astype(np.float32)
        b = rng.uniform(0.1, 3.0, n).astype(np.float32)
        sign = rng.choice([-1.0, 1.0], n).astype(np.float32)
        yield a, b, b * sign


def _cancels(shift, result):
    """Whether result = shift + log(sum) adds terms of opposite signs."""
    return (result - shift) * shift < 0


def test_signatures_are_jax_nn_signatures():
    for name in ("logsumexp", "logmeanexp"):
        ours = inspect.signature(getattr(jaxnn, name)).parameters
        theirs = inspect.signature(getattr(jax.nn, name)).parameters
        assert [(p.name, p.kind, p.default) for p in ours.values()] == [
            (p.name, p.kind, p.default) for p in theirs.values()
        ]


def test_values_against_mpmath():
    # The bounds stated in jaxnn/_logsumexp.py: 3 ulp relatively where
    # max(a) and log(sum) have the same sign, 3 ulp of |max| + |log sum|
    # absolutely in any case; signed sums within 2 ulp times their
    # condition number sum|b e^a| / |sum b e^a| (taken <= 4 here).
    worst = {"lse": 0.0, "lse_b": 0.0, "signed": 0.0, "absolute": 0.0}
    for a, b, signed in _rows(3, 250):
        A = [mp.mpf(float(v)) for v in a]
        m = max(A)
        plain = mp.log(mp.fsum(mp.exp(v) for v in A))
        got = jaxnn.logsumexp(a)
        worst["absolute"] = max(
            worst["absolute"], ulps(got, plain, abs(m) + abs(plain - m))
        )
        if not _cancels(m, plain):
            worst["lse"] = max(worst["lse"], ulps(got, plain))
        weighted = mp.log(
            mp.fsum(mp.mpf(float(w)) * mp.exp(v) for v, w in zip(A, b, strict=True))
        )
        if not _cancels(m, weighted):
            worst["lse_b"] = max(
                worst["lse_b"], ulps(jaxnn.logsumexp(a, b=b), weighted)
            )
        terms = [mp.mpf(float(w)) * mp.exp(v) for v, w in zip(A, signed, strict=True)]
        total = mp.fsum(terms)
        if total != 0 and abs(total) * 4 >= mp.fsum(abs(t) for t in terms):
            out, sign = jaxnn.logsumexp(a, b=signed, return_sign=True)
            assert float(sign) == float(mp.sign(total))
            exact = mp.log(abs(total))
            if not _cancels(m, exact):
                worst["signed"] = max(worst["signed"], ulps(out, exact))
    assert worst["lse"] <= 3 and worst["lse_b"] <= 3
    assert worst["signed"] <= 8  # 2 ulp x condition number 4
    assert worst["absolute"] <= 3


@pytest.mark.parametrize("gap", [1.0, 10.0, 17.0, 20.0, 50.0, 87.0])
def test_sums_near_one_keep_their_digits(gap):
    # logsumexp([0, -gap]) = log1p(exp(-gap)): tiny and accurate (jax.nn
    # rounds 1 + exp(-gap) to 1 beyond gap ~ 17 and returns 0).
    exact = mp.log1p(mp.exp(-gap))
    assert ulps(jaxnn.logsumexp(jnp.array([0.0, -gap])), exact) <= 3
    # With weights that make the sum near 1: 0.5 + 0.5 + 2 exp(-gap).
    x = jnp.array([0.0, 0.0, -gap])
    got = jaxnn.logsumexp(x, b=jnp.array([0.5, 0.5, 2.0]))
    assert ulps(got, mp.log1p(2 * mp.exp(-gap))) <= 3
    # logmeanexp of nearly equal entries: log(cosh(d)) ~ d^2 / 2.
    d = 2.0**-gap if gap < 60 else 1e-18
    lme = jaxnn.logmeanexp(jnp.array([d, -d]))
    dd = mp.mpf(float(np.float32(d)))
    assert ulps(lme, mp.log(mp.cosh(dd)), scale=dd) <= 3


def test_logmeanexp_against_mpmath():
    worst_rel = worst_abs = worst_jax = 0.0
    for a, _, _ in _rows(4, 250):
        A = [mp.mpf(float(v)) for v in a]
        m = max(A)
        exact = mp.log(mp.fsum(mp.exp(v) for v in A) / len(A))
        got = jaxnn.logmeanexp(a)
        worst_abs = max(worst_abs, ulps(got, exact, abs(m) + abs(exact - m)))
        if not _cancels(m, exact) and exact != 0:
            worst_rel = max(worst_rel, ulps(got, exact))
            worst_jax = max(worst_jax, ulps(jax.nn.logmeanexp(a), exact))
    assert worst_rel <= 3 and worst_abs <= 3
    assert worst_jax > 100  # logsumexp - log(n) loses digits that jaxnn keeps


def test_derivatives_against_mpmath():
    # d/da_i = b_i e^{a_i} / sum, d/db_i = e^{a_i} / sum: within 4 ulp where
    # exp(a_i - max a) is a normal float.
    worst = 0.0
    for a, b, _ in _rows(5, 80):
        A = [mp.mpf(float(v)) for v in a]
        m = max(A)
        total = mp.fsum(mp.mpf(float(w)) * mp.exp(v) for v, w in zip(A, b, strict=True))
        da, db = jax.grad(lambda a, b: jaxnn.logsumexp(a, b=b), argnums=(0, 1))(a, b)
        dm = jax.grad(jaxnn.logmeanexp)(a)
        plain = mp.fsum(mp.exp(v) for v in A)
        for i, v in enumerate(A):
            if mp.exp(v - m) < TINY32:
                continue
            worst = max(
                worst,
                ulps(da[i], mp.mpf(float(b[i])) * mp.exp(v) / total),
                ulps(db[i], mp.exp(v) / total),
                ulps(dm[i], mp.exp(v) / plain),
            )
    assert worst <= 4


SPECIAL = [
    # (a, b, where, logsumexp, sign): jax.nn's conventions, each one also
    # what the mathematics says.
    ([INF, 1.0], None, None, INF, 1.0),
    ([INF, -INF], None, None, INF, 1.0),
    ([-INF, -INF], None, None, -INF, 0.0),  # log 0
    ([NAN, 1.0], None, None, NAN, NAN),
    ([INF, 1.0], [-1.0, 1.0], None, NAN, -1.0),  # -inf sum: NaN without sign
    ([1.0, 1.0], [-1.0, 1.0], None, -INF, 0.0),  # exactly 0
    ([1.0, 2.0], [1.0, -1.0], None, NAN, -1.0),  # negative sum
    ([1.0, 2.0], [0.0, 0.0], None, -INF, 0.0),
    ([INF, 2.0], [0.0, 1.0], None, 2.0, 1.0),  # b = 0 leaves +inf out
    ([1.0, 2.0], [NAN, 1.0], None, NAN, NAN),
    ([1.0, 2.0], [INF, 1.0], None, INF, 1.0),
    ([-INF, 2.0], [INF, 1.0], None, NAN, NAN),  # 0 * inf
    ([NAN, 2.0], None, [False, True], 2.0, 1.0),  # masked NaN is left out
    ([INF, 2.0], None, [False, True], 2.0, 1.0),
    ([1.0, 2.0], None, [False, False], -INF, 0.0),
]


@pytest.mark.parametrize(("a", "b", "where", "value", "sign"), SPECIAL)
def test_special_values_as_in_jax_nn(a, b, where, value, sign):
    kw = {
        "b": None if b is None else jnp.array(b),
        "where": None if where is None else jnp.array(where),
    }
    got = jaxnn.logsumexp(jnp.array(a), **kw)
    out, got_sign = jaxnn.logsumexp(jnp.array(a), return_sign=True, **kw)
    np.testing.assert_array_equal(got, value)
    np.testing.assert_array_equal(got, jax.nn.logsumexp(jnp.array(a), **kw))
    theirs = jax.nn.logsumexp(jnp.array(a), return_sign=True, **kw)
    np.testing.assert_array_equal(got_sign, sign)
    np.testing.assert_array_equal(got_sign, theirs[1])
    np.testing.assert_array_equal(out, theirs[0])


def test_logmeanexp_special_values():
    np.testing.assert_array_equal(jaxnn.logmeanexp(jnp.array([INF, 2.0])), INF)
    np.testing.assert_array_equal(jaxnn.logmeanexp(jnp.array([-INF, -INF])), -INF)
    assert bool(jnp.isnan(jaxnn.logmeanexp(jnp.array([NAN, INF]))))
    assert bool(jnp.isnan(jaxnn.logmeanexp(jnp.array([NAN, 1.0]))))
    # Entries left out are not counted; the mean of nothing is NaN.
    where = jnp.array([True, False])
    np.testing.assert_array_equal(
        jaxnn.logmeanexp(jnp.array([1.0, 2.0]), None, where), 1.0
    )
    assert bool(jnp.isnan(jaxnn.logmeanexp(jnp.ones(2), where=jnp.zeros(2, bool))))
    # 1000 - log 2, no overflow.
    got = jaxnn.logmeanexp(jnp.array([0.0, 1000.0]))
    assert ulps(got, 1000 - mp.log(2)) <= 1


@pytest.mark.parametrize(
    ("axis", "keepdims", "masked"),
    [(None, False, False), (0, True, True), (-1, False, True), ((0, 2), True, False),
     ((2, 0), False, True), ((), False, False)],
)  # fmt: skip
def test_agrees_with_jax_nn_on_ordinary_inputs(axis, keepdims, masked, key):
    k1, k2, k3 = jax.random.split(key, 3)
    a = jax.random.uniform(k1, (3, 4, 5), minval=-8.0, maxval=8.0)
    b = jax.random.uniform(k2, (3, 4, 5), minval=0.1, maxval=2.0)
    where = jax.random.bernoulli(k3, 0.7, (3, 4, 5)) if masked else None
    pairs = [
        (jaxnn.logsumexp(a, axis, None, keepdims, False, where),
         jax.nn.logsumexp(a, axis, None, keepdims, False, where)),
        (jaxnn.logsumexp(a, axis, b, keepdims, True, where),
         jax.nn.logsumexp(a, axis, b, keepdims, True, where)),
        (jaxnn.logmeanexp(a, axis, where, keepdims),
         jax.nn.logmeanexp(a, axis, where, keepdims)),
    ]  # fmt: skip
    for ours, theirs in pairs:
        jax.tree.map(
            lambda u, v: (
                (u.shape, u.dtype) == (v.shape, v.dtype)
                or pytest.fail(f"{u.shape} {u.dtype} != {v.shape} {v.dtype}"),
                np.testing.assert_allclose(u, v, rtol=2e-6, atol=2e-6),
            ),
            ours,
            theirs,
        )

    def loss(f, a, b):
        return jnp.sum(f(a, axis, b, where=where) * 1.5)

    for argnums in (0, 1):
        np.testing.assert_allclose(
            jax.grad(loss, argnums=argnums + 1)(jaxnn.logsumexp, a, b),
            jax.grad(loss, argnums=argnums + 1)(jax.nn.logsumexp, a, b),
            rtol=1e-5,
            atol=1e-7,
        )
    np.testing.assert_allclose(
        jax.grad(lambda v: jnp.sum(jaxnn.logmeanexp(v, axis, where)))(a),
        jax.grad(lambda v: jnp.sum(jax.nn.logmeanexp(v, axis, where)))(a),
        rtol=1e-5,
        atol=1e-7,
    )


def test_gradients_against_finite_differences():
    rng = np.random.default_rng(6)
    with jax.enable_x64(True):
        a = jnp.asarray(rng.normal(size=(3, 5)) * 3)
        b = jnp.asarray(rng.uniform(0.2, 2.0, size=(3, 5)))
        where = jnp.asarray(rng.uniform(size=(3, 5)) > 0.3)
        for f in (
            lambda v: jaxnn.logsumexp(v, 1),
            lambda v: jaxnn.logsumexp(v, None, b, where=where),
            lambda v: jaxnn.logsumexp(a, 0, jnp.abs(v) + 0.1),
            lambda v: jaxnn.logsumexp(v, 1, b - 1.0, return_sign=True)[0],
            lambda v: jaxnn.logmeanexp(v, 1, where),
            lambda v: jaxnn.logmeanexp(v, (0, 1), keepdims=True),
        ):
            check_grads(f, (a,), order=2, modes=["fwd", "rev"])


def test_masked_and_empty_rows_pass_no_gradient_and_no_nan():
    a = jnp.array([[1.0, jnp.nan, 3.0], [0.0, 1.0, 2.0]])
    where = jnp.array([[True, False, True], [False, False, False]])
    # d exp(lse) / da_i = exp(a_i) over the entries kept; the masked NaN
    # reaches nothing, and the empty second row (lse = -inf) passes 0.
    g = jax.grad(lambda v: jnp.sum(jnp.exp(jaxnn.logsumexp(v, 1, where=where))))(a)
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g[0], [np.e, 0.0, np.exp(3.0)], rtol=1e-6)
    np.testing.assert_array_equal(g[1], 0.0)
    # The same for an unmasked row of -inf, and for logmeanexp.
    empty = jnp.full((2, 3), -jnp.inf)
    g = jax.grad(lambda v: jnp.sum(jnp.exp(jaxnn.logsumexp(v, 1))))(empty)
    np.testing.assert_array_equal(g, 0.0)
    g = jax.grad(lambda v: jnp.sum(jnp.exp(jaxnn.logmeanexp(v, 1))))(empty)
    np.testing.assert_array_equal(g, 0.0)


def test_weight_derivative_at_zero_weight_is_the_true_one():
    # d/db_i log(sum_j b_j e^{a_j}) = e^{a_i} / sum, also at b_i = 0 (jax.nn
    # drops the entry before differentiating and returns 0: listed among the
    # differences from jax.nn).
    a = jnp.array([1.0, 2.0, 3.0])
    b = jnp.array([1.0, 0.0, 1.0])
    db = jax.grad(lambda w: jaxnn.logsumexp(a, b=w))(b)
    total = mp.exp(1) + mp.exp(3)
    assert ulps(db[1], mp.exp(2) / total) <= 4
    assert float(jax.grad(lambda w: jax.nn.logsumexp(a, b=w))(b)[1]) == 0.0
    # d/da_i is 0 there: the entry is not in the sum.
    assert float(jax.grad(lambda v: jaxnn.logsumexp(v, b=b))(a)[1]) == 0.0


def test_broadcasting_and_shapes():
    a = jnp.arange(6.0).reshape(2, 3)
    # b and where broadcast with a (both ways); the reduction is over the
    # broadcast shape, as in jax.nn.
    got = jaxnn.logsumexp(jnp.ones(3), 0, b=jnp.ones((2, 3)))
    np.testing.assert_allclose(got, np.full(3, 1 + np.log(2)), rtol=1e-6)
    got = jaxnn.logsumexp(a, 1, b=jnp.array([1.0, 2.0, 0.5]), keepdims=True)
    assert got.shape == (2, 1)
    with jax.numpy_rank_promotion("allow"):
        np.testing.assert_allclose(
            got, jax.nn.logsumexp(a, 1, jnp.array([1.0, 2.0, 0.5]), True), rtol=1e-6
        )
    assert jaxnn.logsumexp(a).shape == () and jaxnn.logmeanexp(a, 0).shape == (3,)
    assert jaxnn.logsumexp(a, (0, 1), keepdims=True).shape == (1, 1)
    np.testing.assert_allclose(jaxnn.logsumexp(a, ()), a)
    assert float(jaxnn.logsumexp(2.5)) == 2.5
    # Empty reductions: log 0 = -inf (sign 0); the mean of nothing is NaN.
    np.testing.assert_array_equal(jaxnn.logsumexp(jnp.zeros((2, 0)), 1), [-INF, -INF])
    out, sign = jaxnn.logsumexp(jnp.zeros((0,)), return_sign=True)
    assert float(out) == -INF and float(sign) == 0.0
    assert bool(jnp.all(jnp.isnan(jaxnn.logmeanexp(jnp.zeros((2, 0)), 1))))
    assert jaxnn.logsumexp(jnp.zeros((0, 3)), 1).shape == (0,)
    assert jaxnn.logsumexp(jnp.zeros((0, 3)), 0, keepdims=True).shape == (1, 3)


def test_jit_vmap():
    a = jnp.array([[0.1, 0.7, -0.4], [2.0, 1.0, 0.0]])
    f = jax.jit(jaxnn.logsumexp, static_argnames=("axis", "return_sign"))
    np.testing.assert_array_equal(f(a, axis=1), jaxnn.logsumexp(a, 1))
    out, _ = f(a, axis=0, b=-a, return_sign=True)
    np.testing.assert_array_equal(out, jaxnn.logsumexp(a, 0, -a, return_sign=True)[0])
    np.testing.assert_array_equal(jax.vmap(jaxnn.logsumexp)(a), jaxnn.logsumexp(a, 1))
    np.testing.assert_array_equal(
        jax.vmap(jaxnn.logmeanexp, in_axes=1)(a), jaxnn.logmeanexp(a, 0)
    )


@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16])
def test_half_precision_is_computed_in_float32_and_rounded_once(dtype, key):
    a = (jax.random.normal(key, (4, 7)) * 4).astype(dtype)
    wide = a.astype(jnp.float32)
    for ours, ref in (
        (jaxnn.logsumexp(a, 1), jaxnn.logsumexp(wide, 1)),
        (jaxnn.logsumexp(a, 1, b=2.0), jaxnn.logsumexp(wide, 1, b=2.0)),
        (jaxnn.logmeanexp(a, 0), jaxnn.logmeanexp(wide, 0)),
    ):
        assert ours.dtype == dtype
        np.testing.assert_array_equal(ours, ref.astype(dtype))


def test_dtypes():
    assert jaxnn.logsumexp(np.array([1, 2, 3])).dtype == jnp.float32
    assert jaxnn.logsumexp(np.array([True, False])).dtype == jnp.float32
    ints = jaxnn.logsumexp(jnp.array([1, 2]), b=jnp.array([1, 2]))
    assert ints.dtype == jnp.float32
    half = jnp.ones(3, jnp.float16)
    assert jaxnn.logsumexp(half, b=jnp.ones(3, jnp.float32)).dtype == jnp.float32
    with jax.enable_x64(True):
        assert jaxnn.logsumexp(jnp.arange(3, dtype=jnp.int32)).dtype == jnp.float32
        assert jaxnn.logmeanexp(jnp.arange(3, dtype=jnp.int64)).dtype == jnp.float64
        a = jnp.array([0.0, -40.0])
        got = jaxnn.logsumexp(a)
        assert got.dtype == jnp.float64
        exact = mp.log1p(mp.exp(-40))
        assert abs(mp.mpf(float(got)) - exact) <= 4 * exact * mp.mpf(2) ** -53


def test_complex_input_as_in_jax_nn():
    x = jnp.array([1 + 1j, 2 - 3j, 0.5 + 4j])
    for ours, theirs in (
        (jaxnn.logsumexp(x), jax.nn.logsumexp(x)),
        (jaxnn.logsumexp(x, b=jnp.array([1.0, -1.0, 2.0])),
         jax.nn.logsumexp(x, b=jnp.array([1.0, -1.0, 2.0]))),
        (jaxnn.logmeanexp(x), jax.nn.logmeanexp(x)),
    ):  # fmt: skip
        assert ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_bad_input():
    with pytest.raises(TypeError, match=r"'a'.*list"):
        jaxnn.logsumexp([1.0, 2.0])
    with pytest.raises(TypeError, match=r"'b'"):
        jaxnn.logsumexp(jnp.ones(2), b="weights")
    with pytest.raises(TypeError, match=r"'x'"):
        jaxnn.logmeanexp("x")
    with pytest.raises(ValueError, match=r"b of shape \(2,\) do not broadcast"):
        jaxnn.logsumexp(jnp.ones(3), b=jnp.ones(2))
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        jaxnn.logsumexp(jnp.ones((2, 2)), 2)
    with pytest.raises(TypeError, match="where must have dtype bool"):
        jaxnn.logmeanexp(jnp.ones(3), where=jnp.ones(3))
    with pytest.raises(TypeError, match="keepdims must be True or False"):
        jaxnn.logsumexp(jnp.ones(3), keepdims="yes")
    with pytest.raises(TypeError, match="return_sign must be True or False"):
        jaxnn.logsumexp(jnp.ones(3), return_sign=1)
