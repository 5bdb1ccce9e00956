r"""The traceable logistic maximum-likelihood fit: the parts shared by every entry.

The model is :math:`p(y = 1 \mid x) = \sigma(x \cdot w + b)`. The fit runs in
three coordinate systems, each a fixed linear change of variables, so the
estimate on the user's scale is the same whichever is used:

1. *Scaled*: each column is multiplied by a power of two, :math:`2^{-e_j}`,
   that brings its largest magnitude into [0.5, 1) (exact in binary floating
   point), then centred and divided by its standard deviation. Columns of
   any size the dtype can hold, from 1e-30 to 1e30 in float32, give the same
   well-scaled :math:`z`; squares and sums never overflow or flush to zero.
2. *Whitened*: the design :math:`A = [1, z]` times :math:`L^{-\top}`, where
   :math:`L L^\top` is the Cholesky factorization of :math:`A^\top C A / \sum c`
   (plus the penalty). The Hessian is then close to a multiple of the
   identity, so Newton's linear algebra and L-BFGS's curvature model work on
   a well-conditioned problem. The factorization is done twice (the second
   time on the columns the first whitened, as in CholeskyQR2), and tells
   collinear columns: the share of a column's variance not explained by the
   bias and the columns before it, below :func:`collinearity_tol`, marks the
   column as dependent.
3. The user's scale, reached by undoing 2 and 1 in closed form, with the
   power-of-two factors applied last so that a weight of 1e-30 or 1e30 is
   formed without overflow.

Status needs no raising: a Stiemke certificate (:func:`certified`) proves
that a maximum-likelihood estimate exists; the estimate is differentiable
by implicit differentiation of the optimality condition
(:func:`jax.lax.custom_root`).
"""

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import Array
from jax.typing import ArrayLike

from jaxnn._activations import sigmoid, softplus
from jaxnn._logistic_results import LogisticFit
from jaxnn._solvers import SMALL, Solver, minimize, solve_spd


def float_dtype(dtype: jnp.dtype) -> jnp.dtype:
    """The dtype a fit runs in: a float type of at least 32 bits.

    float16 and bfloat16 data are fitted in float32; integers and bools in
    JAX's default float (float64 under ``jax_enable_x64``).
    """
    if jnp.issubdtype(dtype, jnp.floating):
        return dtype if jnp.finfo(dtype).bits >= 32 else jnp.dtype(jnp.float32)
    return jnp.result_type(float)


def default_tol(dtype: jnp.dtype) -> float:
    """The default Newton-decrement tolerance, in standard errors.

    float64: 1e-10 (quadratic convergence gets there one step after 1e-5).
    float32: 1e-5, near the floor that rounding of a float32 gradient sets
    (the solver also stops, converged, at that floor; see
    :func:`jaxnn._solvers.minimize`).
    """
    return 1e-5 if jnp.finfo(dtype).bits <= 32 else 1e-10


def collinearity_tol(dtype: jnp.dtype) -> float:
    """The share of variance below which a column counts as dependent.

    A column is a (numerical) linear combination of the bias and the columns
    before it when the part of it they leave unexplained has a standard
    deviation below ``1024 eps`` of the column's own: a share of variance
    below ``(1024 eps)**2``, 1.5e-8 in float32 and 5e-26 in float64. Data
    rounded to the dtype know that part only to ``eps / sqrt(share)``
    relative, so below this its weight is not determined by the data as
    stored. The share is measured in two passes (the second on the columns
    whitened by the first), so that its rounding error is far below this.
    """
    return float(1024.0 * jnp.finfo(dtype).eps) ** 2


def gram_noise_tol(k: int, dtype: jnp.dtype) -> float:
    """The rounding level of a pivot from one pass over nearly orthonormal columns.

    ``16 k eps``: a pivot computed from the Gram matrix of k standardized
    columns is off by a few ``k eps`` (measured at most ``6 eps`` for k = 4
    and up to a million float32 rows).
    """
    return 16.0 * k * float(jnp.finfo(dtype).eps)


