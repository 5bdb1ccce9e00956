"""Tests for standardize (jaxnn/_standardize.py).

References: a float64 NumPy two-pass computation on the same float32
inputs, finite differences in float64, and jax.nn on ordinary inputs.
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

EPS = float(np.float32(1e-5))


def reference(x, axis=-1, where=None, mean=None, variance=None, epsilon=EPS):
    """Two-pass standardisation in float64 NumPy."""
    x = np.asarray(x, np.float64)
    w = np.ones(x.shape, bool) if where is None else np.broadcast_to(where, x.shape)
    count = np.sum(w, axis=axis, keepdims=True)
    if mean is None:
        mean = np.sum(np.where(w, x, 0.0), axis=axis, keepdims=True) / count
    dev = x - np.asarray(mean, np.float64)
    if variance is None:
        variance = np.sum(np.where(w, dev**2, 0.0), axis=axis, keepdims=True) / count
    return dev / np.sqrt(np.asarray(variance, np.float64) + epsilon)


def err_ulps(got, ref):
    """|got - ref| in float32 ulps of max(|ref|, 1)."""
    _, e = np.frexp(np.maximum(np.abs(ref), 1.0))
    return np.abs(np.asarray(got, np.float64) - ref) / np.ldexp(1.0, e - 24)


def test_signature_is_jax_nn_signature():
    ours = inspect.signature(jaxnn.standardize).parameters
    theirs = inspect.signature(jax.nn.standardize).parameters
    assert [(p.name, p.kind, p.default) for p in ours.values()] == [
        (p.name, p.kind, p.default) for p in theirs.values()
    ]


@pytest.mark.parametrize("n", [3, 10, 300])
@pytest.mark.parametrize("offset", [0.0, 1.0, 1e2, 1e4, 1e6])
def test_within_4_ulp_whatever_the_offset(n, offset):
    # The bound stated in jaxnn/_standardize.py: within 4 ulp of
    # max(|y|, 1). jax.nn's default ("fast") loses every digit once the
    # offset is large against the spread; its "stable" loses most.
    rng = np.random.default_rng(int(offset) + n)
    rows = 3000 // n
    spread = rng.choice([1e-2, 1.0, 10.0], (rows, 1))
    signs = rng.choice([-1.0, 1.0], (rows, 1))
    x = (rng.standard_normal((rows, n)) * spread + offset * signs).astype(np.float32)
    ref = reference(x)
    assert err_ulps(jaxnn.standardize(x), ref).max() <= 4
    assert err_ulps(jaxnn.standardize(x, algorithm="stable"), ref).max() <= 4
    if offset >= 1e2:
        assert err_ulps(jax.nn.standardize(x), ref).max() > 1e6


def test_where_mean_variance_and_axes():
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((4, 5, 6)) * 3 + 50).astype(np.float32)
    where = rng.uniform(size=(4, 5, 6)) > 0.3
    where[0] = where[..., 0] = True  # no row without a selected entry
    for axis in (-1, 0, (0, 2), None):
        ax = tuple(range(3)) if axis is None else axis
        got = jaxnn.standardize(x, axis, where=where)
        assert err_ulps(got, reference(x, ax, where)).max() <= 4
        assert err_ulps(jaxnn.standardize(x, axis), reference(x, ax)).max() <= 4
    # A lower-rank mask broadcasts; every entry is standardised, masked ones
    # by the statistics of the others.
    got = jaxnn.standardize(x, where=where[0, 0])
    assert err_ulps(got, reference(x, -1, where[0, 0])).max() <= 4
    # Given statistics, scalars or arrays that broadcast.
    mean = np.float32(49.0)
    variance = rng.uniform(1, 2, (4, 5, 1)).astype(np.float32)
    got = jaxnn.standardize(x, -1, mean, variance)
    assert err_ulps(got, reference(x, -1, None, mean, variance)).max() <= 4
    # With only the mean given, the variance is the mean squared deviation
    # from it (jax.nn's "stable"; its "fast" computes mean(x^2) - mean^2).
    got = jaxnn.standardize(x, -1, mean=mean)
    assert err_ulps(got, reference(x, -1, None, mean)).max() <= 4
    theirs = jax.nn.standardize(x, -1, mean=mean, algorithm="stable")
    np.testing.assert_allclose(got, theirs, rtol=1e-5)
    # epsilon as an array, and epsilon = 0.
    eps = np.full((4, 5, 1), 0.5, np.float32)
    got = jaxnn.standardize(x, epsilon=eps)
    assert err_ulps(got, reference(x, epsilon=eps.astype(np.float64))).max() <= 4
    got = jaxnn.standardize(x, epsilon=0.0)
    assert err_ulps(got, reference(x, epsilon=0.0)).max() <= 4


@pytest.mark.parametrize(
    ("axis", "masked"), [(-1, False), (0, True), ((0, 2), False), (None, True)]
)
def test_agrees_with_jax_nn_on_ordinary_inputs(axis, masked, key):
    k1, k2, k3 = jax.random.split(key, 3)
    x = jax.random.uniform(k1, (3, 4, 5), minval=-8.0, maxval=8.0)
    where = jax.random.bernoulli(k2, 0.8, (3, 4, 5)) if masked else None
    ct = jax.random.normal(k3, (3, 4, 5))
    ours = jaxnn.standardize(x, axis, where=where)
    theirs = jax.nn.standardize(x, axis, where=where, algorithm="stable")
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        jax.grad(lambda v: jnp.sum(jaxnn.standardize(v, axis, where=where) * ct))(x),
        jax.grad(
            lambda v: jnp.sum(
                jax.nn.standardize(v, axis, where=where, algorithm="stable") * ct
            )
        )(x),
        rtol=1e-4,
        atol=1e-5,
    )


def test_gradients_against_finite_differences():
    rng = np.random.default_rng(2)
    with jax.enable_x64(True):
        x = jnp.asarray(rng.normal(size=(3, 5)) * 3 + 10)
        where = jnp.asarray(rng.uniform(size=(3, 5)) > 0.3)
        var = jnp.asarray(rng.uniform(1, 2, size=(3, 1)))
        for f in (
            lambda v: jaxnn.standardize(v),
            lambda v: jaxnn.standardize(v, 0, where=where),
            lambda v: jaxnn.standardize(v, None, epsilon=0.1),
            lambda v: jaxnn.standardize(v, 1, mean=10.0),
            lambda v: jaxnn.standardize(x, 1, mean=v, variance=var),
            lambda v: jaxnn.standardize(x, 1, variance=jnp.abs(v) + 1.0),
        ):
            check_grads(f, (x,), order=2, modes=["fwd", "rev"])


def test_conventions():
    # A constant row: deviations 0, variance 0, result 0 (epsilon > 0).
    np.testing.assert_array_equal(jaxnn.standardize(jnp.full(4, 1e4 + 0.5)), 0.0)
    # A row with one entry selected: variance exactly 0 (jax.nn's "fast" can
    # give a small positive or clipped value from cancellation).
    x = jnp.array([3.0, 7.0, 1e4])
    got = jaxnn.standardize(x, where=jnp.array([True, False, False]))
    np.testing.assert_allclose(got, (x - 3.0) / np.sqrt(EPS), rtol=1e-6)
    # No entry selected: the mean of nothing is NaN, as in jax.nn.
    got = jaxnn.standardize(jnp.ones((2, 3)), where=jnp.zeros(3, bool))
    assert bool(jnp.all(jnp.isnan(got)))
    # NaN in a row makes that row NaN; inf too (inf - inf).
    got = jaxnn.standardize(jnp.array([[1.0, jnp.nan, 3.0], [1.0, 2.0, 3.0]]))
    assert bool(jnp.all(jnp.isnan(got[0]))) and bool(jnp.all(jnp.isfinite(got[1])))
    # A NaN left out by the mask reaches nothing... except its own entry.
    got = jaxnn.standardize(
        jnp.array([1.0, jnp.nan, 3.0]), where=jnp.array([True, False, True])
    )
    np.testing.assert_allclose(got[::2], [-1.0, 1.0], rtol=1e-4)
    assert bool(jnp.isnan(got[1]))


@pytest.mark.parametrize("shape", [(0,), (2, 0), (0, 3)])
def test_empty_arrays(shape):
    for axis in (-1, 0, None):
        y = jaxnn.standardize(jnp.zeros(shape), axis)
        assert y.shape == shape and y.dtype == jnp.float32


def test_jit_vmap():
    x = jnp.array([[0.1, 0.7, -0.4], [2.0, 1.0, 0.0]])
    f = jax.jit(jaxnn.standardize, static_argnames=("axis", "algorithm"))
    np.testing.assert_array_equal(f(x, axis=0), jaxnn.standardize(x, 0))
    np.testing.assert_array_equal(jax.vmap(jaxnn.standardize)(x), jaxnn.standardize(x))


@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16])
def test_half_precision_is_computed_in_float32_and_rounded_once(dtype, key):
    x = (jax.random.normal(key, (4, 7)) * 4 + 100).astype(dtype)
    got = jaxnn.standardize(x)
    assert got.dtype == dtype
    np.testing.assert_array_equal(
        got, jaxnn.standardize(x.astype(jnp.float32)).astype(dtype)
    )


def test_dtypes():
    assert jaxnn.standardize(np.array([1, 2, 3])).dtype == jnp.float32
    x16 = jnp.ones(3, jnp.float16)
    assert jaxnn.standardize(x16, mean=jnp.float32(0.5)).dtype == jnp.float32
    assert jaxnn.standardize(x16, mean=0.5).dtype == jnp.float16
    with jax.enable_x64(True):
        assert jaxnn.standardize(jnp.arange(3, dtype=jnp.int32)).dtype == jnp.float32
        assert jaxnn.standardize(jnp.arange(3.0)).dtype == jnp.float64
        # float64 with an offset of 1e8 (float64 NumPy's own two-pass is off
        # by 1e-8 here; mpmath is the reference).
        mp.mp.dps = 50
        x = np.random.default_rng(3).normal(size=50) + 1e8
        got = np.asarray(jaxnn.standardize(jnp.asarray(x)))
        xs = [mp.mpf(float(v)) for v in x]
        mean = mp.fsum(xs) / len(xs)
        scale = mp.sqrt(mp.fsum((v - mean) ** 2 for v in xs) / len(xs) + mp.mpf(1e-5))
        ref = np.array([float((v - mean) / scale) for v in xs])
        assert np.max(np.abs(got - ref) / np.maximum(np.abs(ref), 1)) < 4 * 2.0**-52


def test_bad_input():
    with pytest.raises(ValueError, match="algorithm must be 'fast' or 'stable'"):
        jaxnn.standardize(jnp.ones(3), algorithm="welford")
    with pytest.raises(TypeError, match=r"'x'.*list"):
        jaxnn.standardize([1.0, 2.0])
    with pytest.raises(TypeError, match="complex"):
        jaxnn.standardize(jnp.array([1 + 1j]))
    with pytest.raises(TypeError, match="'mean'"):
        jaxnn.standardize(jnp.ones(3), mean="zero")
    with pytest.raises(ValueError, match=r"variance of shape \(2,\)"):
        jaxnn.standardize(jnp.ones(3), variance=jnp.ones(2))
    with pytest.raises(ValueError, match="axis 1 is out of range"):
        jaxnn.standardize(jnp.ones(3), 1)
    with pytest.raises(TypeError, match="where must have dtype bool"):
        jaxnn.standardize(jnp.ones(3), where=jnp.ones(3))


@pytest.mark.parametrize("scale", [1e-30, 1e-19, 1e19, 1e30, 1.7e38])
@pytest.mark.parametrize("given_mean", [False, True])
def test_extreme_scales(scale, given_mean):
    # Squares of entries above 1.8e19 overflow float32, and of entries below
    # 1e-19 underflow; the result is scale-free all the same.
    base = np.array([[1.0, -2.0, 0.5, 0.25], [1.0, 1.5, -1.0, -1.5]])
    x = (base * scale).astype(np.float32)
    mean = np.zeros((2, 1), np.float32) if given_mean else None
    ref = reference(x, mean=mean, epsilon=0.0)
    got = jaxnn.standardize(x, mean=mean, epsilon=0.0)
    assert err_ulps(got, ref).max() <= 4, (got, ref)
    # With epsilon, tiny data divide by sqrt(epsilon) without overflow.
    ref_eps = reference(x, mean=mean)
    got_eps = np.asarray(jaxnn.standardize(x, mean=mean), np.float64)
    np.testing.assert_allclose(got_eps, ref_eps, rtol=4e-7, atol=0)
    g = jax.grad(lambda t: jnp.sum(jnp.sin(jaxnn.standardize(t, epsilon=0.0))))(x)
    assert np.isfinite(np.asarray(g)).all()
