"""The traceable entry point of the logistic model, :func:`logistic_mle`.

It checks shapes (at trace time, so under ``jit`` too) and options, and runs
the whole fit of :mod:`jaxnn._logistic_core`; it never raises on values and
reports its outcome in the returned fit's status fields.
"""

import operator

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.typing import ArrayLike

from jaxnn._logistic_core import (
    Diagnostics,
    default_tol,
    fit_prepared,
    float_dtype,
    prepare,
)
from jaxnn._logistic_results import LogisticFit
from jaxnn._solvers import SOLVERS, Solver


def check_shapes(x_shape: tuple[int, ...], y_shape: tuple[int, ...]) -> None:
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


def as_design(x: ArrayLike, y: ArrayLike) -> tuple[Array, Array]:
    """Check shapes (at trace time) and return x as (n, d) and y, both floats."""
    x = jnp.asarray(x)
    y = jnp.asarray(y)
    check_shapes(x.shape, y.shape)
    if x.ndim == 1:
        x = x[:, None]
    dtype = float_dtype(x.dtype)
    return x.astype(dtype), y.astype(dtype)


def check_options(
    solver: str, max_iter: object, tol: object
) -> tuple[np.ndarray, np.ndarray]:
    """Validated options as arrays (traced, so new values do not recompile).

    Integers of any kind (``np.int64(50)`` too) are accepted for
    ``max_iter``; a negative ``tol`` array stands for the dtype's default.
    """
    if solver not in SOLVERS:
        raise ValueError(f"solver: expected one of {SOLVERS}, got {solver!r}")
    max_iter = MAX_ITER[solver] if max_iter is None else max_iter
    count = as_count(max_iter)
    if count is None:
        raise ValueError(f"max_iter: expected a positive integer, got {max_iter!r}")
    ok_tol = isinstance(tol, int | float | np.integer | np.floating) and not isinstance(
        tol, bool
    )
    if tol is not None and not (ok_tol and 0 < float(tol) < np.inf):  # type: ignore[arg-type]
        raise ValueError(f"tol: expected a positive number, got {tol!r}")
    tol_value = -1.0 if tol is None else float(tol)  # type: ignore[arg-type]
    return np.asarray(count, np.int32), np.asarray(tol_value)


def as_count(value: object) -> int | None:
    """A positive Python int from any integer type (not bool), else None."""
    if isinstance(value, bool | np.bool_):
        return None
    try:
        count = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        return None
    return count if 1 <= count < 2**31 else None


MAX_ITER = {"newton": 100, "lbfgs": 1000}


def fit_arrays(
    x: Array,
    y: Array,
    c: Array,
    l2: Array,
    *,
    solver: Solver,
    tol: ArrayLike,
    max_iter: ArrayLike,
) -> tuple[LogisticFit, Diagnostics]:
    """The whole traceable fit of x (n, d), y (n,), weights c (n,) of one dtype."""
    n, d = x.shape
    dtype = x.dtype
    tol = jnp.asarray(tol, dtype)
    tol = jnp.where(tol > 0, tol, default_tol(dtype))
    prep = prepare(x, c, l2)

    def run(_: None) -> tuple[LogisticFit, Diagnostics]:
        return fit_prepared(prep, y, c, solver=solver, tol=tol, max_iter=max_iter)

    if d + 1 <= n:
        return run(None)

    # More parameters than rows: without a penalty no estimate is unique, and
    # the solver (a (d + 1)-square Hessian per step) is not worth running.
    def skip(_: None) -> tuple[LogisticFit, Diagnostics]:
        shapes = jax.eval_shape(run, None)
        fill = lambda s: jnp.full(s.shape, jnp.nan if s.dtype == dtype else 0, s.dtype)
        fit, diag = jax.tree.map(fill, shapes)
        fit = fit._replace(rank_deficient=jnp.asarray(True))
        return fit, diag._replace(dependent=prep.dependent, finite=prep.finite)

    return jax.lax.cond(prep.penalized, run, skip, None)


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

    and reports the outcome in the result's ``converged``, ``separated`` and
    ``rank_deficient`` fields. Safe under ``jit`` and ``vmap`` (for example
    over bootstrap weights) and on row-sharded inputs, which it reduces
    data-parallel.

    Differentiable: :func:`jax.grad`, :func:`jax.jacrev`, :func:`jax.jvp`
    and :func:`jax.hessian`-free compositions of them pass through it with
    respect to ``x``, ``y``, ``weights`` and ``l2``, by implicit
    differentiation of the optimality condition at the estimate (the loop is
    never differentiated), so a fit can sit inside a larger program:
    tuning ``l2``, the influence of each row, bilevel problems. Every field
    that depends on the data (estimates, standard errors, log-likelihood) is
    differentiable; derivatives are meaningful where ``converged`` is true.

    Args:
        x: features, shape ``(n,)`` or ``(n, d)``, finite.
        y: labels in [0, 1] (usually 0 or 1), shape ``(n,)``.
        l2: the ridge penalty :math:`\lambda \ge 0` on the weights (not the
            bias), on the user's scale.
        weights: optional frequency weights :math:`c_i \ge 0`, shape ``(n,)``.
        solver: ``"newton"`` (default: Newton steps with a backtracking line
            search) or ``"lbfgs"`` (:func:`optax.lbfgs`, for many features).
            Both work on whitened columns, so both reach the estimate.
        tol: stop when the Newton decrement
            :math:`\sqrt{g^\top H^{-1} g}`, the distance to the estimate in
            standard errors, is at most ``tol``; default ``1e-5`` in float32
            and ``1e-10`` in float64. The solver also stops, converged, when
            float rounding no longer lets it progress below ``sqrt(tol)``.
        max_iter: iteration cap (default 100 for Newton, 1000 for L-BFGS).

    Returns:
        A :class:`LogisticFit`; check its ``converged``, ``separated`` and
        ``rank_deficient``.

    Examples:
        >>> x = jnp.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
        >>> y = jnp.array([0.0, 0.0, 1.0, 0.0, 1.0, 1.0])
        >>> fit = jax.jit(jaxnn.logistic_mle)(x, y)
        >>> bool(fit.converged), bool(fit.separated)
        (True, False)
        >>> slope = jax.grad(lambda l2: jaxnn.logistic_mle(x, y, l2=l2).weight[0])
        >>> round(float(slope(0.5)), 3)  # how the ridge shrinks the weight
        -0.382
    """
    max_iter_a, tol_a = check_options(solver, max_iter, tol)
    x, y = as_design(x, y)
    if weights is None:
        c = jnp.ones(y.shape, x.dtype)
    else:
        c = jnp.asarray(weights)
        if c.shape != y.shape:
            raise ValueError(
                f"weights: expected shape {tuple(y.shape)}, got {tuple(c.shape)}"
            )
        c = c.astype(x.dtype)
    l2 = jnp.asarray(l2, dtype=x.dtype)
    return _fit_jit(x, y, c, l2, tol_a, max_iter_a, solver)


def _fit_only(
    x: Array,
    y: Array,
    c: Array,
    l2: Array,
    tol: ArrayLike,
    max_iter: ArrayLike,
    solver: Solver,
) -> LogisticFit:
    return fit_arrays(x, y, c, l2, solver=solver, tol=tol, max_iter=max_iter)[0]


# Compiled once per shape and solver when called eagerly (inlined when traced).
_fit_jit = jax.jit(_fit_only, static_argnames=("solver",))
