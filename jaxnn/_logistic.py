r"""The logistic model, its maximum-likelihood fit with Optax, and the bootstrap.

The model is :math:`p(y = 1 \mid x) = \sigma(x \cdot w + b)`. Its negative
log-likelihood (plus an optional ridge penalty on ``w``) is convex; jaxnn
minimizes it with Newton's method written as an Optax transformation
(:func:`jaxnn._solvers.newton`) or with :func:`optax.lbfgs`, in standardized
coordinates, and reports everything on the user's scale, as the result types
of :mod:`jaxnn._logistic_results`.
"""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.typing import ArrayLike

from jaxnn._logistic_results import LogisticFit as LogisticFit
from jaxnn._solvers import SOLVERS, Solver, minimize

_Data = Array | np.ndarray  # an input as given: on device(s) or on the host
_MAX_ITER = {"newton": 100, "lbfgs": 1000}


class SeparationError(ValueError):
    """The data are perfectly separated, so no maximum-likelihood estimate exists."""


def _float_dtype(x: Array) -> jnp.dtype:
    """The dtype a fit runs in: x's float type, at least float32."""
    if jnp.issubdtype(x.dtype, jnp.floating) and jnp.finfo(x.dtype).bits >= 32:
        return x.dtype
    return jnp.result_type(float)


def _check_shapes(x_shape: tuple[int, ...], y_shape: tuple[int, ...]) -> None:
    """x of shape (n,) or (n, d) and y of shape (n,), or a ValueError saying so."""
    if len(x_shape) not in (1, 2):
        raise ValueError(f"x: expected shape (n,) or (n, d), got {tuple(x_shape)}")
    if len(y_shape) != 1:
        raise ValueError(f"y: expected shape (n,), got {tuple(y_shape)}")
    if x_shape[0] != y_shape[0]:
        raise ValueError(
            f"x and y: expected the same number of rows, got {x_shape[0]} and "
            f"{y_shape[0]}"
        )


def _as_design(x: ArrayLike, y: ArrayLike) -> tuple[Array, Array]:
    """Check shapes (at trace time) and return x as (n, d) and y as floats."""
    x = jnp.asarray(x)
    y = jnp.asarray(y)
    _check_shapes(x.shape, y.shape)
    if x.ndim == 1:
        x = x[:, None]
    dtype = _float_dtype(x)
    return x.astype(dtype), y.astype(dtype)


def _standardize(x: Array) -> tuple[Array, Array]:
    """Column means and scales used to standardize x (scale 1 for constants)."""
    mean = jnp.mean(x, axis=0)
    scale = jnp.std(x, axis=0)
    return mean, jnp.where(scale > 0, scale, jnp.ones_like(scale))


def _default_gtol(dtype: jnp.dtype) -> float:
    # Relative to the total weight (the number of rows): near the rounding
    # floor of a float32 gradient, and far below it in float64, where
    # Newton's quadratic convergence gets there in one more step anyway.
    return 1e-6 if jnp.finfo(dtype).bits <= 32 else 1e-11