def times_pow2(v: Array, e: Array) -> Array:
    """``v * 2**e`` in two exact factors, so no intermediate over/underflows."""
    half = e // 2
    one = jnp.ones((), v.dtype)
    return v * jnp.ldexp(one, half) * jnp.ldexp(one, e - half)


class Scaling(NamedTuple):
    """The column scaling: ``z = (x * 2**-exponent - shift) / spread``."""

    exponent: Array  # (d,) int32
    shift: Array  # (d,)
    spread: Array  # (d,), 1 for a constant column


def standardize(x: Array) -> tuple[Array, Scaling]:
    """Scale, centre and standardize the columns of x, safely at any magnitude.

    The scaling constants are treated as constants by differentiation: any
    fixed change of variables gives the same estimate, so derivatives with
    respect to ``x`` flow only through ``z``.
    """
    xs = jax.lax.stop_gradient(x)
    amax = jnp.max(jnp.abs(xs), axis=0)  # only sets a scale; finiteness is
    # tested apart (a max can drop NaN on XLA's CPU backend)
    amax = jnp.where(jnp.isfinite(amax), amax, 1.0)
    _, exponent = jnp.frexp(amax)
    u = times_pow2(xs, -exponent[None, :])
    shift = jnp.mean(u, axis=0)
    spread = jnp.sqrt(jnp.mean((u - shift[None, :]) ** 2, axis=0))
    spread = jnp.where(spread > 0, spread, 1.0)
    z = (times_pow2(x, -exponent[None, :]) - shift[None, :]) / spread[None, :]
    return z, Scaling(exponent, shift, spread)


def weighted_gram(a: Array, c: Array) -> Array:
    """``a.T @ diag(c) @ a``, shape (k, k)."""
    n, k = a.shape
    if k <= 4:
        # Products of column pairs, (n, k*k): each Gram matrix is then a
        # vector-matrix product, which vmap (the bootstrap) turns into one
        # matrix product over all resamples instead of many tiny ones.
        pairs = (a[:, :, None] * a[:, None, :]).reshape(n, k * k)
        return (c @ pairs).reshape(k, k)
    return (a * c[:, None]).T @ a


def whiten(
    m: Array, tol: float, ref: Array | None = None, floor: float | None = None
) -> tuple[Array, Array, Array]:
    """A Cholesky factor of m that sets aside (numerically) dependent columns.

    Returns ``(L, dependent, share)``: ``share[j]`` is column j's pivot, the
    part of ``m[j, j]`` not explained by the independent columns before it,
    divided by ``ref[j]`` (default ``m[j, j]``); the column is dependent when
    the share is at most ``tol``. Such a column of L is the unit vector, so
    L stays invertible; ``L @ L.T`` equals ``m`` on the independent columns.
    With ``floor``, a share below it (rounding can make it 0 or negative) is
    raised to it instead, and only a NaN makes a column dependent: the first
    of two passes, which must not decide on a pivot its rounding swamps.
    """
    k = m.shape[0]
    ref = jnp.diagonal(m) if ref is None else ref
    idx = jnp.arange(k)

    def column(s: Array, j: int | Array) -> tuple[Array, Array, Array, Array]:
        pivot = s[j, j]
        if floor is not None:
            pivot = jnp.where(pivot < floor * ref[j], floor * ref[j], pivot)
        share = pivot / ref[j]
        # Written as "not above", so a NaN pivot counts as dependent.
        is_dep = ~(share > tol) | ~(pivot > 0)
        col = s[:, j].at[j].set(pivot) / jnp.sqrt(jnp.where(is_dep, 1.0, pivot))
        col = jnp.where((idx >= j) & ~is_dep, col, 0.0)
        unit = (idx == j).astype(m.dtype)
        return col, jnp.where(is_dep, unit, col), is_dep, share

    if k <= SMALL:
        # Unrolled: vectorizes under vmap (one resample's check each).
        s, cols, deps, shares = m, [], [], []
        for j in range(k):
            col, low_col, is_dep, share = column(s, j)
            s = s - jnp.outer(col, col)
            cols.append(low_col)
            deps.append(is_dep)
            shares.append(share)
        return jnp.stack(cols, axis=1), jnp.stack(deps), jnp.stack(shares)

    chol = jnp.linalg.cholesky(m)
    pivots = jnp.diagonal(chol) ** 2
    shares = pivots / ref
    low_bar = tol if floor is None else floor
    bad = ~(shares > low_bar) | ~(pivots > 0)

    def deflated(_: None) -> tuple[Array, Array, Array]:
        def body(j: Array, carry: tuple) -> tuple:
            s, low, dep, sh = carry
            col, low_col, is_dep, share = column(s, j)
            s = s - jnp.outer(col, col)
            return (
                s,
                low.at[:, j].set(low_col),
                dep.at[j].set(is_dep),
                sh.at[j].set(share),
            )

        init = (m, jnp.zeros_like(m), jnp.zeros((k,), bool), jnp.zeros((k,), m.dtype))
        _, low, dep, sh = jax.lax.fori_loop(0, k, body, init)
        return low, dep, sh

    return jax.lax.cond(
        jnp.any(bad),
        deflated,
        lambda _: (chol, jnp.zeros((k,), bool), shares),
        None,
    )


