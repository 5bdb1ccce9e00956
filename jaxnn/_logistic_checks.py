"""The eager side of the logistic model: value checks and the errors they raise.

:func:`jaxnn.fit_logistic` and :func:`jaxnn.bootstrap_logistic` run the
checks and the fit in one compiled call (:data:`checked_fit`), bring a short
status vector to the host, and only then, on a failure, look closer: the
names of the dependent columns, an exact linear-programming test of
separation (:func:`lp_separated`), the row and column of a bad value.
"""

import math
import warnings
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.typing import ArrayLike

from jaxnn._logistic_core import Diagnostics, collinearity_tol
from jaxnn._logistic_mle import as_design, fit_arrays
from jaxnn._logistic_results import LogisticFit
from jaxnn._solvers import Solver

Data = Array | np.ndarray  # an input as given: on device(s) or on the host


class SeparationError(ValueError):
    """The data are separated or quasi-separated: no maximum-likelihood estimate."""


def refuse_traced(func: str, *args: Any) -> None:
    """A TypeError pointing to logistic_mle when called under a transformation."""
    if any(isinstance(a, jax.core.Tracer) for a in jax.tree.leaves(args)):
        raise TypeError(
            f"{func}: got traced arguments (it was called inside jax.jit, "
            f"jax.vmap or jax.grad); {func} checks values and raises errors, "
            "so it runs eagerly only. Inside transformations use "
            "jaxnn.logistic_mle, which never raises and reports its outcome "
            "in the fit's converged, separated and rank_deficient fields "
            "(jax.vmap over its weights= argument gives a bootstrap)."
        )


def check_l2(l2: object) -> float:
    """l2 as a finite float >= 0, or a ValueError naming it."""
    try:
        value = float(l2)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"l2: expected a number >= 0, got {l2!r}") from None
    if not (np.isfinite(value) and value >= 0):
        raise ValueError(f"l2: expected a finite number >= 0, got {l2!r}")
    return value


def _numeric(a: Data) -> bool:
    dtype = a.dtype
    return bool(
        jnp.issubdtype(dtype, jnp.floating)
        or jnp.issubdtype(dtype, jnp.integer)
        or jnp.issubdtype(dtype, jnp.bool_)
    )


def host_shapes(x: ArrayLike, y: ArrayLike) -> tuple[Data, Data]:
    """Check shapes and kinds without moving data; arrays stay where they are."""
    xd = x if isinstance(x, jax.Array) else np.asarray(x)
    yd = y if isinstance(y, jax.Array) else np.asarray(y)
    for name, a in (("x", xd), ("y", yd)):
        if not _numeric(a):
            raise ValueError(
                f"{name}: expected numbers, got an array of dtype {a.dtype}"
            )
    if len(xd.shape) not in (1, 2):
        raise ValueError(f"x: expected shape (n,) or (n, d), got {tuple(xd.shape)}")
    if len(yd.shape) != 1:
        raise ValueError(f"y: expected shape (n,), got {tuple(yd.shape)}")
    if xd.shape[0] != yd.shape[0]:
        raise ValueError(
            f"x and y: expected the same number of rows, got {xd.shape[0]} and "
            f"{yd.shape[0]}"
        )
    if yd.shape[0] == 0:
        raise ValueError("x and y: expected at least one row, got empty input")
    if xd.ndim == 2 and xd.shape[1] == 0:
        raise ValueError("x: expected at least one column, got shape (n, 0)")
    # Host data in one canonical layout (x 2-D, float labels), so that 1-D or
    # 2-D x and bool, int or float y share one compiled fit.
    if isinstance(xd, np.ndarray):
        xd = xd.reshape(len(xd), -1)
        if not jnp.issubdtype(xd.dtype, jnp.floating):
            xd = xd.astype(np.float64)
    if isinstance(yd, np.ndarray) and not jnp.issubdtype(yd.dtype, jnp.floating):
        yd = yd.astype(np.float64)
    return xd, yd


