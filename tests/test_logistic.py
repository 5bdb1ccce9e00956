"""Tests of jaxnn/_logistic.py, jaxnn/_logistic_mle.py and jaxnn/_solvers.py.

The reference is statsmodels' ``Logit`` (an independent implementation of
the same maximum-likelihood estimate), on the GBSG2 data shipped with jaxnn
and on synthetic data with a known truth. Every value check and error path of
the eager API is exercised. Degenerate designs (separation, collinearity,
d >= n) are in test_logistic_degenerate.py, accuracy at extreme scales and
conditioning in test_logistic_numerics.py, derivatives in
test_logistic_grad.py, the bootstrap in test_logistic_bootstrap.py; the
many-device checks live in test_sharding.py.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import statsmodels.api as sm

import jaxnn
from jaxnn import _logistic_checks
from jaxnn._solvers import minimize, newton
from jaxnn.datasets import gbsg2, tumor


def _statsmodels(x: np.ndarray, y: np.ndarray):
    x2 = np.asarray(x, np.float64).reshape(len(y), -1)
    return sm.Logit(np.asarray(y, np.float64), sm.add_constant(x2)).fit(
        disp=0, tol=1e-12, maxiter=100
    )


def _check_against(fit: jaxnn.LogisticFit, ref, rtol: float) -> None:
    """Coefficients, standard errors, log-likelihood, z, p and CIs vs statsmodels."""
    est = np.r_[np.asarray(fit.bias), np.asarray(fit.weight)]
    se = np.r_[np.asarray(fit.bias_stderr), np.asarray(fit.weight_stderr)]
    # atol: a fraction of the standard error, for coefficients near zero.
    err = np.abs(est - ref.params)
    assert np.all(err <= rtol * (np.abs(ref.params) + ref.bse)), (est, ref.params)
    np.testing.assert_allclose(se, ref.bse, rtol=rtol)
    np.testing.assert_allclose(float(fit.log_likelihood), ref.llf, rtol=rtol)
    table = np.asarray(fit.table(), np.float64)
    order = [*range(1, len(est)), 0]  # jaxnn: weights then bias
    np.testing.assert_allclose(table[:, 2], ref.tvalues[order], rtol=10 * rtol)
    # p-values far below float32's range (1e-106 here) are 0 in float32.
    tiny = float(np.finfo(table.dtype if rtol < 1e-4 else np.float32).tiny)
    np.testing.assert_allclose(
        table[:, 3], ref.pvalues[order], rtol=100 * rtol, atol=1e3 * tiny
    )
    np.testing.assert_allclose(
        table[:, 4:], ref.conf_int()[order], rtol=10 * rtol, atol=rtol * ref.bse.max()
    )


@pytest.fixture(scope="module")
def tumour() -> tuple[np.ndarray, np.ndarray]:
    return tumor()


@pytest.fixture(scope="module")
def table4() -> tuple[np.ndarray, np.ndarray]:
    """Four GBSG2 columns on very different scales (age x 100 is ~5000)."""
    t = gbsg2()
    x = np.stack([t["tsize"], t["age"] * 100.0, t["progrec"], t["estrec"]], axis=1)
    return x.astype(np.float64), (t["pnodes"] >= 4).astype(np.float64)


# -- agreement with statsmodels ----------------------------------------------


def test_tumour_fit_matches_statsmodels_float32(tumour) -> None:
    x, y = tumour
    fit = jaxnn.fit_logistic(x, y)
    assert fit.weight.dtype == jnp.float32 and fit.weight.shape == (1,)
    assert fit.bias.shape == () and bool(fit.converged) and not bool(fit.separated)
    _check_against(fit, _statsmodels(x, y), rtol=1e-3)


def test_badly_scaled_columns_match_statsmodels_float32(table4) -> None:
    x, y = table4
    fit = jaxnn.fit_logistic(x, y)
    assert fit.weight.shape == (4,) and bool(fit.converged)
    _check_against(fit, _statsmodels(x, y), rtol=1e-3)


def test_float64_matches_statsmodels_to_1e6(table4) -> None:
    x, y = table4
    with jax.enable_x64(True):
        fit = jaxnn.fit_logistic(x, y)
        assert fit.weight.dtype == jnp.float64
        _check_against(fit, _statsmodels(x, y), rtol=1e-6)
        # A looser tolerance is a runtime value, not a new compilation.
        before = _logistic_checks.checked_fit._cache_size()
        loose = jaxnn.fit_logistic(x, y, tol=1e-3, max_iter=np.int64(50))
        assert _logistic_checks.checked_fit._cache_size() == before
        assert int(loose.iterations) <= int(fit.iterations)


def test_synthetic_known_truth(key) -> None:
    """Recovers the generating weights (within 4 s.e.) and equals statsmodels.

    Shape (686, 4) like the GBSG2 columns above, so the compiled fit is reused.
    """
    n = 686
    kx, ky = jax.random.split(key)
    scales = np.array([1.0, 1000.0, 0.01, 30.0])
    x = np.asarray(jax.random.normal(kx, (n, 4)), np.float64) * scales
    truth_w, truth_b = np.array([1.2, -0.0007, 40.0, 0.0]), 0.4
    p = 1.0 / (1.0 + np.exp(-(x @ truth_w + truth_b)))
    y = (np.asarray(jax.random.uniform(ky, (n,))) < p).astype(np.float64)
    fit = jaxnn.fit_logistic(x, y)
    _check_against(fit, _statsmodels(x, y), rtol=1e-3)
    z_w = (np.asarray(fit.weight) - truth_w) / np.asarray(fit.weight_stderr)
    z_b = (float(fit.bias) - truth_b) / float(fit.bias_stderr)
    assert np.all(np.abs(z_w) < 4) and abs(z_b) < 4


def test_lbfgs_solver_matches_statsmodels(tumour) -> None:
    x, y = tumour
    fit = jaxnn.fit_logistic(x, y, solver="lbfgs")
    assert bool(fit.converged)
    _check_against(fit, _statsmodels(x, y), rtol=1e-3)


def test_int_and_bool_labels_give_the_same_fit(tumour) -> None:
    x, y = tumour
    f_float = jaxnn.fit_logistic(x, y)
    f_bool = jaxnn.fit_logistic(x, y.astype(bool))
    f_int = jaxnn.fit_logistic(x[:, None], y.astype(np.int32))
    for f in (f_bool, f_int):
        np.testing.assert_array_equal(np.asarray(f.weight), np.asarray(f_float.weight))


def test_second_call_does_not_recompile(tumour) -> None:
    x, y = tumour
    jaxnn.fit_logistic(x, y)
    before = _logistic_checks.checked_fit._cache_size()
    jaxnn.fit_logistic(x * 2.0, y, l2=0.5)  # new values and l2, same shapes
    assert _logistic_checks.checked_fit._cache_size() == before


# -- predictions and statistics -----------------------------------------------


def test_predict_proba_and_band(tumour) -> None:
    x, y = tumour
    fit = jaxnn.fit_logistic(x, y)
    at = np.array([0.5, 3.0, 6.0, 12.0])
    w, b = float(fit.weight[0]), float(fit.bias)
    expected = 1.0 / (1.0 + np.exp(-(w * at + b)))
    np.testing.assert_allclose(np.asarray(fit.predict_proba(at)), expected, rtol=1e-5)
    assert fit.predict_proba(3.0).shape == ()
    assert fit.predict_proba(at[:, None]).shape == (4,)
    lo, hi = fit.predict_proba_interval(at)
    assert np.all(np.asarray(lo) < expected) and np.all(expected < np.asarray(hi))
    # The band is the Wald interval of the log-odds through the sigmoid; its
    # width follows from the covariance that statsmodels estimates.
    ref = _statsmodels(x, y)
    design = np.stack([np.ones_like(at), at], axis=1)
    se = np.sqrt(np.einsum("mi,ij,mj->m", design, ref.cov_params(), design))
    eta = design @ ref.params
    np.testing.assert_allclose(
        np.asarray(hi), 1 / (1 + np.exp(-(eta + 1.959964 * se))), rtol=1e-3
    )
    with pytest.raises(ValueError, match=r"x: expected shape \(m, 1\)"):
        fit.predict_proba(np.ones((3, 2)))
    with pytest.raises(ValueError, match="level"):
        fit.weight_ci(level=1.5)


def test_fit_is_a_pytree_through_jit(tumour) -> None:
    x, y = tumour
    fit = jaxnn.fit_logistic(x, y)
    leaves = jax.tree.leaves(fit)
    assert len(leaves) == 10 and all(isinstance(a, jax.Array) for a in leaves)
    p = jax.jit(lambda f: f.predict_proba(jnp.array([3.0])))(fit)
    np.testing.assert_allclose(p, fit.predict_proba(jnp.array([3.0])), rtol=1e-6)
    assert fit.weight_z.shape == (1,) and fit.bias_pvalue.shape == ()
    assert fit.weight_ci().shape == (1, 2) and fit.bias_ci().shape == (2,)


def test_covariance_and_summary(tumour) -> None:
    x, y = tumour
    fit = jaxnn.fit_logistic(x, y)
    ref = _statsmodels(x, y)
    order = [1, 0]  # jaxnn: weight then bias
    cov = np.asarray(ref.cov_params())[np.ix_(order, order)]
    np.testing.assert_allclose(np.asarray(fit.covariance), cov, rtol=1e-4)
    text = repr(fit)
    lines = text.splitlines()
    assert lines[0].startswith("LogisticFit: converged in")
    assert "estimate" in lines[1] and "P>|z|" in lines[1]
    assert lines[2].split()[:2] == ["x0", f"{float(fit.weight[0]):.4g}"]
    assert lines[3].split()[0] == "bias" and len(lines) == 4
    assert fit.summary(names=["size"]).splitlines()[2].startswith("size")
    with pytest.raises(ValueError, match=r"names: expected 1 names, got 2"):
        fit.summary(names=["a", "b"])
    # Batched fits print their shapes, not a table.
    both = jax.vmap(lambda c: jaxnn.logistic_mle(x, y, weights=c))(
        jnp.ones((2, len(y)))
    )
    assert repr(both).startswith("LogisticFit(weight=float32[2, 1]")


def test_eager_entry_points_under_transformations_point_to_logistic_mle(
    tumour,
) -> None:
    x, y = tumour
    with pytest.raises(TypeError, match=r"fit_logistic: got traced.*logistic_mle"):
        jax.jit(jaxnn.fit_logistic)(x, y)
    with pytest.raises(TypeError, match=r"fit_logistic: got traced.*logistic_mle"):
        jax.vmap(lambda c: jaxnn.fit_logistic(x * c, y))(jnp.ones(2))
    with pytest.raises(TypeError, match=r"fit_logistic: got traced.*logistic_mle"):
        jax.grad(lambda l2: jaxnn.fit_logistic(x, y, l2=l2).weight[0])(1.0)


def test_logistic_mle_checks_shapes_at_trace_time() -> None:
    with pytest.raises(ValueError, match=r"weights: expected shape \(6,\), got \(5,\)"):
        jax.jit(lambda c: jaxnn.logistic_mle(X6, X6 > 2, weights=c))(jnp.ones(5))
    with pytest.raises(ValueError, match=r"x and y: expected the same number of rows"):
        jaxnn.logistic_mle(X6, jnp.ones(5))


# -- separation ----------------------------------------------------------------

X6 = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])


@pytest.mark.parametrize(
    "y",
    [
        pytest.param([0, 0, 0, 1, 1, 1], id="complete"),
        pytest.param([1, 1, 1, 0, 0, 0], id="complete-reversed"),
    ],
)
def test_separated_data_raise_separation_error(y) -> None:
    with pytest.raises(jaxnn.SeparationError, match=r"separated.*l2"):
        jaxnn.fit_logistic(X6, np.asarray(y, np.float32))
    assert issubclass(jaxnn.SeparationError, ValueError)


@pytest.mark.parametrize(
    "y",
    [
        pytest.param([0, 0, 0, 1, 1, 1], id="tie-1:1"),
        pytest.param([0, 0, 1, 1, 1, 1], id="tie-0:2"),
    ],
)
def test_quasi_separated_data_raise_separation_error(y) -> None:
    # Ties at x = 2; every other row is on its own side of x = 2.
    x = np.array([0.0, 1.0, 2.0, 2.0, 3.0, 4.0])
    with pytest.raises(jaxnn.SeparationError):
        jaxnn.fit_logistic(x, np.asarray(y, np.float64))


def test_quasi_separation_with_unequal_ties() -> None:
    """Ties at x = 2 with two 0s and one 1: the tie rows' odds stay finite."""
    x = np.array([0.0, 1.0, 2.0, 2.0, 2.0, 3.0, 4.0])
    y = np.array([0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    with pytest.raises(jaxnn.SeparationError):
        jaxnn.fit_logistic(x, y)


def test_a_far_outlier_on_its_side_is_not_separation(tumour) -> None:
    """A saturated but correctly classified row does not make the MLE vanish."""
    x, y = tumour
    x2, y2 = x.copy(), y.copy()
    x2[0], y2[0] = 60.0, 1.0  # same shape as the data: no new compilation
    fit = jaxnn.fit_logistic(x2, y2)
    _check_against(fit, _statsmodels(x2, y2), rtol=1e-3)
    assert float(fit.predict_proba(60.0)) > 1 - 1e-6


def test_overlapping_data_are_not_separated() -> None:
    """Nearly separated but overlapping (x = 2.5 is a 1, x = 3 a 0): an MLE."""
    y = np.array([0.0, 0.0, 1.0, 0.0, 1.0, 1.0])
    x = np.array([0.0, 1.0, 2.5, 3.0, 4.0, 5.0])
    fit = jaxnn.fit_logistic(x, y)
    _check_against(fit, _statsmodels(x, y), rtol=1e-3)


def test_l2_makes_separated_data_converge() -> None:
    """With l2 > 0 the penalized optimum exists: first-order condition in NumPy."""
    y = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    l2 = 0.5
    fit = jaxnn.fit_logistic(X6, y, l2=l2)
    assert bool(fit.converged) and not bool(fit.separated)
    w, b = float(fit.weight[0]), float(fit.bias)
    r = 1.0 / (1.0 + np.exp(-(w * X6 + b))) - y
    np.testing.assert_allclose([np.sum(r * X6) + l2 * w, np.sum(r)], 0.0, atol=1e-5)
    assert 0.5 < w < 5.0


# -- value checks and errors ----------------------------------------------------


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        pytest.param(
            X6,
            [0, 1, 2, 0, 1, 0],
            r"y: expected labels 0 or 1, got 2.*row 2",
            id="label-2",
        ),
        pytest.param(
            X6, [0, 1, -1, 0, 1, 0], r"labels 0 or 1, got -1.* row 2", id="label-neg"
        ),
        pytest.param(X6, [0, 1, 0, 0.5, 1, 0], r"got 0.5 at row 3", id="label-half"),
        pytest.param(X6, [0, 1, 0, np.nan, 1, 0], r"y: .*nan at row 3", id="label-nan"),
        pytest.param(X6, [0, 1, 0, 1, np.inf, 0], r"y: .*inf at row 4", id="label-inf"),
        pytest.param(
            [0, 1, np.nan, 3, 4, 5],
            [0, 1, 0, 1, 1, 0],
            r"x: expected finite numbers, got nan at row 2, column 0",
            id="x-nan",
        ),
        pytest.param(
            [0, 1, 2, 3, 4, -np.inf],
            [0, 1, 0, 1, 1, 0],
            r"x: .*got -inf at row 5, column 0",
            id="x-inf",
        ),
        pytest.param(X6, [1, 1, 1, 1, 1, 1], r"y: every label is 1", id="constant-y"),
        pytest.param(X6, [0] * 6, r"y: every label is 0", id="constant-y0"),
        pytest.param(
            np.ones(6),
            [0, 1, 0, 1, 1, 0],
            r"x: .*column 0 is constant, so it duplicates the bias",
            id="constant-x",
        ),
        pytest.param(
            X6[:5],
            [0, 1, 0, 1, 1, 0],
            r"same number of rows, got 5 and 6",
            id="lengths",
        ),
        pytest.param(np.zeros((0,)), np.zeros((0,)), r"at least one row", id="empty"),
        pytest.param(
            np.zeros((6, 0)),
            [0, 1, 0, 1, 1, 0],
            r"at least one column",
            id="no-columns",
        ),
        pytest.param(
            np.zeros((6, 1, 1)), [0, 1, 0, 1, 1, 0], r"x: expected shape", id="x-3d"
        ),
        pytest.param(X6, np.zeros((6, 1)), r"y: expected shape \(n,\)", id="y-2d"),
        pytest.param(
            ["a"] * 6, [0, 1, 0, 1, 1, 0], r"x: expected numbers", id="x-text"
        ),
    ],
)
def test_bad_values_raise_value_error(x, y, message) -> None:
    with pytest.raises(ValueError, match=message):
        jaxnn.fit_logistic(np.asarray(x), np.asarray(y, dtype=np.float32))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"l2": -1.0}, r"l2: expected a finite number >= 0, got -1.0"),
        ({"l2": float("nan")}, r"l2: expected a finite number"),
        ({"l2": "big"}, r"l2: expected a number"),
        ({"solver": "sgd"}, r"solver: expected one of \('newton', 'lbfgs'\)"),
        ({"max_iter": 0}, r"max_iter: expected a positive integer, got 0"),
        ({"max_iter": 2.5}, r"max_iter: expected a positive integer, got 2.5"),
        ({"max_iter": True}, r"max_iter: expected a positive integer, got True"),
        ({"tol": -1.0}, r"tol: expected a positive number, got -1.0"),
    ],
)
def test_bad_options_raise_value_error(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        jaxnn.fit_logistic(X6, np.array([0.0, 1, 0, 1, 1, 0]), **kwargs)


def test_constant_column_is_fine_with_l2() -> None:
    fit = jaxnn.fit_logistic(np.ones(6), np.array([0.0, 1, 0, 1, 1, 0]), l2=1.0)
    assert bool(fit.converged) and float(fit.weight[0]) == pytest.approx(0.0, abs=1e-6)


def test_not_converged_warns() -> None:
    with pytest.warns(RuntimeWarning, match="did not converge in 1 iterations"):
        jaxnn.fit_logistic(X6, np.array([0.0, 1, 0, 1, 1, 0]) * 1.0, max_iter=1)


# -- the traceable core -----------------------------------------------------------


def test_core_under_jit_and_vmap_reports_status_instead_of_raising() -> None:
    """Three problems in one vmap: separated, ordinary, and frequency-weighted.

    The weighted fit must equal statsmodels on the rows repeated as weighted.
    """
    y_sep = np.array([0.0, 0, 0, 1, 1, 1])
    y = np.array([0.0, 1, 0, 0, 1, 1])
    c = np.array([1.0, 2.0, 1.0, 3.0, 1.0, 2.0])
    ys = jnp.asarray(np.stack([y_sep, y, y]))
    cs = jnp.asarray(np.stack([np.ones(6), np.ones(6), c]))
    core = lambda y, c: jaxnn.logistic_mle(jnp.asarray(X6), y, weights=c)
    fits = jax.jit(jax.vmap(core))(ys, cs)
    assert fits.weight.shape == (3, 1) and fits.covariance.shape == (3, 2, 2)
    assert fits.separated.tolist() == [True, False, False]
    assert fits.converged[1:].all()
    ref = _statsmodels(X6, y)
    est = np.asarray([fits.bias[1], fits.weight[1, 0]])
    np.testing.assert_allclose(est, ref.params, rtol=1e-3)
    rows = np.repeat(np.arange(6), c.astype(int))
    ref = _statsmodels(X6[rows], y[rows])
    est = np.asarray([fits.bias[2], fits.weight[2, 0]])
    np.testing.assert_allclose(est, ref.params, rtol=1e-3)
    np.testing.assert_allclose(float(fits.log_likelihood[2]), ref.llf, rtol=1e-4)


# -- the Optax solvers ---------------------------------------------------------------


def test_newton_transformation_solves_a_quadratic_in_one_step() -> None:
    a = jnp.array([[3.0, 1.0], [1.0, 2.0]])
    target = jnp.array([1.0, -2.0])
    f = lambda t: 0.5 * (t - target) @ a @ (t - target)
    opt = newton()

    @jax.jit
    def one_step(params: jax.Array) -> jax.Array:
        updates, _ = opt.update(
            jax.grad(f)(params), opt.init(params), hessian=jax.hessian(f)(params)
        )
        return optax.apply_updates(params, updates)

    np.testing.assert_allclose(one_step(jnp.zeros(2)), target, rtol=1e-5)


def test_minimize_line_search_keeps_newton_from_diverging() -> None:
    """Pure Newton on f(t) = sqrt(1 + t^2) diverges from |t| > 1; damped does not."""
    f = lambda t: jnp.sum(jnp.sqrt(1.0 + t**2))
    res = jax.jit(lambda t: minimize(f, t, tol=1e-6, max_iter=100))(jnp.array([3.0]))
    assert bool(res.converged)
    np.testing.assert_allclose(res.params, 0.0, atol=1e-5)
    with pytest.raises(ValueError, match="solver"):
        minimize(f, jnp.array([3.0]), solver="adam", tol=1e-6, max_iter=10)  # type: ignore[arg-type]