class Prepared(NamedTuple):
    """The whitened problem: everything the solver and the mapping back need."""

    design: Array  # (n, k) whitened design B = [1, z] L^-T
    chol: Array  # (k, k) L
    penalty: Array  # (k, k) the ridge penalty's Hessian in whitened coordinates
    scaling: Scaling
    gram: Array  # (k, k) [1, z]' C [1, z] / sum(c) plus 4 * ridge / sum(c)
    share: Array  # (k,) each column's share of variance the ones before leave
    dependent: Array  # (k,) bool, in the order (bias, column 0, column 1, ...)
    penalized: Array  # () bool: l2 > 0 and representable on the scaled columns
    finite: Array  # () bool: every x finite


def prepare(x: Array, c: Array, l2: Array) -> Prepared:
    """Scale, whiten and check the design (x of shape (n, d)) under weights c."""
    n, d = x.shape
    k = d + 1
    dtype = x.dtype
    z, scaling = standardize(x)
    # The penalty 0.5 * l2 * |w|^2 with w_j = w_z_j / (2^e_j spread_j).
    ridge = times_pow2(
        l2 / jax.lax.stop_gradient(scaling.spread) ** 2, -2 * scaling.exponent
    )
    ridge = jnp.concatenate([jnp.zeros((1,), dtype), ridge])
    finite_ridge = jnp.all(jnp.isfinite(ridge))
    penalized = (l2 > 0) & jnp.all(ridge[1:] > 0) & finite_ridge
    ridge = jnp.where(finite_ridge, ridge, 0.0)
    a = jnp.concatenate([jnp.ones((n, 1), dtype), z], axis=1)
    cs = jax.lax.stop_gradient(c)
    total = jnp.sum(cs)
    ridge_gram = jnp.diag(4.0 * jax.lax.stop_gradient(ridge) / total)
    m = weighted_gram(jax.lax.stop_gradient(a), cs) / total + ridge_gram
    finite = jnp.all(jnp.isfinite(x))
    if k > n:
        # Rank at most n < k: dependent columns for certain (which ones is
        # named by the caller); factor the penalized matrix only.
        chol, dependent, share = whiten(m, 0.0)
        dependent = dependent | ~penalized
    else:
        # Two passes (as in CholeskyQR2): the first whitens, the second
        # measures what the first left of each column, with rounding errors
        # relative to that remainder rather than to the whole column.
        chol1, dep1, share1 = whiten(m, 0.0, floor=gram_noise_tol(k, dtype))
        low = jax.lax.stop_gradient(chol1)
        a1 = jax.lax.stop_gradient(a) @ _inverse_lower(low).T
        m2 = weighted_gram(a1, cs) / total
        m2 = m2 + _solve_lower(low, _solve_lower(low, ridge_gram).T)
        chol2, dep2, share2 = whiten(m2, 0.0, jnp.ones((k,), dtype))
        chol = chol1 @ chol2
        share = jnp.where(dep1 | dep2, 0.0, share1 * share2)
        dependent = ~(share > collinearity_tol(dtype)) & finite
    chol = jax.lax.stop_gradient(chol)
    # A product with the small inverse rather than a triangular solve over
    # the rows: row-sharded data stay sharded (no gather).
    design = a @ _inverse_lower(chol).T
    penalty = _solve_lower(chol, _solve_lower(chol, jnp.diag(ridge)).T)
    return Prepared(
        design, chol, penalty, scaling, m, share, dependent, penalized, finite
    )