def value_checks(x: Array, y: Array) -> Array:
    """First offending rows (-1: none), reduced on the device, as int32s.

    Non-finite x, labels other than 0 and 1, constant labels, subnormal x.
    Every test is an explicit comparison (``isfinite``), and the row numbers
    are combined with a min over integers: no NaN has to survive a max.
    """
    bad_x = ~jnp.all(jnp.isfinite(x), axis=1)
    bad_y = ~((y == 0) | (y == 1))
    # Subnormal numbers, read from their bits: XLA flushes them to zero in
    # arithmetic on CPUs and GPUs, so a comparison would not see them.
    bits = jax.lax.bitcast_convert_type(x, jnp.dtype(f"uint{8 * x.dtype.itemsize}"))
    finfo = jnp.finfo(x.dtype)
    exp_mask = ((1 << finfo.nexp) - 1) << finfo.nmant
    tiny = (bits & exp_mask == 0) & (bits & ((1 << finfo.nmant) - 1) != 0)

    def first(mask: Array) -> Array:
        # A min over row numbers, not argmax: on row-sharded data it combines
        # across devices as one all-reduce instead of gathering partial results.
        rows = jnp.arange(mask.shape[0], dtype=jnp.int32)
        found = jnp.min(jnp.where(mask, rows, mask.shape[0]))
        return jnp.where(found < mask.shape[0], found, -1)

    constant_y = jnp.all(y == y[0]).astype(jnp.int32)
    return jnp.stack(
        [first(bad_x), first(bad_y), constant_y, first(jnp.any(tiny, axis=1))]
    )


def _checked_fit(
    x: Array, y: Array, l2: Array, solver: Solver, tol: ArrayLike, max_iter: ArrayLike
) -> tuple[LogisticFit, Array, Diagnostics]:
    """Value checks and the fit in one compiled call, with one status vector."""
    x, y = as_design(x, y)
    checks = value_checks(x, y)
    c = jnp.ones(y.shape, x.dtype)
    fit, diag = fit_arrays(
        x, y, c, l2.astype(x.dtype), solver=solver, tol=tol, max_iter=max_iter
    )
    flags = jnp.stack(
        [
            diag.rule_met,
            diag.certified,
            diag.representable,
            diag.penalized,
            fit.converged,
            fit.separated,
            fit.rank_deficient,
        ]
    ).astype(jnp.int32)
    return fit, jnp.concatenate([checks, flags, diag.dependent.astype(jnp.int32)]), diag


checks_only = jax.jit(lambda x, y: value_checks(*as_design(x, y)))
checked_fit = jax.jit(_checked_fit, static_argnames=("solver",))


def raise_for_values(checks: np.ndarray, x: Data, y: Data) -> None:
    """Raise a ValueError naming the first bad value the checks found."""
    bad_x, bad_y, constant_y, tiny = (int(v) for v in checks[:4])
    if bad_x >= 0:
        row = np.asarray(x[bad_x], np.float64).reshape(-1)
        col = int(np.flatnonzero(~np.isfinite(row))[0])
        raise ValueError(
            f"x: expected finite numbers, got {row[col]} at row {bad_x}, column {col}"
        )
    if bad_y >= 0:
        value = np.asarray(y[bad_y]).item()
        raise ValueError(f"y: expected labels 0 or 1, got {value} at row {bad_y}")
    if constant_y:
        value = np.asarray(y[0]).item()
        raise ValueError(
            f"y: every label is {value}; a logistic fit needs both 0s and 1s"
        )
    if tiny >= 0:
        row = np.asarray(x[tiny]).reshape(-1)
        dtype = jnp.dtype(row.dtype)
        with np.errstate(all="ignore"):
            sub = (row != 0) & (np.abs(row) < jnp.finfo(dtype).tiny)
        col = int(np.flatnonzero(sub)[0])
        raise ValueError(
            f"x: {row[col]:.3g} at row {tiny}, column {col} is subnormal (below "
            f"{dtype}'s smallest normal number, {jnp.finfo(dtype).tiny:.3g}); "
            "XLA computes with it as 0. Rescale that column (multiply it by a "
            "power of ten) or use float64"
        )


