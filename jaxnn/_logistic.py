r"""The logistic model's eager entry point, :func:`fit_logistic`.

The model is :math:`p(y = 1 \mid x) = \sigma(x \cdot w + b)`. Its negative
log-likelihood (plus an optional ridge penalty on ``w``) is convex; jaxnn
minimizes it with Newton's method written as an Optax transformation
(:func:`jaxnn._solvers.newton`) or with :func:`optax.lbfgs`, on scaled and
whitened columns (:mod:`jaxnn._logistic_core`; the traceable :func:`logistic_mle` is in
:mod:`jaxnn._logistic_mle`), and reports everything on the user's scale,
as the result types of :mod:`jaxnn._logistic_results`. The checks and the
messages they raise live in :mod:`jaxnn._logistic_checks`.
"""

import numpy as np
from jax.typing import ArrayLike

from jaxnn._logistic_checks import (
    SeparationError as SeparationError,
)
from jaxnn._logistic_checks import (
    check_l2,
    checked_fit,
    checks_only,
    explain,
    host_shapes,
    raise_for_values,
    refuse_traced,
    too_many_columns,
)
from jaxnn._logistic_mle import check_options
from jaxnn._logistic_mle import logistic_mle as logistic_mle
from jaxnn._logistic_results import LogisticFit as LogisticFit
from jaxnn._solvers import Solver


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
    Every call ends in one of three ways: the maximum-likelihood estimate
    (``l2 == 0``) or the penalized one (``l2 > 0``, which exists for any
    data); a :class:`SeparationError` when the data are separated or
    quasi-separated, so that no estimate exists (decided by an exact test);
    or a ``ValueError`` when the design is rank-deficient, naming the
    dependent columns. Columns are scaled and whitened internally, so badly
    scaled (1e-30 to 1e30 in float32) or strongly correlated features
    converge; the result is on the user's scale. Runs in x's float dtype
    (float64 under ``jax_enable_x64``), at least float32.

    Accuracy: the fit stops when the Newton decrement, the distance to the
    estimate in standard errors, is below ``tol`` (``1e-10`` in float64,
    where the estimate then matches statsmodels to 1e-6 relative). In
    float32 each estimate is within ``1e-6 * sqrt(n) + 1e-5 * sqrt(kappa)``
    standard errors of the exact one, and each standard error within that
    relative error, where n is the number of rows (float32 sums over them
    round) and ``kappa`` the condition number of the correlation matrix of
    the columns (tested against statsmodels in
    ``tests/test_logistic_numerics.py``).

    Args:
        x: features, shape ``(n,)`` or ``(n, d)``; numbers, finite.
        y: labels 0 or 1 (float, int or bool), shape ``(n,)``, both present.
        l2: ridge penalty :math:`\tfrac{\lambda}{2}\lVert w\rVert^2` on the
            weights; makes separated data and dependent columns fittable.
        solver: ``"newton"`` or ``"lbfgs"`` (see :func:`logistic_mle`).
        tol: Newton-decrement tolerance (see :func:`logistic_mle`).
        max_iter: iteration cap (see :func:`logistic_mle`).

    Returns:
        A :class:`LogisticFit`; printing it shows the coefficient table.

    Raises:
        SeparationError: the data are separated or quasi-separated (and
            ``l2 == 0``).
        ValueError: mismatched or empty input, NaN or inf (the row and column
            are named), labels other than 0 and 1, constant labels, a
            rank-deficient design (``d >= n``, a constant column, exactly or
            numerically collinear columns; with ``l2 == 0``), an estimate
            outside the dtype's range.
        TypeError: called inside ``jit``, ``vmap`` or ``grad`` (use
            :func:`logistic_mle` there).

    Examples:
        >>> import jaxnn.datasets
        >>> size, spread = jaxnn.datasets.tumor()
        >>> fit = jaxnn.fit_logistic(size, spread)
        >>> fit.weight.round(3), fit.bias.round(3)
        (Array([0.424], dtype=float32), Array(-1.43, dtype=float32))
        >>> fit.weight_stderr.round(4)
        Array([0.0653], dtype=float32)
    """
    refuse_traced("fit_logistic", x, y, l2)
    max_iter_a, tol_a = check_options(solver, max_iter, tol)
    l2 = check_l2(l2)
    x, y = host_shapes(x, y)
    n, d = x.shape[0], (x.shape[1] if x.ndim == 2 else 1)
    if d >= n and l2 == 0:
        raise_for_values(np.asarray(checks_only(x, y)), x, y)
        raise ValueError(too_many_columns(n, d))
    fit, status, diag = checked_fit(x, y, np.float64(l2), solver, tol_a, max_iter_a)
    status = np.asarray(status)  # the one device-to-host transfer: a few ints
    raise_for_values(status, x, y)
    explain("fit_logistic", fit, status, diag, x, y, l2)
    return fit