def _solve_lower(low: Array, b: Array) -> Array:
    return jax.scipy.linalg.solve_triangular(low, b, lower=True)


def _inverse_lower(low: Array) -> Array:
    return _solve_lower(low, jnp.eye(low.shape[0], dtype=low.dtype))


def neg_log_lik(eta: Array, y: Array, c: Array) -> Array:
    """``-sum c log p(y | eta)``, exact for all eta."""
    # softplus(eta) - y eta = softplus(-|eta|) + (max(eta, 0) - y eta): the
    # bracket is exactly 0 for a 0/1 label on its own side, so a confident,
    # correct row contributes its tiny softplus(-|eta|) with full precision.
    return jnp.sum(c * (softplus(-jnp.abs(eta)) + (jnp.maximum(eta, 0.0) - y * eta)))


def _residual_weight(eta: Array, y: Array) -> tuple[Array, Array]:
    """``sigmoid(eta) - y`` and ``sigmoid'(eta)``, accurate for every eta.

    From ``t = sigmoid(-|eta|) <= 1/2`` alone (one exponential per row):
    ``1 - t`` is then accurate too, so neither a confident row's residual
    (``-sigmoid(-eta)`` for y = 1, not ``1 - sigmoid(eta)`` rounded to 0 or
    to a multiple of eps) nor its weight ``t (1 - t)`` cancels. On separated
    data the gradient is made of exactly such rows.
    """
    t = sigmoid(-jnp.abs(eta))
    pos = eta >= 0
    p = jnp.where(pos, 1.0 - t, t)
    q = jnp.where(pos, t, 1.0 - t)
    # (1 - y) p - y q equals p - y for every y in [0, 1].
    return (1.0 - y) * p - y * q, t * (1.0 - t)


def gradient(design: Array, y: Array, c: Array, pen: Array, phi: Array) -> Array:
    """The gradient of the penalized negative log-likelihood in phi."""
    r, _ = _residual_weight(design @ phi, y)
    return (c * r) @ design + pen @ phi


def derivatives(
    design: Array, y: Array, c: Array, pen: Array, phi: Array
) -> tuple[Array, Array]:
    """The gradient and the Hessian ``B' diag(c p (1 - p)) B + penalty``."""
    r, w = _residual_weight(design @ phi, y)
    return (c * r) @ design + pen @ phi, weighted_gram(design, c * w) + pen


class SolveStatus(NamedTuple):
    """What the loop knew at its end (no derivatives flow through these)."""

    iterations: Array
    rule_met: Array  # the stopping rule held
    settled: Array  # the loop stopped for the rule or for rounding, not max_iter
    value: Array  # the penalized objective at the end
    grad: Array
    hessian: Array