def too_many_columns(n: int, d: int) -> str:
    """The message for a design with at least as many columns as rows."""
    return (
        f"x: {d} columns for {n} rows: with the bias that is {d + 1} parameters "
        f"for {n} observations, so the design is rank-deficient (at most "
        f"{n - 1} columns can be linearly independent) and the weights are not "
        f"identified; drop columns (keep at most {n - 1}) or pass l2 > 0 for a "
        "penalized fit"
    )


def dependent_columns(
    dependent: np.ndarray, share: np.ndarray, gram: np.ndarray, scaling: Any, dtype: Any
) -> str:
    """Name each dependent column and the columns it is a combination of.

    ``dependent``, ``share`` and ``gram`` are in the order (bias, column 0,
    ...), on the scaled columns; the coefficients are reported on the user's
    scale.
    """
    g = np.asarray(gram, np.float64)
    exponent, _, spread = (np.asarray(a, np.float64) for a in scaling)
    tol = collinearity_tol(dtype)
    parts = []
    for j in np.flatnonzero(dependent):
        col = j - 1
        before = [i for i in range(j) if not dependent[i]]
        if not g[j, j] > 0:  # all zeros once centred
            parts.append(f"column {col} is constant, so it duplicates the bias")
            continue
        gss = g[np.ix_(before, before)]
        beta = np.linalg.lstsq(gss, g[before, j], rcond=None)[0]
        terms = []
        for i, b in zip(before, beta, strict=True):
            if i == 0 or abs(b) * math.sqrt(g[i, i] / g[j, j]) < 1e-6:
                continue
            # x_j = 2^e_j (shift_j + spread_j z_j), z_i = (x_i 2^-e_i - shift_i)
            # / spread_i: the coefficient of x_i in x_j.
            with np.errstate(all="ignore"):
                coef = (
                    b
                    * spread[col]
                    / spread[i - 1]
                    * 2.0 ** (exponent[col] - exponent[i - 1])
                )
            terms.append(f"{coef:.4g} * column {i - 1}")
        if not terms:
            parts.append(f"column {col} is constant, so it duplicates the bias")
            continue
        combo = " + ".join([*terms, "a constant"])
        left = float(share[j])
        parts.append(
            f"column {col} = {combo}, up to a share {max(left, 0.0):.2g} of its "
            f"variance (below the {tol:.2g} that {dtype} resolves)"
        )
    cols = ", ".join(str(j - 1) for j in np.flatnonzero(dependent))
    hint = ""
    combos = any("=" in part for part in parts)
    if combos and jnp.finfo(dtype).bits < 64:
        hint = "; float64 (jax_enable_x64) resolves nearer dependence"
    return (
        "x: the columns are linearly dependent (a rank-deficient design), so "
        "their weights are not identified: " + "; ".join(parts) + ". Drop "
        f"column(s) {cols}, or pass l2 > 0 for a penalized fit{hint}"
    )


