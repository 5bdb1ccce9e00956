"""Degenerate designs: separation, collinearity, more columns than rows, bad values.

Every fit must end in exactly one of three ways: the maximum-likelihood
estimate (checked against statsmodels), a ``SeparationError`` exactly when
the data are separated or quasi-separated (checked against an independent
linear program written here, Stiemke's alternative: multipliers
``lambda_i >= 1`` with ``sum_i lambda_i s_i a_i = 0`` exist if and only if
the data are not separated), or a ``ValueError`` naming the dependent
columns. The traceable ``logistic_mle`` reports the same outcomes in its
status fields.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import statsmodels.api as sm
from scipy.optimize import linprog, minimize

import jaxnn


def not_separated(x: np.ndarray, y: np.ndarray) -> bool:
    """Stiemke: is there lambda >= 1 with sum_i lambda_i s_i [1, x_i] = 0?"""
    a = np.column_stack(
        [np.ones(len(y)), np.asarray(x, np.float64).reshape(len(y), -1)]
    )
    s = np.where(np.asarray(y) > 0.5, 1.0, -1.0)
    res = linprog(
        np.zeros(len(y)),
        A_eq=(s[:, None] * a).T,
        b_eq=np.zeros(a.shape[1]),
        bounds=[(1, None)] * len(y),
        method="highs",
    )
    assert res.status in (0, 2), res.message  # solved, or proven infeasible
    return res.status == 0


def _statsmodels(x: np.ndarray, y: np.ndarray):
    x2 = np.asarray(x, np.float64).reshape(len(y), -1)
    return sm.Logit(np.asarray(y, np.float64), sm.add_constant(x2)).fit(
        disp=0, tol=1e-12, maxiter=200
    )


@pytest.fixture(scope="module")
def pair() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    x1, x2 = rng.normal(size=(2, 300))
    y = (rng.random(300) < 1 / (1 + np.exp(-(x1 - 0.5 * x2)))).astype(np.float64)
    return x1, x2, y


# -- more columns than rows ---------------------------------------------------


def test_more_columns_than_rows_is_a_named_value_error() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 7000)).astype(np.float32)
    y = (rng.random(500) < 0.5).astype(np.float32)
    with pytest.raises(ValueError, match=r"7000 columns for 500 rows.*l2 > 0"):
        jaxnn.fit_logistic(x, y)
    with pytest.raises(ValueError, match=r"7000 columns for 500 rows"):
        jaxnn.bootstrap_logistic(jax.random.key(0), x, y, n_resamples=4)
    # Traced: status, no estimate, no solver run.
    fit = jax.jit(jaxnn.logistic_mle)(x, y)
    assert bool(fit.rank_deficient) and not bool(fit.converged)
    assert not bool(fit.separated) and np.isnan(np.asarray(fit.weight)).all()


def test_d_equal_to_n_is_rank_deficient_too() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 6))
    with pytest.raises(ValueError, match=r"6 columns for 6 rows"):
        jaxnn.fit_logistic(x, np.array([0.0, 1, 0, 1, 1, 0]))


def test_more_columns_than_rows_with_l2_is_the_penalized_optimum() -> None:
    """d > n with l2 > 0: the optimum of the penalized likelihood (SciPy, float64)."""
    rng = np.random.default_rng(2)
    n, d, l2 = 30, 45, 2.0
    x = rng.normal(size=(n, d))
    y = (rng.random(n) < 0.5).astype(np.float64)

    def objective(t: np.ndarray) -> float:
        eta = x @ t[:d] + t[d]
        return float(np.sum(np.logaddexp(0, eta) - y * eta) + 0.5 * l2 * t[:d] @ t[:d])

    ref = minimize(objective, np.zeros(d + 1), method="BFGS", options={"gtol": 1e-10})
    with jax.enable_x64(True):
        fit = jaxnn.fit_logistic(x, y, l2=l2)
        assert bool(fit.converged) and not bool(fit.rank_deficient)
        est = np.r_[np.asarray(fit.weight), float(fit.bias)]
    np.testing.assert_allclose(est, ref.x, atol=1e-6)


# -- collinear columns ----------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exactly_collinear_columns_are_named(pair, dtype) -> None:
    x1, x2, y = pair
    with jax.enable_x64(dtype == np.float64):
        with pytest.raises(ValueError, match=r"column 1 = 2 \* column 0 \+ a const"):
            jaxnn.fit_logistic(np.stack([x1, 2 * x1], 1).astype(dtype), y)
        three = np.stack([x1, x2, x1 + x2], 1).astype(dtype)
        with pytest.raises(
            ValueError,
            match=r"column 2 = 1 \* column 0 \+ 1 \* column 1 \+ a constant.*"
            r"Drop column\(s\) 2, or pass l2 > 0",
        ):
            jaxnn.fit_logistic(three, y)
        fit = jaxnn.logistic_mle(three, y)
        assert bool(fit.rank_deficient) and not bool(fit.converged)
        assert not bool(fit.separated)


def test_collinear_rows_beyond_4096_are_not_called_separated() -> None:
    """Many rows (XLA's max can drop NaN from 4096 elements on): still collinear."""
    rng = np.random.default_rng(3)
    x1 = rng.normal(size=5000)
    y = (rng.random(5000) < 1 / (1 + np.exp(-x1))).astype(np.float32)
    with pytest.raises(ValueError, match=r"linearly dependent") as info:
        jaxnn.fit_logistic(np.stack([x1, 2 * x1], 1).astype(np.float32), y)
    assert not isinstance(info.value, jaxnn.SeparationError)


def test_constant_and_zero_columns_are_named(pair) -> None:
    x1, _, y = pair
    for value in (3.0, 0.1, 0.0):
        x = np.stack([x1, np.full_like(x1, value)], 1)
        with pytest.raises(ValueError, match=r"column 1 is constant, so it dup"):
            jaxnn.fit_logistic(x, y)


def test_near_collinear_float32_is_refused_and_float64_fits(pair) -> None:
    """Unexplained share 5e-11: below float32's 1.5e-8, far above float64's.

    statsmodels does not converge on this design (condition number ~1e10),
    so the reference is statsmodels on the same model in well-conditioned
    coordinates, [x1, x2, x3 - x1 - x2], mapped back: w1 = v1 - v3,
    w2 = v2 - v3, w3 = v3.
    """
    x1, x2, y = pair
    rng = np.random.default_rng(5)
    rest = 1e-5 * rng.normal(size=x1.size)
    x = np.stack([x1, x2, x1 + x2 + rest], 1)
    with pytest.raises(ValueError, match=r"float64 \(jax_enable_x64\) resolves"):
        jaxnn.fit_logistic(x.astype(np.float32), y)
    with jax.enable_x64(True):
        fit = jaxnn.fit_logistic(x, y)
    v = _statsmodels(np.stack([x1, x2, x[:, 2] - x1 - x2], 1), y)
    bias, v1, v2, v3 = v.params
    ref = np.array([bias, v1 - v3, v2 - v3, v3])
    est = np.r_[float(fit.bias), np.asarray(fit.weight)]
    se = np.r_[float(fit.bias_stderr), np.asarray(fit.weight_stderr)]
    np.testing.assert_array_less(np.abs(est - ref), 1e-6 * (np.abs(ref) + se))
    np.testing.assert_allclose(se[3], v.bse[3], rtol=1e-6)


def test_rank_deficient_and_separated_says_both() -> None:
    t = np.linspace(-1.0, 1.0, 40)
    y = (t > 0).astype(np.float64)
    with pytest.raises(ValueError, match=r"column 1 = .*also separate the data"):
        jaxnn.fit_logistic(np.stack([t, 2 * t], 1), y)


def test_l2_fits_rank_deficient_and_separated_data() -> None:
    """Neither error with l2 > 0: the penalized optimum, by its optimality condition."""
    t = np.linspace(-1.0, 1.0, 40)
    x = np.stack([t, 2 * t], 1)
    y = (t > 0).astype(np.float64)
    l2 = 0.5
    with jax.enable_x64(True):
        fit = jaxnn.fit_logistic(x, y, l2=l2)
    assert bool(fit.converged) and not bool(fit.separated | fit.rank_deficient)
    w, b = np.asarray(fit.weight), float(fit.bias)
    r = 1 / (1 + np.exp(-(x @ w + b))) - y
    np.testing.assert_allclose([*(r @ x + l2 * w), r.sum()], 0.0, atol=1e-8)
    np.testing.assert_allclose(w[1], 2 * w[0], rtol=1e-8)  # the ridge splits it so


# -- correlated, not separated -------------------------------------------------


@pytest.fixture(scope="module")
def cancer() -> tuple[np.ndarray, np.ndarray]:
    datasets = pytest.importorskip("sklearn.datasets")
    data = datasets.load_breast_cancer()
    names = list(data.feature_names)
    cols = [names.index(c) for c in ("mean radius", "mean perimeter", "mean area")]
    return data.data[:, cols], data.target.astype(np.float64)


def test_correlated_features_are_fitted_not_called_separated(cancer) -> None:
    """Radius, perimeter and area of a tumour: correlated 0.99, not separated."""
    x, y = cancer
    assert not_separated(x, y)
    ref = _statsmodels(x, y)
    with jax.enable_x64(True):
        fit = jaxnn.fit_logistic(x, y)
    est = np.r_[float(fit.bias), np.asarray(fit.weight)]
    np.testing.assert_allclose(est, ref.params, rtol=1e-6)
    fit32 = jaxnn.fit_logistic(x.astype(np.float32), y)
    assert bool(fit32.converged) and fit32.weight.dtype == jnp.float32


# -- separation: the decision against an independent linear program ------------


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("n", "d"), [(12, 1), (30, 3)])
def test_separation_status_agrees_with_a_linear_program(dtype, n, d) -> None:
    """400 random designs, a third with tied (integer) x for quasi-separation."""
    rng = np.random.default_rng(n + d)
    count = 400
    x = rng.normal(size=(count, n, d))
    x[: count // 3] = np.round(x[: count // 3])
    scale = rng.choice([0.5, 3.0, 30.0], size=(count, 1))
    w = rng.normal(size=(count, d)) * scale
    p = 1 / (1 + np.exp(-np.einsum("bnd,bd->bn", x, w)))
    y = (rng.random((count, n)) < p).astype(np.float64)
    keep = y.min(1) < y.max(1)
    x, y = x[keep].astype(dtype), y[keep].astype(dtype)
    with jax.enable_x64(dtype == np.float64):
        fits = jax.jit(jax.vmap(jaxnn.logistic_mle))(x, y)
    separated = np.array([not not_separated(a, b) for a, b in zip(x, y, strict=True)])
    assert 0.2 < separated.mean() < 0.8  # both outcomes well represented
    np.testing.assert_array_equal(np.asarray(fits.separated), separated)
    np.testing.assert_array_equal(np.asarray(fits.converged), ~separated)
    assert not np.asarray(fits.rank_deficient).any()
    # The eager entry point raises exactly on the separated ones.
    for a, b, sep in list(zip(x, y, separated, strict=True))[:12]:
        if sep:
            with pytest.raises(jaxnn.SeparationError):
                jaxnn.fit_logistic(a, b)
        else:
            assert bool(jaxnn.fit_logistic(a, b).converged)


@pytest.mark.parametrize(
    ("x", "y"),
    [
        pytest.param(
            [[0, 0], [1, 0], [0, 1], [1, 1], [2, 2]], [0, 0, 0, 1, 1], id="complete-2d"
        ),
        pytest.param(
            [[0, 0], [1, 1], [1, 1], [2, 0], [3, 1], [0, 2]],
            [0, 0, 1, 1, 1, 0],
            id="quasi-2d",
        ),
    ],
)
def test_separation_in_two_dimensions(x, y) -> None:
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    assert not not_separated(x, y)
    with pytest.raises(jaxnn.SeparationError, match=r"separated.*l2 > 0"):
        jaxnn.fit_logistic(x, y)
    assert bool(jaxnn.logistic_mle(x, y).separated)


# -- NaN and inf deep in long columns ------------------------------------------


@pytest.mark.parametrize(
    ("row", "col", "value"),
    [(9000, 1, np.nan), (4095, 0, np.inf), (9999, 2, -np.inf), (5000, 2, np.nan)],
)
def test_nan_and_inf_deep_in_10000_rows_are_reported_with_row_and_column(
    row, col, value
) -> None:
    rng = np.random.default_rng(6)
    x = rng.normal(size=(10_000, 3)).astype(np.float32)
    y = (rng.random(10_000) < 0.5).astype(np.float32)
    x[row, col] = value
    pattern = rf"x: expected finite numbers, got {value} at row {row}, column {col}"
    with pytest.raises(ValueError, match=pattern):
        jaxnn.fit_logistic(x, y)
    with pytest.raises(ValueError, match=pattern):
        jaxnn.bootstrap_logistic(jax.random.key(0), x, y, n_resamples=4)
    fit = jaxnn.logistic_mle(x, y)
    assert not bool(fit.converged) and not bool(fit.separated)