def solve(
    prep: Prepared,
    y: Array,
    c: Array,
    start: Array,
    solver: Solver,
    tol: Array,
    max_iter: ArrayLike,
) -> tuple[Array, SolveStatus]:
    """The optimum in whitened coordinates, differentiable by implicit function.

    Derivatives with respect to the design, ``y``, ``c`` and the penalty come
    from the optimality condition (gradient = 0) at the optimum, through
    :func:`jax.lax.custom_root`: the loop itself is never differentiated.
    """
    design, pen = prep.design, prep.penalty
    k = design.shape[1]

    def optimality(phi: Array) -> Array:
        return gradient(design, y, c, pen, phi)

    def run(_: object, phi0: Array) -> tuple[Array, tuple[Array, ...]]:
        d0, y0, c0, p0 = (jax.lax.stop_gradient(a) for a in (design, y, c, pen))

        def objective(phi: Array) -> Array:
            return neg_log_lik(d0 @ phi, y0, c0) + 0.5 * phi @ p0 @ phi

        res = minimize(
            objective,
            phi0,
            solver=solver,
            tol=tol,
            max_iter=max_iter,
            derivatives=lambda phi: derivatives(d0, y0, c0, p0, phi),
        )
        # custom_root wants floating aux outputs.
        flags = jnp.stack([res.iterations, res.converged, res.settled])
        flags = flags.astype(phi0.dtype)
        return res.params, (flags, res.value, res.grad, res.hessian)

    def tangent_solve(lin: Callable[[Array], Array], v: Array) -> Array:
        h = jax.vmap(lin)(jnp.eye(k, dtype=v.dtype))
        return solve_spd(h, v)

    phi, (flags, value, grad, hess) = jax.lax.custom_root(
        optimality, start, run, tangent_solve, has_aux=True
    )
    status = SolveStatus(
        flags[0].astype(jnp.int32), flags[1] > 0, flags[2] > 0, value, grad, hess
    )
    return phi, status


def certified(design: Array, c: Array, step: Array) -> Array:
    r"""Whether the data provably have a maximum-likelihood estimate.

    By Stiemke's lemma the (unpenalized) estimate exists, i.e. the data are
    not separated or quasi-separated, if and only if there are multipliers
    :math:`\lambda_i > 0` with :math:`\sum_i \lambda_i s_i a_i = 0`
    (:math:`s_i = \pm 1` the label's sign, :math:`a_i` the row with its 1).
    Any iterate yields them: with :math:`r_i = \sigma(-s_i \eta_i) > 0` the
    gradient is :math:`g = -\sum r_i s_i a_i`, and the Newton step
    :math:`\Delta = -H^{-1} g` turns :math:`\lambda_i = r_i (1 + (1 - r_i)
    s_i\, a_i \cdot \Delta)` into exact multipliers. They are positive when
    every row's log-odds moves by less than 1 in one full Newton step; this
    asks for less than 1/2, a margin for rounding. On separated data the
    step moves the most confidently classified rows by at least 1, so the
    test fails there, as it must.
    """
    moves = jnp.abs(design @ step)
    return jnp.all(jnp.where(c > 0, moves < 0.5, True))


def to_user_scale(
    theta: Array, cov: Array, scaling: Scaling
) -> tuple[Array, Array, Array, Array, Array]:
    """Weights, bias, their standard errors and correlation on the user's scale.

    ``theta`` and ``cov`` are on the scaled coordinates in the order (bias,
    weights); the results are in the order (weights, bias).
    """
    e, shift, spread = (jax.lax.stop_gradient(a) for a in scaling)
    v = theta[1:] / spread  # weights on the power-of-two scaled columns
    bias = theta[0] - v @ shift
    k = theta.shape[0]
    # J maps (b_z, w_z) to (v, bias): v = w_z / spread, bias = b_z - v . shift.
    jac = jnp.zeros((k, k), theta.dtype)
    jac = jac.at[jnp.arange(k - 1), jnp.arange(1, k)].set(1.0 / spread)
    jac = jac.at[k - 1, 0].set(1.0)
    jac = jac.at[k - 1, 1:].set(-shift / spread)
    cov_v = jac @ cov @ jac.T
    se_v = jnp.sqrt(jnp.diagonal(cov_v))
    corr = cov_v / (se_v[:, None] * se_v[None, :])
    # The power-of-two factors last: the one step that can over/underflow,
    # and only when the true value is outside the dtype's range.
    weight = times_pow2(v, -e)
    weight_se = times_pow2(se_v[:-1], -e)
    return weight, bias, weight_se, se_v[-1], corr


class Diagnostics(NamedTuple):
    """The parts of a fit's status the eager entry points turn into messages."""

    rule_met: Array  # the solver's stopping rule held
    certified: Array  # a maximum-likelihood estimate provably exists
    representable: Array  # estimates and standard errors finite and normal
    penalized: Array
    finite: Array  # every x finite
    dependent: Array  # (k,) bool, order (bias, column 0, ...)
    share: Array  # (k,) see Prepared
    gram: Array  # (k, k), same order
    scaling: Scaling
    phi: Array  # (k,) the estimate in whitened coordinates


