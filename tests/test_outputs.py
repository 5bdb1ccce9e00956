"""Tests for softmax and log_softmax (jaxnn/_outputs.py).

References: mpmath, the book's printed numbers, and the analytic Jacobian.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from jax.test_util import check_grads

import jaxnn

mp.mp.dps = 40


def mp_softmax(row):
    row = [mp.mpf(float(v)) for v in row]
    m = max(row)
    e = [mp.exp(v - m) for v in row]
    total = sum(e)
    return np.array([float(v / total) for v in e]), np.array(
        [float(v - m - mp.log(total)) for v in row]
    )


def ulps(got, ref):
    _, e = np.frexp(ref)
    return np.abs(np.asarray(got, np.float64) - ref) / np.ldexp(1.0, e - 24)


def test_book_softmax():
    # Saito, chapter 3: softmax([0.3, 2.9, 4.0]).
    got = jaxnn.softmax(np.array([0.3, 2.9, 4.0]))
    np.testing.assert_allclose(got, [0.01821127, 0.24519181, 0.73659691], rtol=1e-6)
    assert float(jnp.sum(got)) == pytest.approx(1.0, abs=1e-7)


def test_large_logits_exact():
    # The issue: softmax of (1000, 1001, 1002) is exact. Subtracting the max
    # makes it bit-identical to softmax of (-2, -1, 0) and within 2 ulp of
    # the exact value.
    big = jaxnn.softmax(jnp.array([1000.0, 1001.0, 1002.0]))
    np.testing.assert_array_equal(big, jaxnn.softmax(jnp.array([-2.0, -1.0, 0.0])))
    p_ref, logp_ref = mp_softmax([1000, 1001, 1002])
    assert np.max(ulps(big, p_ref)) <= 2
    logp = jaxnn.log_softmax(jnp.array([1000.0, 1001.0, 1002.0]))
    assert np.max(ulps(logp, logp_ref)) <= 2


def test_values_against_mpmath_over_axes(key):
    x = jax.random.normal(key, (3, 4, 5)) * 10
    xs = np.asarray(x)
    for axis in (0, 1, -1):
        p = np.asarray(jaxnn.softmax(x, axis=axis))
        logp = np.asarray(jaxnn.log_softmax(x, axis=axis))
        moved_x = np.moveaxis(xs, axis, -1).reshape(-1, xs.shape[axis])
        moved_p = np.moveaxis(p, axis, -1).reshape(moved_x.shape)
        moved_l = np.moveaxis(logp, axis, -1).reshape(moved_x.shape)
        for row, prow, lrow in zip(moved_x, moved_p, moved_l, strict=True):
            p_ref, l_ref = mp_softmax(row)
            np.testing.assert_allclose(prow, p_ref, rtol=2e-6, atol=1e-30)
            np.testing.assert_allclose(lrow, l_ref, rtol=2e-6, atol=2e-6)
    # A tuple of axes normalises over their product.
    p = jaxnn.softmax(x, axis=(1, 2))
    np.testing.assert_allclose(jnp.sum(p, axis=(1, 2)), np.ones(3), rtol=1e-6)
    flat = jaxnn.softmax(x.reshape(3, 20)).reshape(3, 4, 5)
    np.testing.assert_allclose(p, flat, rtol=1e-6)


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
    np.testing.assert_allclose(p[0, :2], p_ref, rtol=1e-6)
    np.testing.assert_array_equal(p[0, 2:], [0.0, 0.0])  # NaN masked out too
    np.testing.assert_allclose(logp[0, :2], l_ref, rtol=1e-6)
    np.testing.assert_array_equal(logp[0, 2:], [-np.inf, -np.inf])
    np.testing.assert_allclose(p[1], jaxnn.softmax(x[1]), rtol=1e-7)
    # A mask of lower rank broadcasts explicitly.
    p_b = jaxnn.softmax(x[1:], where=jnp.array([True, False, True, True]))
    assert float(p_b[0, 1]) == 0.0


def test_fully_masked_row_is_zero_and_log_is_minus_inf():
    x = jnp.array([[1.0, 2.0], [3.0, 4.0]])
    mask = jnp.array([[False, False], [True, True]])
    p = jaxnn.softmax(x, where=mask)
    np.testing.assert_array_equal(p[0], [0.0, 0.0])
    np.testing.assert_allclose(jnp.sum(p[1]), 1.0, rtol=1e-7)
    np.testing.assert_array_equal(
        jaxnn.log_softmax(x, where=mask)[0], [-np.inf, -np.inf]
    )
    # Unmasked rows of -inf have no candidate either.
    np.testing.assert_array_equal(jaxnn.softmax(jnp.full((3,), -jnp.inf)), np.zeros(3))
    # Gradients through an empty row are zero, not NaN.
    for f in (jaxnn.softmax, jaxnn.log_softmax):
        g = jax.grad(lambda v, f=f: jnp.sum(jnp.where(mask, f(v, where=mask), 0.0)))(x)
        assert np.all(np.isfinite(g))
        np.testing.assert_array_equal(g[0], [0.0, 0.0])


def test_rows_with_plus_inf_are_nan_and_leave_other_rows_alone():
    # inf - inf has no value: a +inf row is NaN, as in jax.nn and PyTorch.
    x = jnp.array([[1.0, jnp.inf, 3.0], [jnp.inf, -jnp.inf, jnp.inf], [0.5, 1.0, 2.0]])
    for f in (jaxnn.softmax, jaxnn.log_softmax):
        y = f(x)
        assert bool(jnp.all(jnp.isnan(y[:2])))
        np.testing.assert_array_equal(y[2], f(x[2]))
    # Masking the +inf entry out makes the row ordinary again.
    mask = jnp.array([True, False, True])
    p_ref, _ = mp_softmax([1.0, 3.0])
    np.testing.assert_allclose(
        jaxnn.softmax(x[0], where=mask)[jnp.array([0, 2])], p_ref, rtol=1e-6
    )


def test_nan_poisons_only_its_row():
    p = jaxnn.softmax(jnp.array([[1.0, jnp.nan], [1.0, 2.0]]))
    assert bool(jnp.all(jnp.isnan(p[0])))
    assert bool(jnp.all(jnp.isfinite(p[1])))


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
        for f in (jaxnn.softmax, jaxnn.log_softmax):
            check_grads(f, (x64,), order=2, modes=["fwd", "rev"])
        assert jaxnn.softmax(x64).dtype == jnp.float64


def test_masked_gradient_ignores_masked_entries():
    x = jnp.array([1.0, 2.0, 3.0])
    mask = jnp.array([True, True, False])
    g = jax.grad(lambda v: jaxnn.log_softmax(v, where=mask)[0])(x)
    s = jaxnn.softmax(x[:2])
    np.testing.assert_allclose(g, [1 - s[0], -s[1], 0.0], rtol=1e-6)


def test_jit_vmap_hessian():
    x = jnp.array([[0.1, 0.7, -0.4], [2.0, 1.0, 0.0]])
    np.testing.assert_array_equal(jax.jit(jaxnn.softmax)(x), jaxnn.softmax(x))
    np.testing.assert_array_equal(jax.vmap(jaxnn.log_softmax)(x), jaxnn.log_softmax(x))
    h = jax.hessian(lambda v: jaxnn.log_softmax(v)[0])(x[0])
    s = np.asarray(jaxnn.softmax(x[0]), np.float64)
    np.testing.assert_allclose(h, -(np.diag(s) - np.outer(s, s)), atol=1e-6)


def test_dtypes():
    x = jnp.array([0.5, 1.5, -2.0])
    for dtype in (jnp.float16, jnp.bfloat16, jnp.float32):
        assert jaxnn.softmax(x.astype(dtype)).dtype == dtype
        assert jaxnn.log_softmax(x.astype(dtype)).dtype == dtype
    assert jaxnn.softmax(np.array([1, 2, 3])).dtype == jnp.float32
    assert jaxnn.softmax(np.array([True, False])).dtype == jnp.float32


def test_bad_input():
    with pytest.raises(TypeError, match=r"'x'.*list"):
        jaxnn.softmax([1.0, 2.0])
    with pytest.raises(TypeError, match="complex"):
        jaxnn.log_softmax(jnp.array([1 + 1j]))
    with pytest.raises(ValueError, match="axis 1 is out of range"):
        jaxnn.softmax(jnp.ones(3), axis=1)
    with pytest.raises(TypeError, match="axis"):
        jaxnn.softmax(jnp.ones(3), axis=True)
    with pytest.raises(TypeError, match="axis"):
        jaxnn.softmax(jnp.ones(3), axis="last")
    with pytest.raises(TypeError, match="where must have dtype bool"):
        jaxnn.softmax(jnp.ones(3), where=jnp.ones(3))
    with pytest.raises(ValueError, match="does not broadcast"):
        jaxnn.softmax(jnp.ones(3), where=jnp.array([True, False]))
    with pytest.raises(TypeError):
        jaxnn.softmax(jnp.ones(3), -1)  # axis is keyword-only


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