def lp_separated(x: Data, y: Data, columns: np.ndarray | None = None) -> bool:
    r"""Whether the rows are separated or quasi-separated: an exact LP test.

    The data have no maximum-likelihood estimate if and only if some
    :math:`\beta` gives every row a margin :math:`m_i = s_i a_i \cdot \beta
    \ge 0` (:math:`s_i = \pm 1` from the label, :math:`a_i` the row with
    its 1) with some margin positive. Maximizing :math:`\sum_i m_i` subject
    to :math:`0 \le m_i \le 1` gives 0 when not, and at least 1 when so
    (scale :math:`\beta` until the largest margin is 1): the decision is a
    gap of 1, not a tolerance. Solved in float64 by SciPy's HiGHS on
    standardized columns (the same column space).
    """
    from scipy.optimize import linprog

    xs = np.asarray(x, np.float64).reshape(len(y), -1)
    if columns is not None:
        xs = xs[:, columns]
    mu = xs.mean(axis=0)
    sd = xs.std(axis=0)
    keep = sd > 0  # a constant column adds nothing to the bias's span
    a = np.column_stack([np.ones(len(xs)), (xs[:, keep] - mu[keep]) / sd[keep]])
    s = np.where(np.asarray(y, np.float64) > 0.5, 1.0, -1.0)
    m = s[:, None] * a
    n, k = m.shape
    res = linprog(
        -m.sum(axis=0),
        A_ub=np.vstack([m, -m]),
        b_ub=np.concatenate([np.ones(n), np.zeros(n)]),
        bounds=[(None, None)] * k,
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(
            f"the separation test's linear program failed: {res.message}"
        )
    return bool(-res.fun > 0.5)


def separation_message(func: str) -> str:
    return (
        "x and y: the data are separated or quasi-separated (a hyperplane "
        "puts all the 0s on one side and all the 1s on the other, ties on it "
        "allowed; checked by a linear program), so the maximum-likelihood "
        "estimate does not exist: the weights grow without bound. Pass "
        f"l2 > 0 to {func} for a penalized fit"
    )


def explain(
    func: str,
    fit: LogisticFit,
    status: np.ndarray,
    diag: Diagnostics,
    x: Data,
    y: Data,
    l2: float,
) -> None:
    """Raise or warn for a fit that is not the estimate; return quietly if it is."""
    rule_met, certified, representable, penalized = (bool(v) for v in status[4:8])
    converged, _, rank_deficient = (bool(v) for v in status[8:11])
    dependent = status[11:].astype(bool)
    dtype = jnp.dtype(fit.weight.dtype)
    if l2 > 0 and not penalized:
        raise ValueError(
            f"l2: {l2:g} is outside {dtype}'s range once x's columns are scaled "
            "to unit size (the penalty on them under- or overflows); rescale x "
            "or l2, or use float64"
        )
    if rank_deficient:
        message = dependent_columns(
            dependent,
            np.asarray(diag.share),
            np.asarray(diag.gram),
            [np.asarray(a) for a in diag.scaling],
            dtype,
        )
        if not penalized:
            keep = np.flatnonzero(~dependent[1:])
            if lp_separated(x, y, keep):
                message += (
                    "; the remaining columns also separate the data, so only "
                    "l2 > 0 gives an estimate"
                )
        raise ValueError(message)
    if converged:
        return
    its = int(fit.iterations)
    if not representable and rule_met and (certified or penalized):
        raise ValueError(_range_message(fit, dtype))
    if not penalized:
        if lp_separated(x, y):
            raise SeparationError(separation_message(func))
        if rule_met:
            warnings.warn(
                f"{func}: the maximum-likelihood estimate exists (a linear "
                f"program shows the data are not separated) but {dtype} "
                "arithmetic did not reach it: some fitted log-odds are beyond "
                "what the dtype resolves; use float64 (jax_enable_x64)",
                RuntimeWarning,
                stacklevel=3,
            )
            return
    warnings.warn(
        f"{func}: did not converge in {its} iterations; increase max_iter",
        RuntimeWarning,
        stacklevel=3,
    )


def _range_message(fit: LogisticFit, dtype: Any) -> str:
    w = np.asarray(fit.weight, np.float64)
    se = np.asarray(fit.weight_stderr, np.float64)
    bad = ~np.isfinite(w) | ~np.isfinite(se) | ~(se >= jnp.finfo(dtype).tiny)
    col = int(np.flatnonzero(bad)[0]) if bad.any() else -1
    where = f"the weight of column {col}" if col >= 0 else "the bias"
    return (
        f"x: {where} or its standard error is outside {dtype}'s range (about "
        f"{jnp.finfo(dtype).tiny:.2g} to {jnp.finfo(dtype).max:.2g}) at the "
        "maximum-likelihood estimate, because the column's values are extreme; "
        "multiply the column by a power of ten, or use float64"
    )