def fit_prepared(
    prep: Prepared,
    y: Array,
    c: Array,
    *,
    solver: Solver,
    tol: Array,
    max_iter: ArrayLike,
    start: Array | None = None,
    stderr: bool = True,
) -> tuple[LogisticFit, Diagnostics]:
    """Fit, certify and map back to the user's scale; never raises.

    With ``stderr`` the Hessian and log-likelihood are recomputed at the
    optimum (so that they, and the standard errors, are differentiable);
    without, the loop's last ones are used and the standard errors are NaN
    (the bootstrap, which reports none).
    """
    design, pen, chol = prep.design, prep.penalty, prep.chol
    k = design.shape[1]
    dtype = design.dtype
    if start is None:
        # The intercept-only estimate, logit of the mean label: a rare-event
        # fit then starts near its bias instead of at log-odds 0.
        ybar = jax.lax.stop_gradient(jnp.sum(c * y) / jnp.sum(c))
        b0 = jnp.log(ybar) - jnp.log1p(-ybar)
        b0 = jnp.where(jnp.isfinite(b0), b0, 0.0)
        start = chol.T @ jnp.zeros((k,), dtype).at[0].set(b0)
    phi, st = solve(prep, y, c, start, solver, tol, max_iter)
    if stderr:
        g, hess = derivatives(design, y, c, pen, phi)
        loglik = -neg_log_lik(design @ phi, y, c)
    else:
        g, hess = st.grad, st.hessian
        # The loop's last objective value, less the penalty: no extra pass.
        loglik = -(st.value - 0.5 * phi @ pen @ phi)
    # The exact Newton step, unshifted: the certificate needs H step = -g.
    step = -solve_spd(*jax.lax.stop_gradient((hess, g)), shift=False)
    cert = certified(jax.lax.stop_gradient(design), c, step)
    # theta = L^-T phi as a product with the small inverse: under vmap (the
    # bootstrap, sharded over resamples) a batched triangular solve would
    # gather the resamples onto one device.
    inv_t = _inverse_lower(chol).T
    theta = inv_t @ phi
    if stderr:
        cov = inv_t @ solve_spd(hess, jnp.eye(k, dtype=dtype)) @ inv_t.T
    else:
        cov = jnp.full((k, k), jnp.nan, dtype)
    weight, bias, weight_se, bias_se, corr = to_user_scale(theta, cov, prep.scaling)

    tiny = jnp.finfo(dtype).tiny
    ses = jnp.concatenate([weight_se, bias_se[None]])
    if not stderr:
        ses = jnp.ones_like(ses)
    representable = (
        jnp.all(jnp.isfinite(weight))
        & jnp.isfinite(bias)
        & jnp.all(jnp.isfinite(ses) & (ses >= tiny))
        & jnp.isfinite(loglik)
    )
    rank_deficient = jnp.any(prep.dependent)
    # The loop settled (converged, or stopped at the rounding floor) at a
    # point without a certificate: on separated data it runs along the
    # escape direction until the objective no longer changes.
    separated = ~prep.penalized & ~rank_deficient & st.settled & ~cert
    converged = (
        st.rule_met
        & prep.finite
        & representable
        & ~rank_deficient
        & (prep.penalized | cert)
    )
    # A rank-deficient design has no unique estimate: report none.
    nan = lambda a: jnp.where(rank_deficient, jnp.nan, a)
    fit = LogisticFit(
        weight=nan(weight),
        bias=nan(bias),
        weight_stderr=nan(weight_se),
        bias_stderr=nan(bias_se),
        correlation=nan(corr),
        log_likelihood=nan(loglik),
        iterations=st.iterations,
        converged=converged,
        separated=separated,
        rank_deficient=rank_deficient,
    )
    diag = Diagnostics(
        st.rule_met,
        cert,
        representable,
        prep.penalized,
        prep.finite,
        prep.dependent,
        prep.share,
        prep.gram,
        prep.scaling,
        jax.lax.stop_gradient(phi),
    )
    return fit, diag
