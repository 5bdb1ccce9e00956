"""Tests for softmax and log_softmax (jaxnn/_outputs.py).

References: mpmath at 50 digits, the book's printed numbers, the analytic
Jacobian, finite differences in float64, and jax.nn itself on ordinary
inputs (where the two must agree) and for the conventions jaxnn shares with
it.
"""

from __future__ import annotations

import inspect
import itertools

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from jax.test_util import check_grads

import jaxnn

mp.mp.dps = 50
TINY32 = float(np.finfo(np.float32).tiny)


def mp_softmax(row):
    """Exact softmax and log_softmax of a row of floats, and the row's sum."""
    row = [mp.mpf(float(v)) for v in row]
    m = max(row)
    e = [mp.exp(v - m) for v in row]
    total = mp.fsum(e)
    return [v / total for v in e], [v - m - mp.log(total) for v in row]


def ulps(got, exact, bits=24):
    """|got - exact| in units in the last place of ``exact`` (float32 default)."""
    exact = mp.mpf(exact)
    if exact == 0:
        return 0.0 if float(got) == 0 else float("inf")
    return float(
        abs(mp.mpf(float(got)) - exact) / mp.ldexp(1, mp.frexp(exact)[1] - bits)
    )


def _random_rows(seed, count):
    """Rows of 2-12 float32 logits at several spreads and offsets."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n = int(rng.integers(2, 13))
        spread = float(rng.choice([0.01, 1.0, 5.0, 20.0, 60.0]))
        offset = float(rng.choice([0.0, rng.uniform(-1e3, 1e3)]))
        yield (rng.standard_normal(n) * spread + offset).astype(np.float32)


def test_signatures_are_jax_nn_signatures():
    for name in ("softmax", "log_softmax"):
        ours = inspect.signature(getattr(jaxnn, name)).parameters
        theirs = inspect.signature(getattr(jax.nn, name)).parameters
        assert [(p.name, p.kind, p.default) for p in ours.values()] == [
            (p.name, p.kind, p.default) for p in theirs.values()
        ]


def test_book_softmax():
    # Saito, chapter 3: softmax([0.3, 2.9, 4.0]).
    got = jaxnn.softmax(np.array([0.3, 2.9, 4.0]))
    np.testing.assert_allclose(got, [0.01821127, 0.24519181, 0.73659691], rtol=1e-6)
    assert float(jnp.sum(got)) == pytest.approx(1.0, abs=1e-7)


def test_large_logits_exact():
    # Subtracting the max makes softmax of (1000, 1001, 1002) bit-identical
    # to softmax of (-2, -1, 0), within 2 ulp of the exact value.
    big = jaxnn.softmax(jnp.array([1000.0, 1001.0, 1002.0]))
    np.testing.assert_array_equal(big, jaxnn.softmax(jnp.array([-2.0, -1.0, 0.0])))
    p_ref, logp_ref = mp_softmax([1000, 1001, 1002])
    assert max(ulps(g, r) for g, r in zip(big, p_ref, strict=True)) <= 2
    logp = jaxnn.log_softmax(jnp.array([1000.0, 1001.0, 1002.0]))
    assert max(ulps(g, r) for g, r in zip(logp, logp_ref, strict=True)) <= 2


def test_values_against_mpmath():
    # Every log-probability within 4 ulp of the exact value, and every
    # probability that is a normal float within 4.5 ulp (the bound stated in
    # jaxnn/_outputs.py for rows of up to 16 entries: 4 ulp plus the
    # rounding of the row's sum): tails (p down to 1e-38), large offsets
    # (|x| ~ 1e3, where x - max is rounded) and dominant entries.
    worst_p = worst_log = worst_jax = 0.0
    for row in _random_rows(1, 150):
        p_ref, log_ref = mp_softmax(row)
        p = np.asarray(jaxnn.softmax(row))
        logp = np.asarray(jaxnn.log_softmax(row))
        for got, ref in zip(p, p_ref, strict=True):
            if ref > TINY32:
                worst_p = max(worst_p, ulps(got, ref))
        theirs = np.asarray(jax.nn.log_softmax(row))
        for got, jax_got, ref in zip(logp, theirs, log_ref, strict=True):
            if abs(ref) > TINY32:  # -log1p(s) can be below the normal range
                worst_log = max(worst_log, ulps(got, ref))
                worst_jax = max(worst_jax, ulps(jax_got, ref))
    assert worst_p <= 4.5
    assert worst_log <= 4.0
    assert worst_jax > 100.0  # the rows do reach what jax.nn gets wrong


@pytest.mark.parametrize("gap", [1.0, 8.0, 17.0, 20.0, 40.0, 87.0])
def test_dominant_log_probability_keeps_its_digits(gap):
    # log_softmax([gap, 0])[0] = -log1p(exp(-gap)): tiny, and accurate.
    # jax.nn rounds 1 + exp(-gap) first and returns 0 beyond gap ~ 17.
    x = jnp.array([gap, 0.0, -3.0 * gap])
    exact = mp_softmax(np.asarray(x))[1]
    got = jaxnn.log_softmax(x)
    assert all(ulps(g, r) <= 4 for g, r in zip(got, exact, strict=True))
    assert ulps(jaxnn.softmax(x)[1], mp_softmax(np.asarray(x))[0][1]) <= 4


def test_values_against_mpmath_over_axes(key):
    x = jax.random.normal(key, (3, 4, 5)) * 10
    xs = np.asarray(x)
    for axis in (0, 1, -1):
        p = np.asarray(jaxnn.softmax(x, axis))
        logp = np.asarray(jaxnn.log_softmax(x, axis=axis))
        moved_x = np.moveaxis(xs, axis, -1).reshape(-1, xs.shape[axis])
        moved_p = np.moveaxis(p, axis, -1).reshape(moved_x.shape)
        moved_l = np.moveaxis(logp, axis, -1).reshape(moved_x.shape)
        for row, prow, lrow in zip(moved_x, moved_p, moved_l, strict=True):
            p_ref, l_ref = mp_softmax(row)
            assert all(ulps(g, r) <= 4 for g, r in zip(prow, p_ref, strict=True))
            assert all(ulps(g, r) <= 4 for g, r in zip(lrow, l_ref, strict=True))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [-1, 0, 1, (0, 2), (2, 0), None, ()])
@pytest.mark.parametrize("masked", [False, True])
def test_agrees_with_jax_nn_on_ordinary_inputs(name, axis, masked, key):
    # |x| <= 8: both are accurate there, so they agree to float32 rounding.
    k1, k2 = jax.random.split(key)
    x = jax.random.uniform(k1, (3, 4, 5), minval=-8.0, maxval=8.0)
    where = jax.random.bernoulli(k2, 0.7, (3, 4, 5)) if masked else None
    ours = getattr(jaxnn, name)(x, axis, where)
    theirs = getattr(jax.nn, name)(x, axis, where)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=1e-7)

    def loss(v, f):
        y = f(v, axis, where)
        return jnp.sum(jnp.where(where if masked else True, y, 0.0) * x)

    np.testing.assert_allclose(
        jax.grad(loss)(x, getattr(jaxnn, name)),
        jax.grad(loss)(x, getattr(jax.nn, name)),
        rtol=1e-5,
        atol=1e-6,
    )


def test_axis_forms():
    x = jnp.arange(24.0).reshape(2, 3, 4) / 7.0
    # Positional axis, as in jax.nn.
    np.testing.assert_array_equal(jaxnn.softmax(x, 0), jaxnn.softmax(x, axis=0))
    np.testing.assert_array_equal(jaxnn.log_softmax(x, -2), jaxnn.log_softmax(x, 1))
    # A tuple of axes normalises over their product; None over everything.
    p = jaxnn.softmax(x, (1, 2))
    np.testing.assert_allclose(jnp.sum(p, axis=(1, 2)), np.ones(2), rtol=1e-6)
    flat = jaxnn.softmax(x.reshape(2, 12)).reshape(2, 3, 4)
    np.testing.assert_allclose(p, flat, rtol=1e-6)
    np.testing.assert_array_equal(jaxnn.softmax(x, (2, 1)), p)
    everything = jaxnn.softmax(x, None)
    assert float(jnp.sum(everything)) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(everything, jaxnn.softmax(x.ravel()).reshape(x.shape))
    # A scalar normalises over nothing with axis=None (p = 1), and an empty
    # tuple makes every entry its own row.
    assert float(jaxnn.softmax(3.0, None)) == 1.0
    np.testing.assert_array_equal(jaxnn.softmax(x, ()), np.ones(x.shape))


def test_where_broadcasts_both_ways():
    x = jnp.array([1.0, 2.0, 3.0])
    where = jnp.array([[True, True, True], [True, False, True]])
    # A mask of higher rank than x broadcasts x up to it. (jax.nn returns
    # that shape too, but its max over a broadcast mask is wrong there, so it
    # is compared on x broadcast by hand.)
    got = jaxnn.softmax(x, where=where)
    assert got.shape == (2, 3)
    np.testing.assert_array_equal(got[0], jaxnn.softmax(x))
    np.testing.assert_array_equal(got[1, 1], 0.0)
    theirs = jax.nn.softmax(jnp.broadcast_to(x, (2, 3)), where=where)
    np.testing.assert_allclose(got, theirs, rtol=1e-6)
    # And a mask of lower rank broadcasts to x.
    p = jaxnn.log_softmax(jnp.stack([x, x + 1.0]), where=where[1])
    np.testing.assert_array_equal(p[:, 1], -np.inf)


def test_log_softmax_finite_where_softmax_underflows():
    got = jaxnn.log_softmax(jnp.array([0.0, 200.0]))
    np.testing.assert_array_equal(got, [-200.0, 0.0])
    assert float(jaxnn.softmax(jnp.array([0.0, 200.0]))[0]) == 0.0


def test_mask_excludes_entries():
    x = jnp.array([[1.0, 2.0, 3.0, jnp.nan], [0.5, -1.0, 4.0, 2.0]])
    mask = jnp.array([[True, True, False, False], [True, True, True, True]])
    p = jaxnn.softmax(x, where=mask)
    logp = jaxnn.log_softmax(x, where=mask)
    p_ref, l_ref = mp_softmax([1.0, 2.0])
    np.testing.assert_allclose(p[0, :2], np.array(p_ref, float), rtol=1e-6)
    np.testing.assert_array_equal(p[0, 2:], [0.0, 0.0])  # NaN masked out too
    assert not np.any(np.signbit(p))  # +0, not -0
    np.testing.assert_allclose(logp[0, :2], np.array(l_ref, float), rtol=1e-6)
    np.testing.assert_array_equal(logp[0, 2:], [-np.inf, -np.inf])
    np.testing.assert_allclose(p[1], jaxnn.softmax(x[1]), rtol=1e-7)


def test_fully_masked_row_is_zero_and_log_is_minus_inf():
    x = jnp.array([[1.0, 2.0], [3.0, 4.0]])
    mask = jnp.array([[False, False], [True, True]])
    p = jaxnn.softmax(x, where=mask)
    np.testing.assert_array_equal(p[0], [0.0, 0.0])
    np.testing.assert_allclose(jnp.sum(p[1]), 1.0, rtol=1e-7)
    np.testing.assert_array_equal(
        jaxnn.log_softmax(x, where=mask)[0], [-np.inf, -np.inf]
    )
    # Gradients through an empty row are zero, not NaN.
    for f in (jaxnn.softmax, jaxnn.log_softmax):
        g = jax.grad(lambda v, f=f: jnp.sum(jnp.where(mask, f(v, where=mask), 0.0)))(x)
        assert np.all(np.isfinite(g))
        np.testing.assert_array_equal(g[0], [0.0, 0.0])


def test_unmasked_row_of_minus_inf_has_no_candidate():
    # jaxnn's convention (listed among the differences from jax.nn, which
    # gives NaN): a row of -inf is a row with no candidate, like a masked one.
    row = jnp.full((3,), -jnp.inf)
    np.testing.assert_array_equal(jaxnn.softmax(row), np.zeros(3))
    np.testing.assert_array_equal(jaxnn.log_softmax(row), np.full(3, -np.inf))
    assert bool(jnp.all(jnp.isnan(jax.nn.softmax(row))))
    g = jax.grad(lambda v: jnp.sum(jaxnn.softmax(v)))(row)
    np.testing.assert_array_equal(g, np.zeros(3))
    # One -inf entry: probability exactly 0 there, the rest unchanged.
    x = jnp.array([1.0, -jnp.inf, 3.0])
    np.testing.assert_array_equal(jaxnn.softmax(x)[1], 0.0)
    np.testing.assert_allclose(jaxnn.softmax(x)[::2], jaxnn.softmax(x[::2]))


def test_rows_with_plus_inf_are_nan_and_leave_other_rows_alone():
    # inf - inf has no value: a +inf row is NaN, as in jax.nn and PyTorch.
    x = jnp.array([[1.0, jnp.inf, 3.0], [jnp.inf, -jnp.inf, jnp.inf], [0.5, 1.0, 2.0]])
    for f in (jaxnn.softmax, jaxnn.log_softmax):
        y = f(x)
        assert bool(jnp.all(jnp.isnan(y[:2])))
        np.testing.assert_array_equal(y[2], f(x[2]))
    for f in (jax.nn.softmax, jax.nn.log_softmax):
        assert bool(jnp.all(jnp.isnan(f(x[:2]))))
    # Masking the +inf entry out makes the row ordinary again.
    mask = jnp.array([True, False, True])
    p_ref, _ = mp_softmax([1.0, 3.0])
    np.testing.assert_allclose(
        jaxnn.softmax(x[0], where=mask)[jnp.array([0, 2])],
        np.array(p_ref, float),
        rtol=1e-6,
    )


def test_nan_poisons_only_its_row():
    for f in (jaxnn.softmax, jaxnn.log_softmax):
        y = f(jnp.array([[1.0, jnp.nan], [1.0, 2.0]]))
        assert bool(jnp.all(jnp.isnan(y[0])))
        assert bool(jnp.all(jnp.isfinite(y[1])))


@pytest.mark.parametrize("shape", [(0,), (2, 0), (0, 3), (0, 0)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_empty_arrays(shape, name):
    f = getattr(jaxnn, name)
    for axis in (-1, 0, None):
        for g in (f, jax.jit(f, static_argnums=1)):
            y = g(jnp.zeros(shape), axis)
            assert y.shape == shape and y.dtype == jnp.float32
    assert jax.grad(lambda v: jnp.sum(f(v)))(jnp.zeros(shape)).shape == shape


def test_jacobian_is_analytic_and_finite_differences_agree():
    x = jnp.array([0.3, -1.2, 2.9, 4.0])
    s = jaxnn.softmax(x)
    np.testing.assert_allclose(
        jax.jacobian(jaxnn.softmax)(x), jnp.diag(s) - jnp.outer(s, s), atol=1e-7
    )
    np.testing.assert_allclose(
        jax.jacfwd(jaxnn.log_softmax)(x), jnp.eye(4) - s[None, :], atol=1e-7
    )
    with jax.enable_x64(True):
        x64 = jnp.asarray([0.3, -1.2, 2.9, 4.0], dtype=jnp.float64)
        where = jnp.array([True, False, True, True])
        for f in (jaxnn.softmax, jaxnn.log_softmax):
            check_grads(f, (x64,), order=2, modes=["fwd", "rev"])
            check_grads(
                lambda v, f=f: jnp.where(where, f(v, where=where), 0.0),
                (x64,),
                order=2,
                modes=["fwd", "rev"],
            )
        assert jaxnn.softmax(x64).dtype == jnp.float64


def test_jacobian_entries_against_mpmath():
    # d softmax_i / d x_j = p_i (delta_ij - p_j); d log_softmax_i / d x_j =
    # delta_ij - p_j. The bounds stated in jaxnn/_outputs.py: 4.5 ulp for
    # log_softmax's entries, 7 ulp for softmax's (products of two
    # probabilities), where the exact value is a normal float, except
    # 1 - p_i for p_i > 1/2, which is computed as written and so has an
    # absolute error of a few eps (as in jax.nn).
    eps = float(np.finfo(np.float32).eps)
    for row in itertools.islice(_random_rows(2, 30), 30):
        p_ref = mp_softmax(row)[0]
        jac_p = np.asarray(jax.jacrev(jaxnn.softmax)(row))
        jac_l = np.asarray(jax.jacfwd(jaxnn.log_softmax)(row))
        for i, j in itertools.product(range(len(row)), repeat=2):
            exact_l = (1 if i == j else 0) - p_ref[j]
            exact_p = p_ref[i] * exact_l
            if i == j and p_ref[i] > 0.5:
                assert abs(jac_l[i, j] - float(exact_l)) <= 4 * eps
                assert abs(jac_p[i, j] - float(exact_p)) <= 4 * eps
                continue
            if abs(exact_l) > TINY32:
                assert ulps(jac_l[i, j], exact_l) <= 4.5
            if abs(exact_p) > TINY32:
                assert ulps(jac_p[i, j], exact_p) <= 7


def test_masked_gradient_ignores_masked_entries():
    x = jnp.array([1.0, 2.0, 3.0])
    mask = jnp.array([True, True, False])
    g = jax.grad(lambda v: jaxnn.log_softmax(v, where=mask)[0])(x)
    s = jaxnn.softmax(x[:2])
    np.testing.assert_allclose(g, [1 - s[0], -s[1], 0.0], rtol=1e-6)
    # A NaN or inf in a masked entry reaches neither value nor gradient.
    bad = jnp.array([1.0, 2.0, jnp.nan])
    g = jax.grad(lambda v: jnp.sum(jaxnn.softmax(v, where=mask) * x))(bad)
    assert np.all(np.isfinite(g)) and float(g[2]) == 0.0


def test_jit_vmap_hessian():
    x = jnp.array([[0.1, 0.7, -0.4], [2.0, 1.0, 0.0]])
    np.testing.assert_array_equal(jax.jit(jaxnn.softmax)(x), jaxnn.softmax(x))
    np.testing.assert_array_equal(
        jax.jit(jaxnn.log_softmax, static_argnums=1)(x, 0), jaxnn.log_softmax(x, 0)
    )
    np.testing.assert_array_equal(jax.vmap(jaxnn.log_softmax)(x), jaxnn.log_softmax(x))
    np.testing.assert_array_equal(
        jax.vmap(jaxnn.softmax, in_axes=1, out_axes=1)(x), jaxnn.softmax(x, 0)
    )
    h = jax.hessian(lambda v: jaxnn.log_softmax(v)[0])(x[0])
    s = np.asarray(jaxnn.softmax(x[0]), np.float64)
    np.testing.assert_allclose(h, -(np.diag(s) - np.outer(s, s)), atol=1e-6)
    # The value from jvp is the value itself, bit for bit.
    y, _ = jax.jvp(jaxnn.log_softmax, (x,), (jnp.ones_like(x),))
    np.testing.assert_array_equal(y, jaxnn.log_softmax(x))


@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_half_precision_is_computed_in_float32_and_rounded_once(dtype, name, key):
    f = getattr(jaxnn, name)
    x = (jax.random.normal(key, (4, 7)) * 4).astype(dtype)
    got = f(x)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, f(x.astype(jnp.float32)).astype(dtype))


def test_dtypes():
    x = jnp.array([0.5, 1.5, -2.0])
    for dtype in (jnp.float16, jnp.bfloat16, jnp.float32):
        assert jaxnn.softmax(x.astype(dtype)).dtype == dtype
        assert jaxnn.log_softmax(x.astype(dtype)).dtype == dtype
    assert jaxnn.softmax(np.array([1, 2, 3])).dtype == jnp.float32
    assert jaxnn.softmax(np.array([True, False])).dtype == jnp.float32
    # uint8 logits work (jax.nn's max with initial=-inf gives NaN there).
    np.testing.assert_allclose(
        jaxnn.softmax(np.array([1, 2, 3], np.uint8)),
        jaxnn.softmax(jnp.array([1.0, 2.0, 3.0])),
    )
    with jax.enable_x64(True):
        # int32 stays float32 under x64, as in jax.nn; int64 gives float64.
        assert jaxnn.softmax(jnp.arange(3, dtype=jnp.int32)).dtype == jnp.float32
        assert jaxnn.softmax(jnp.arange(3, dtype=jnp.int64)).dtype == jnp.float64
        row = np.array([0.3, -40.0, 2.9, 4.0, 700.0, 650.0])
        p_ref, l_ref = mp_softmax(row)
        p = jaxnn.softmax(jnp.asarray(row))
        logp = jaxnn.log_softmax(jnp.asarray(row))
        assert p.dtype == jnp.float64
        tiny64 = float(np.finfo(np.float64).tiny)
        for got, ref in zip(p, p_ref, strict=True):
            assert ref < tiny64 or ulps(got, ref, bits=53) <= 4
        for got, ref in zip(logp, l_ref, strict=True):
            assert ulps(got, ref, bits=53) <= 4


def test_complex_input_as_in_jax_nn():
    x = jnp.array([1 + 1j, 2 - 3j, 0.5 + 4j])
    where = jnp.array([True, False, True])
    for name in ("softmax", "log_softmax"):
        for kwargs in ({}, {"where": where}):
            ours = getattr(jaxnn, name)(x, **kwargs)
            theirs = getattr(jax.nn, name)(x, **kwargs)
            assert ours.dtype == jnp.complex64
            np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_bad_input():
    with pytest.raises(TypeError, match=r"'x'.*list"):
        jaxnn.softmax([1.0, 2.0])
    with pytest.raises(ValueError, match="axis 1 is out of range"):
        jaxnn.softmax(jnp.ones(3), axis=1)
    with pytest.raises(ValueError, match="axis -1 is out of range"):
        jaxnn.softmax(jnp.ones(()))  # jax.nn raises too: a scalar has no axis
    with pytest.raises(ValueError, match="repeats an axis"):
        jaxnn.log_softmax(jnp.ones((2, 2)), (0, -2))
    with pytest.raises(TypeError, match="axis"):
        jaxnn.softmax(jnp.ones(3), axis=True)
    with pytest.raises(TypeError, match="axis"):
        jaxnn.softmax(jnp.ones(3), axis="last")
    with pytest.raises(TypeError, match="where must have dtype bool"):
        jaxnn.softmax(jnp.ones(3), where=jnp.ones(3))
    with pytest.raises(ValueError, match=r"where of shape \(2,\) do not broadcast"):
        jaxnn.softmax(jnp.ones(3), where=jnp.array([True, False]))


def _cross_entropy_grad(output):
    def loss(logits, target):
        return -jnp.mean(jnp.sum(target * output(logits), axis=-1))

    return jax.jit(jax.grad(loss))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_gradient_memory_matches_jax_nn(name):
    # XLA's own accounting of the compiled gradient: jaxnn's rule keeps no
    # more than jax.nn's (the probabilities, computed once). Shapes only.
    logits = jax.ShapeDtypeStruct((4096, 1000), jnp.float32)
    sizes = []
    for f in (getattr(jaxnn, name), getattr(jax.nn, name)):
        compiled = _cross_entropy_grad(f).lower(logits, logits).compile()
        stats = compiled.memory_analysis()
        sizes.append(stats.temp_size_in_bytes + stats.output_size_in_bytes)
    assert sizes[0] <= sizes[1]


def _book_shaped_forward(batch, bias3):
    """The book network's shapes (784-50-100-10) on random inputs, last bias given.

    Large batches make XLA's CPU backend fuse the whole forward pass (the
    matrix products, the sigmoids and the softmax) into one computation, where
    min and max need not propagate NaN; the conventions must hold there too.
    """
    key = jax.random.key(7)
    params = jaxnn.init_mlp(key, (784, 50, 100, 10), activation=jaxnn.sigmoid)
    params = (*params[:-1], jaxnn.Dense(params[-1].weight, bias3))
    x = jax.random.uniform(key, (batch, 784))
    outs = []
    for output in (jaxnn.softmax, jaxnn.log_softmax):
        f = jax.jit(
            lambda p, x, output=output: jaxnn.mlp(
                p, x, activation=jaxnn.sigmoid, output=output
            )
        )
        outs.append(np.asarray(f(params, x)))
    return outs


@pytest.mark.parametrize("batch", [1000, 10000])
def test_row_conventions_hold_inside_a_fused_forward_pass(batch):
    zeros = jnp.zeros(10)
    p, logp = _book_shaped_forward(batch, zeros)
    assert np.all(np.isfinite(p)) and np.all(np.isfinite(logp))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.exp(logp), p, rtol=1e-5)
    # A NaN logit in every row: every row NaN, never a one-hot or a
    # renormalised row that silently skipped it.
    for bias in (zeros.at[3].set(jnp.nan), zeros.at[2].set(jnp.inf)):
        p, logp = _book_shaped_forward(batch, bias)
        assert np.all(np.isnan(p)) and np.all(np.isnan(logp))
    # No candidate at all: zeros and -inf, no NaN.
    p, logp = _book_shaped_forward(batch, jnp.full(10, -jnp.inf))
    np.testing.assert_array_equal(p, 0.0)
    np.testing.assert_array_equal(logp, -np.inf)
    # One -inf logit: probability exactly 0 there, the rest still sums to 1.
    p, logp = _book_shaped_forward(batch, zeros.at[4].set(-jnp.inf))
    np.testing.assert_array_equal(p[:, 4], 0.0)
    np.testing.assert_array_equal(logp[:, 4], -np.inf)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
