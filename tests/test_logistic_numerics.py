"""Accuracy of the logistic fit at extreme scales, rare events and poor conditioning.

The reference is statsmodels in float64. The float32 bound, also stated in
``fit_logistic``'s docstring: every estimate within
``1e-6 * sqrt(n) + 1e-5 * sqrt(kappa)`` standard errors of statsmodels' and
every standard error within the same relative error, where n is the number
of rows (float32 sums over them round) and kappa the condition number of
the (weighted) correlation matrix of the columns. float64 estimates match statsmodels to
1e-6 relative (of ``|estimate| + stderr``). Both solvers are held to it.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import statsmodels.api as sm

import jaxnn
from jaxnn.datasets import gbsg2, tumor


def _reference(x: np.ndarray, y: np.ndarray, c: np.ndarray | None = None):
    x2 = np.asarray(x, np.float64).reshape(len(y), -1)
    c = np.ones(len(y)) if c is None else c
    return sm.GLM(
        np.asarray(y, np.float64),
        sm.add_constant(x2, has_constant="add"),
        family=sm.families.Binomial(),
        freq_weights=c,
    ).fit(tol=1e-14, maxiter=200)


def _kappa(x: np.ndarray, c: np.ndarray | None = None) -> float:
    x = np.asarray(x, np.float64).reshape(x.shape[0], -1)
    c = np.ones(len(x)) if c is None else c
    dev = x - np.average(x, axis=0, weights=c)
    z = dev / np.sqrt(np.average(dev**2, axis=0, weights=c))
    return float(np.linalg.cond((z * c[:, None]).T @ z / c.sum()))


def bound32(x: np.ndarray, c: np.ndarray | None = None) -> float:
    """The float32 accuracy bound, in standard errors."""
    return 1e-6 * np.sqrt(len(x)) + 1e-5 * np.sqrt(_kappa(x, c))


def _check(fit: jaxnn.LogisticFit, ref, bound: float) -> None:
    est = np.r_[float(fit.bias), np.asarray(fit.weight, np.float64)]
    se = np.r_[float(fit.bias_stderr), np.asarray(fit.weight_stderr, np.float64)]
    assert bool(fit.converged)
    np.testing.assert_array_less(np.abs(est - ref.params), bound * ref.bse)
    np.testing.assert_allclose(se, ref.bse, rtol=bound)


def _designs() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
    out: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray | None]] = {}
    star = sm.datasets.star98.load_pandas()
    exog = star.exog.to_numpy(np.float64)
    above, below = star.endog["NABOVE"].to_numpy(), star.endog["NBELOW"].to_numpy()
    # 20 covariates, binomial counts: each school as a row of successes and
    # a row of failures, weighted by the counts.
    out["star98"] = (
        np.concatenate([exog, exog]),
        np.r_[np.ones(len(exog)), np.zeros(len(exog))],
        np.r_[above, below].astype(np.float64),
    )
    rng = np.random.default_rng(5)
    for e in (1e-1, 1e-3):
        x1, x2 = rng.normal(size=(2, 2000))
        x3 = x1 + x2 + e * rng.normal(size=2000)
        eta = 0.5 * x1 - x2 + 0.3 * x3
        y = (rng.random(2000) < 1 / (1 + np.exp(-eta))).astype(np.float64)
        out[f"near-collinear-{e:g}"] = (np.stack([x1, x2, x3], 1), y, None)
    return out


DESIGNS = _designs()


@pytest.mark.slow
@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
@pytest.mark.parametrize("name", list(DESIGNS))
def test_hard_designs_match_statsmodels_in_both_precisions(name, solver) -> None:
    x, y, c = DESIGNS[name]
    ref = _reference(x, y, c)
    cc = np.ones(len(y)) if c is None else c
    fit = jaxnn.logistic_mle(x.astype(np.float32), y, weights=cc, solver=solver)
    _check(fit, ref, bound32(x, cc))
    with jax.enable_x64(True):
        fit = jaxnn.logistic_mle(x, y, weights=cc, solver=solver)
    est = np.r_[float(fit.bias), np.asarray(fit.weight)]
    assert bool(fit.converged)
    np.testing.assert_array_less(
        np.abs(est - ref.params), 1e-6 * (np.abs(ref.params) + ref.bse)
    )


def test_star98_lbfgs_converges_where_newton_does() -> None:
    x, y, c = DESIGNS["star98"]
    fits = {
        s: jaxnn.logistic_mle(x.astype(np.float32), y, weights=c, solver=s)
        for s in ("newton", "lbfgs")
    }
    assert all(bool(f.converged) for f in fits.values())
    assert int(fits["newton"].iterations) <= 10
    assert int(fits["lbfgs"].iterations) < 100


# -- scales --------------------------------------------------------------------


@pytest.fixture(scope="module")
def tumour() -> tuple[np.ndarray, np.ndarray]:
    return tumor()


@pytest.mark.parametrize("scale", [1e-30, 1e-19, 1e-3, 1e19, 1e30])
def test_float32_scales_give_the_estimate_on_the_users_scale(tumour, scale) -> None:
    x, y = tumour
    ref = _reference(x, y)
    fit = jaxnn.fit_logistic((x * scale).astype(np.float32), y)
    # On the user's scale, the weight is the unscaled one divided by scale.
    w, se = float(fit.weight[0]) * scale, float(fit.weight_stderr[0]) * scale
    bound = bound32(x)
    assert abs(w - ref.params[1]) < bound * ref.bse[1]
    assert abs(se / ref.bse[1] - 1) < bound
    assert abs(float(fit.bias) - ref.params[0]) < bound * ref.bse[0]
    p = fit.predict_proba(np.float32(3.0 * scale))
    assert abs(float(p) - 1 / (1 + np.exp(-(3 * ref.params[1] + ref.params[0])))) < 1e-5
    lo, hi = fit.predict_proba_interval(np.float32(3.0 * scale))
    assert float(lo) < float(p) < float(hi)


def test_columns_of_wildly_different_scales_in_one_design(tumour) -> None:
    t = gbsg2()
    x = np.stack([t["tsize"] * 1e-30, t["age"] * 1e25, t["progrec"]], 1)
    y = (t["pnodes"] >= 4).astype(np.float64)
    ref = _reference(np.stack([t["tsize"], t["age"], t["progrec"]], 1), y)
    fit = jaxnn.fit_logistic(x.astype(np.float32), y)
    w = np.asarray(fit.weight, np.float64) * np.array([1e-30, 1e25, 1.0])
    np.testing.assert_array_less(np.abs(w - ref.params[1:]), 1e-4 * ref.bse[1:])


def test_float64_scales_1e300(tumour) -> None:
    x, y = tumour
    ref = _reference(x, y)
    with jax.enable_x64(True):
        for scale in (1e-300, 1e300):
            fit = jaxnn.fit_logistic(np.asarray(x, np.float64) * scale, y)
            w = float(fit.weight[0]) * scale
            assert abs(w - ref.params[1]) < 1e-8 * ref.bse[1]


def test_estimates_outside_float32_say_so(tumour) -> None:
    """x of 1e38: the weight's standard error, 6.5e-39, is below float32's range."""
    x, y = tumour
    with pytest.raises(ValueError, match=r"outside float32's range.*or use float64"):
        jaxnn.fit_logistic((x * 1e37).astype(np.float32), y)
    fit = jaxnn.logistic_mle((x * 1e37).astype(np.float32), y)
    assert not bool(fit.converged)


def test_subnormal_input_is_reported(tumour) -> None:
    x, y = tumour
    x = np.asarray(x, np.float32).copy()
    x[100] = np.float32(1e-40)
    with pytest.raises(ValueError, match=r"x: 1e-40 at row 100, column 0 is subnormal"):
        jaxnn.fit_logistic(x, y)


# -- rare events ----------------------------------------------------------------


@pytest.mark.slow
def test_rare_events_reach_the_estimate_in_float32() -> None:
    """200,000 rows, about 47 events: the estimate to float32 precision.

    With a stopping rule scaled by the row count instead of the information,
    Newton stopped a step early here (0.03 standard errors off).
    """
    rng = np.random.default_rng(0)
    n = 200_000
    x = rng.normal(size=n).astype(np.float32)
    y = (rng.random(n) < 1 / (1 + np.exp(-(1.2 * x - 9.3)))).astype(np.float32)
    assert 30 <= y.sum() <= 70
    ref = _reference(x, y)
    for solver in ("newton", "lbfgs"):
        fit = jaxnn.fit_logistic(x, y, solver=solver)
        _check(fit, ref, bound32(x))


# -- stopping rule and dtypes ----------------------------------------------------


def test_tol_is_a_distance_in_standard_errors(tumour) -> None:
    x, y = tumour
    ref = _reference(x, y)
    with jax.enable_x64(True):
        loose = jaxnn.fit_logistic(x, y, tol=0.1, max_iter=np.int64(20))
        tight = jaxnn.fit_logistic(x, y)
    assert int(loose.iterations) < int(tight.iterations)
    err = abs(float(loose.weight[0]) - ref.params[1]) / ref.bse[1]
    assert err < 0.1
    err = abs(float(tight.weight[0]) - ref.params[1]) / ref.bse[1]
    assert err < 1e-9


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16])
def test_half_precision_input_is_fitted_in_float32(tumour, dtype) -> None:
    x, y = tumour
    xh = jnp.asarray(x, dtype)
    fit = jaxnn.fit_logistic(xh, jnp.asarray(y, dtype))
    assert fit.weight.dtype == jnp.float32
    ref = _reference(np.asarray(xh.astype(jnp.float32)), y)
    _check(fit, ref, bound32(x))