def _fit(
    x: Array,
    y: Array,
    counts: Array | None,
    mean: Array,
    scale: Array,
    l2: Array,
    solver: Solver,
    tol: ArrayLike,
    max_iter: ArrayLike,
    start: Array | None = None,
    autodiff_hessian: bool = True,
) -> LogisticFit:
    """The traceable fit: x (n, d) and y (n,) of one float dtype.

    ``start`` is a starting point on the standardized scale (default 0).
    ``autodiff_hessian`` takes the observed information from
    :func:`jax.hessian` of the objective; else from the closed form that the
    Newton loop uses (cheaper under ``vmap``, equal up to rounding).
    """
    dtype = x.dtype
    n, d = x.shape
    z = (x - mean[None, :]) / scale[None, :]
    c = jnp.ones((n,), dtype) if counts is None else counts.astype(dtype)
    # The ridge penalty 0.5 * l2 * |w|^2 on the user's scale, where w = w' / s.
    ridge = l2 / scale**2

    design = jnp.concatenate([z, jnp.ones((n, 1), dtype)], axis=1)
    ridge_full = jnp.concatenate([ridge, jnp.zeros((1,), dtype)])

    def nll(theta: Array) -> Array:
        eta = design @ theta
        # softplus(eta) - y * eta = -log p(y | eta), exact for all eta.
        return jnp.sum(c * (jax.nn.softplus(eta) - y * eta))

    def objective(theta: Array) -> Array:
        return nll(theta) + 0.5 * jnp.sum(ridge_full * theta**2)

    k = d + 1
    if k <= 4:
        # Products of column pairs, (n, k*k): each Hessian is then a vector-
        # matrix product, which vmap (the bootstrap) turns into one matrix
        # product over all resamples instead of many tiny ones.
        pairs = (design[:, :, None] * design[:, None, :]).reshape(n, k * k)
        weighted_gram = lambda s: (s @ pairs).reshape(k, k)
    else:
        weighted_gram = lambda s: (design * s[:, None]).T @ design

    def derivatives(theta: Array) -> tuple[Array, Array]:
        # The gradient and Hessian of `objective` in one pass over the rows
        # (the Newton solver's hot loop); the standard errors below use
        # jax.hessian of `objective` itself.
        p = jax.nn.sigmoid(design @ theta)
        grad = (c * (p - y)) @ design + ridge_full * theta
        hess = weighted_gram(c * p * (1.0 - p))
        return grad, hess + jnp.diag(ridge_full)

    total = jnp.sum(c)
    # tol < 0 stands for the dtype's default (tol is traced: no recompiling).
    gtol = (
        jnp.where(jnp.asarray(tol) > 0, tol, _default_gtol(dtype)).astype(dtype) * total
    )
    res = minimize(
        objective,
        jnp.zeros((d + 1,), dtype) if start is None else start.astype(dtype),
        solver=solver,
        gtol=gtol,
        max_iter=max_iter,
        derivatives=derivatives,
    )
    theta = res.params
    eta = design @ theta
    # Separated data have no MLE; the solver then walks off along a direction
    # that classifies rows ever more confidently, until the gradient is tiny.
    # Complete separation: the iterate classifies every row correctly, up to
    # rows on the boundary (|eta| tiny next to the largest), with saturated
    # log-odds; an MLE always misclassifies some row by a margin.
    used = c > 0
    sign = 2.0 * y - 1.0
    margin = jnp.where(used, sign * eta, jnp.inf)
    biggest = jnp.max(jnp.where(used, jnp.abs(eta), 0.0))
    complete = (jnp.min(margin) >= -1e-3 * biggest) & ((biggest > 8.0) | ~res.converged)
    # Quasi-complete separation (ties on the boundary): some rows saturated
    # (p within 5e-5 of 0 or 1), every one of them on its correct side, and
    # the information along the escape direction all but gone (the variance
    # of a standardized coefficient 1e4 times that of one row's worth).
    # Observed information on the standardized scale; below, it is mapped to
    # the user's scale by the (linear) change of variables theta_user = J theta.
    if autodiff_hessian:
        info = jax.hessian(objective)(theta)
    elif res.hessian is not None:
        info = res.hessian  # the Newton loop's last Hessian, at theta
    else:
        info = derivatives(theta)[1]
    cov_std = jnp.linalg.inv(info)
    saturated = used & (jnp.abs(eta) > 10.0)
    all_right = jnp.all(jnp.where(saturated, sign * eta > 0, True))
    variance = jnp.max(jnp.diagonal(cov_std)) * total
    quasi = jnp.any(saturated) & all_right & ~(variance < 1e4)
    separated = (l2 == 0) & (complete | quasi)

    jac = jnp.zeros((d + 1, d + 1), dtype)
    jac = jac.at[jnp.arange(d), jnp.arange(d)].set(1.0 / scale)
    jac = jac.at[d, :d].set(-mean / scale)
    jac = jac.at[d, d].set(1.0)
    cov = jac @ cov_std @ jac.T
    params = jac @ theta
    stderr = jnp.sqrt(jnp.diagonal(cov))
    return LogisticFit(
        weight=params[:d],
        bias=params[d],
        weight_stderr=stderr[:d],
        bias_stderr=stderr[d],
        covariance=cov,
        # The loop's last objective value, less the penalty: no extra pass.
        log_likelihood=-(res.value - 0.5 * jnp.sum(ridge_full * theta**2)),
        iterations=res.iterations,
        converged=res.converged,
        separated=separated,
    )


