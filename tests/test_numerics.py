"""Tests for the numerical kernels (jaxnn/_numerics.py) and their tables."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest

from jaxnn import _coefficients, _numerics
from tools import fit_coefficients

mp.mp.dps = 40


def test_committed_tables_are_what_the_fit_script_writes():
    # tools/fit_coefficients.py fits every table from scratch (mpmath, no
    # LAPACK); the committed file must be exactly its output.
    assert fit_coefficients.TARGET.read_text() == fit_coefficients.render()


def test_tables_are_float32_values():
    tables = [
        _coefficients.EXPM1_P,
        _coefficients.TANH_P,
        _coefficients.MISH_DERIVATIVE_P,
        _coefficients.GELU_TANH_DERIVATIVE_P,
    ]
    tables += [c for _, c in _coefficients.GELU_VALUE + _coefficients.GELU_DERIVATIVE]
    for table in tables:
        for c in table:
            assert float(np.float32(c)) == c


def test_round_to_float32_rounds_once_to_nearest_even():
    tie = mp.mpf(1) + mp.mpf(2) ** -24  # halfway between 1 and 1 + 2^-23
    assert fit_coefficients.round_to_float32(tie) == 1.0
    assert fit_coefficients.round_to_float32(tie + mp.mpf(2) ** -60) == 1 + 2.0**-23
    assert fit_coefficients.round_to_float32(-tie * 3) == float(
        np.float32(-3 * float(tie))
    )


def _ulp_error(got, ref):
    ulp = np.spacing(np.abs(ref).astype(np.float32)).astype(np.float64)
    return np.abs(np.asarray(got, np.float64) - ref) / ulp


def test_expm1_neg_within_one_ulp():
    z = -np.linspace(0.0, 20.0, 200001, dtype=np.float32)[1:]
    got = jax.jit(_numerics.expm1_neg)(jnp.asarray(z))
    ref = np.array([float(mp.expm1(mp.mpf(float(v)))) for v in z[::50]])
    assert np.max(_ulp_error(np.asarray(got)[::50], ref)) <= 1.0
    # XLA's own expm1 is the reason this kernel exists.
    xla = np.asarray(jax.jit(jnp.expm1)(jnp.asarray(z)))[::50]
    assert np.max(_ulp_error(xla, ref)) > 2.0
    special = _numerics.expm1_neg(jnp.array([0.0, -jnp.inf, jnp.nan]))
    np.testing.assert_array_equal(special, [0.0, -1.0, np.nan])


def test_tanh_small_within_one_ulp():
    # The odd polynomial for |x| < TANH_SMALL, against mpmath; exact (x
    # itself) for tiny x.
    x = np.linspace(0.0, _numerics.TANH_SMALL, 4001, dtype=np.float32)[1:-1]
    x = np.concatenate([x, [1e-30, 1e-10, 3e-4]]).astype(np.float32)
    got = np.asarray(jax.jit(_numerics.tanh_small)(jnp.asarray(x)))
    ref = np.array([float(mp.tanh(mp.mpf(float(v)))) for v in x])
    assert np.max(_ulp_error(got, ref)) <= 1.0
    assert got[-3] == np.float32(1e-30)


@pytest.mark.parametrize(
    ("table", "exact"),
    [
        ("MISH_DERIVATIVE", fit_coefficients.mish_derivative),
        ("GELU_TANH_DERIVATIVE", fit_coefficients.gelu_tanh_derivative),
    ],
)
def test_near_zero_polynomials_within_one_ulp(table, exact):
    x = np.linspace(-0.5, 0.0, 2001, dtype=np.float32)
    inside, got = jax.jit(lambda t: _numerics.near_zero(t, getattr(_numerics, table)))(
        jnp.asarray(x)
    )
    np.testing.assert_array_equal(inside, x < 0)  # [-0.5, 0): 0 is outside
    # The derivatives themselves, independently of the fit script: mpmath's
    # numerical derivative of the activation.
    f = {
        "MISH_DERIVATIVE": lambda t: t * mp.tanh(mp.log1p(mp.exp(t))),
        "GELU_TANH_DERIVATIVE": lambda t: (
            t / 2 * (1 + mp.tanh(mp.sqrt(2 / mp.pi) * (t + mp.mpf("0.044715") * t**3)))
        ),
    }[table]
    ref = np.array([float(mp.diff(f, mp.mpf(float(v)))) for v in x[:-1:20]])
    assert np.max(_ulp_error(np.asarray(got)[:-1:20], ref)) <= 1.5
    closed = np.array([float(exact(mp.mpf(float(v)))) for v in x[:-1:20]])
    np.testing.assert_allclose(closed, ref, rtol=1e-14)


@pytest.mark.parametrize("factor", [1.0, 4.0, 1.7580993408473766])
def test_exp_tail_keeps_normal_products(factor):
    # factor * exp(z) = E * K, with E normal wherever the product is, and no
    # reliance on subnormal flushing: E is normal down to z = -103.
    z = np.concatenate([-np.linspace(0, 103, 2061), [-64.0, -63.99]]).astype(np.float32)
    big, k = jax.jit(lambda t: _numerics.exp_tail(t, factor))(jnp.asarray(z))
    big, k = np.asarray(big, np.float64), np.asarray(k, np.float64)
    assert np.all(big >= np.finfo(np.float32).tiny)
    ref = np.array([float(factor * mp.exp(mp.mpf(float(v)))) for v in z])
    normal = ref >= np.finfo(np.float32).tiny
    # The product, rounded as callers form it: exp (1 ulp), K and the product
    # (half an ulp each), within 2 ulp.
    prod = (np.float32(big) * np.float32(k)).astype(np.float64)
    assert np.max(_ulp_error(prod[normal], ref[normal])) <= 2.0
    nan_big, _ = _numerics.exp_tail(jnp.float32(jnp.nan))
    assert math.isnan(float(nan_big))
    inf_big, _ = _numerics.exp_tail(jnp.float32(-jnp.inf))
    assert float(inf_big) == 0.0


def test_gauss_tail_product_against_mpmath():
    # G * M = exp(-x^2 / 2) * m(|x|) (times x's scaling on the last piece).
    xs = np.linspace(-14.0, 0.0, 1401, dtype=np.float32)
    g, m = jax.jit(lambda t: _numerics.gauss_tail(t, _numerics.GELU_DERIVATIVE))(
        jnp.asarray(xs)
    )
    got = np.asarray(g, np.float64) * np.asarray(m, np.float64)
    # The derivative table holds m(y) = Phi(-y) exp(y^2 / 2), so G * M = Phi(x)
    # for x <= 0 (on the shifted piece G carries exp(16), the table exp(-16)).
    ref = np.array([float(mp.ncdf(mp.mpf(float(v)))) for v in xs])
    assert np.max(np.abs(got / ref - 1)) < 4e-7


def test_neg_abs_slope_at_zero():
    assert float(jax.grad(_numerics.neg_abs)(0.0)) == -1.0
    np.testing.assert_array_equal(
        _numerics.neg_abs(jnp.array([-2.0, 3.0])), [-2.0, -3.0]
    )