def _check_options(
    solver: str, max_iter: int | None, tol: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """Validated options as arrays (traced, so new values do not recompile)."""
    if solver not in SOLVERS:
        raise ValueError(f"solver: expected one of {SOLVERS}, got {solver!r}")
    max_iter = _MAX_ITER[solver] if max_iter is None else max_iter
    if not (isinstance(max_iter, int) and max_iter >= 1):
        raise ValueError(f"max_iter: expected a positive integer, got {max_iter!r}")
    if tol is not None and not (isinstance(tol, int | float) and 0 < tol < np.inf):
        raise ValueError(f"tol: expected a positive number, got {tol!r}")
    return np.asarray(max_iter, np.int32), np.asarray(-1.0 if tol is None else tol)


def logistic_mle(
    x: ArrayLike,
    y: ArrayLike,
    *,
    l2: ArrayLike = 0.0,
    weights: ArrayLike | None = None,
    solver: Solver = "newton",
    tol: float | None = None,
    max_iter: int | None = None,
) -> LogisticFit:
    r"""The traceable core of :func:`fit_logistic`: no value checks, no raising.

    Minimizes the (weighted) negative log-likelihood plus a ridge penalty,

    .. math::
        \sum_i c_i \left[\log(1 + e^{\eta_i}) - y_i \eta_i\right]
        + \tfrac{\lambda}{2} \lVert w \rVert^2, \qquad \eta_i = x_i \cdot w + b,

    over standardized columns, and reports the status in the result's
    ``converged`` and ``separated`` fields. Safe under ``jit`` and ``vmap``
    (for example over bootstrap weights) and on row-sharded inputs, which it
    reduces data-parallel.

    Args:
        x: features, shape ``(n,)`` or ``(n, d)``.
        y: labels in {0, 1}, shape ``(n,)``.
        l2: the ridge penalty :math:`\lambda \ge 0` on the weights (not the
            bias), on the user's scale.
        weights: optional frequency weights :math:`c_i \ge 0`, shape ``(n,)``.
        solver: ``"newton"`` (default: Newton steps with a backtracking line
            search) or ``"lbfgs"`` (:func:`optax.lbfgs`, for many features).
        tol: stopping rule, ``max |gradient| <= tol * sum(c)`` on the
            standardized scale; default ``1e-6`` in float32, ``1e-11`` in
            float64.
        max_iter: iteration cap (default 100 for Newton, 1000 for L-BFGS).

    Returns:
        A :class:`LogisticFit`; check its ``converged`` and ``separated``.

    Examples:
        >>> x = jnp.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
        >>> y = jnp.array([0.0, 0.0, 1.0, 0.0, 1.0, 1.0])
        >>> fit = jax.jit(jaxnn.logistic_mle)(x, y)
        >>> bool(fit.converged), bool(fit.separated)
        (True, False)
    """
    max_iter_a, tol_a = _check_options(solver, max_iter, tol)
    x, y = _as_design(x, y)
    counts = None
    if weights is not None:
        counts = jnp.asarray(weights)
        if counts.shape != y.shape:
            raise ValueError(
                f"weights: expected shape {tuple(y.shape)}, got {tuple(counts.shape)}"
            )
    mean, scale = _standardize(x)
    l2 = jnp.asarray(l2, dtype=x.dtype)
    return _fit(x, y, counts, mean, scale, l2, solver, tol_a, max_iter_a)


def _host_shapes(x: ArrayLike, y: ArrayLike) -> tuple[_Data, _Data]:
    """Check shapes and kinds without moving data; arrays stay where they are."""
    xd = x if isinstance(x, jax.Array) else np.asarray(x)
    yd = y if isinstance(y, jax.Array) else np.asarray(y)
    for name, a in (("x", xd), ("y", yd)):
        kind = np.dtype(a.dtype).kind
        if kind not in "biuf":
            raise ValueError(
                f"{name}: expected numbers, got an array of dtype {a.dtype}"
            )
    _check_shapes(xd.shape, yd.shape)
    if yd.shape[0] == 0:
        raise ValueError("x and y: expected at least one row, got empty input")
    if xd.ndim == 2 and xd.shape[1] == 0:
        raise ValueError("x: expected at least one column, got shape (n, 0)")
    # Host data in one canonical layout (x 2-D, float labels), so that 1-D or
    # 2-D x and bool, int or float y share one compiled fit.
    if isinstance(xd, np.ndarray):
        xd = xd.reshape(len(xd), -1)
        if xd.dtype.kind != "f":
            xd = xd.astype(np.float64)
    if isinstance(yd, np.ndarray) and yd.dtype.kind != "f":
        yd = yd.astype(np.float64)
    return xd, yd


def _value_checks(x: Array, y: Array) -> Array:
    """First offending rows/column as int32s (-1: none), reduced on the device."""
    bad_x = ~jnp.all(jnp.isfinite(x), axis=1)
    bad_y = ~((y == 0) | (y == 1))
    const_col = jnp.min(x, axis=0) == jnp.max(x, axis=0)

    def first(mask: Array) -> Array:
        # A min over row numbers, not argmax: on row-sharded data it combines
        # across devices as one all-reduce instead of gathering partial results.
        rows = jnp.arange(mask.shape[0], dtype=jnp.int32)
        found = jnp.min(jnp.where(mask, rows, mask.shape[0]))
        return jnp.where(found < mask.shape[0], found, -1)

    constant_y = jnp.all(y == y[0]).astype(jnp.int32)
    return jnp.stack([first(bad_x), first(bad_y), first(const_col), constant_y])


def _checked_fit(
    x: Array,
    y: Array,
    l2: Array,
    solver: Solver,
    tol: ArrayLike,
    max_iter: ArrayLike,
) -> tuple[LogisticFit, Array]:
    """Value checks and the fit in one compiled call, with one status vector."""
    x, y = _as_design(x, y)
    checks = _value_checks(x, y)
    mean, scale = _standardize(x)
    fit = _fit(x, y, None, mean, scale, l2.astype(x.dtype), solver, tol, max_iter)
    flags = jnp.stack([fit.separated, fit.converged]).astype(jnp.int32)
    return fit, jnp.concatenate([checks, flags])


_checks_jit = jax.jit(lambda x, y: _value_checks(*_as_design(x, y)))
_checked_fit_jit = jax.jit(_checked_fit, static_argnames=("solver",))


def _raise_for(checks: np.ndarray, x: _Data, y: _Data, l2: float) -> None:
    """Raise a ValueError naming the first problem the checks found."""
    bad_x, bad_y, const_col, constant_y = (int(v) for v in checks[:4])
    if bad_x >= 0:
        row = np.asarray(x[bad_x]).tolist()
        raise ValueError(f"x: expected finite numbers, got {row} at row {bad_x}")
    if bad_y >= 0:
        value = np.asarray(y[bad_y]).item()
        raise ValueError(f"y: expected labels 0 or 1, got {value} at row {bad_y}")
    if constant_y:
        value = np.asarray(y[0]).item()
        raise ValueError(
            f"y: every label is {value}; a logistic fit needs both 0s and 1s"
        )
    if const_col >= 0 and l2 == 0:
        raise ValueError(
            f"x: column {const_col} is constant, so its weight is not identified "
            "(it duplicates the bias); drop it or pass l2 > 0"
        )


def _check_l2(l2: float) -> float:
    try:
        value = float(l2)
    except (TypeError, ValueError):
        raise ValueError(f"l2: expected a number >= 0, got {l2!r}") from None
    if not (np.isfinite(value) and value >= 0):
        raise ValueError(f"l2: expected a finite number >= 0, got {l2!r}")
    return value


def fit_logistic(
    x: ArrayLike,
    y: ArrayLike,
    *,
    l2: float = 0.0,
    solver: Solver = "newton",
    tol: float | None = None,
    max_iter: int | None = None,
) -> LogisticFit:
    r"""Fit the logistic model :math:`\sigma(x \cdot w + b)` by maximum likelihood.

    Estimates :math:`p(y = 1 \mid x) = \sigma(x \cdot w + b)`. Checks the
    values and fits in one compiled call (row-sharded inputs stay sharded: the
    checks are reductions on the devices), then raises if a check failed.
    Columns are standardized internally, so badly scaled features converge;
    the result is on the user's scale. Runs in x's float dtype (float64 under
    ``jax_enable_x64``), at least float32.

    Args:
        x: features, shape ``(n,)`` or ``(n, d)``; numbers, finite.
        y: labels 0 or 1 (float, int or bool), shape ``(n,)``, both present.
        l2: ridge penalty :math:`\tfrac{\lambda}{2}\lVert w\rVert^2` on the
            weights; makes separated data fittable.
        solver: ``"newton"`` or ``"lbfgs"`` (see :func:`logistic_mle`).
        tol: gradient tolerance (see :func:`logistic_mle`).
        max_iter: iteration cap (see :func:`logistic_mle`).

    Returns:
        A :class:`LogisticFit`.

    Raises:
        SeparationError: the data are perfectly separated (and ``l2 == 0``).
        ValueError: mismatched or empty input, NaN or inf, labels other than 0
            and 1, constant labels, a constant column (with ``l2 == 0``).

    Examples:
        >>> import jaxnn.datasets
        >>> size, spread = jaxnn.datasets.tumor()
        >>> fit = jaxnn.fit_logistic(size, spread)
        >>> fit.weight.round(3), fit.bias.round(3)
        (Array([0.424], dtype=float32), Array(-1.43, dtype=float32))
        >>> fit.weight_stderr.round(4)
        Array([0.0653], dtype=float32)
    """
    max_iter_a, tol_a = _check_options(solver, max_iter, tol)
    l2 = _check_l2(l2)
    x, y = _host_shapes(x, y)
    fit, status = _checked_fit_jit(x, y, np.float64(l2), solver, tol_a, max_iter_a)
    status = np.asarray(status)  # the one device-to-host transfer: 6 ints
    _raise_for(status, x, y, l2)
    separated, converged = bool(status[4]), bool(status[5])
    if separated:
        raise SeparationError(
            "x and y: the data are perfectly separated (a hyperplane splits the "
            "0s from the 1s), so the maximum-likelihood estimate does not exist "
            "(the weights grow without bound); pass l2 > 0 for a penalized fit"
        )
    if not converged:
        warnings.warn(
            f"fit_logistic: did not converge in {int(fit.iterations)} iterations; "
            "increase max_iter or tol, or pass l2 > 0",
            RuntimeWarning,
            stacklevel=2,
        )
    return fit
