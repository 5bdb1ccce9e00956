r"""Optax solvers for smooth convex objectives: a safeguarded Newton method and L-BFGS.

Newton's method is written as an Optax gradient transformation, :func:`newton`:
its update solves ``H d = g`` for the Hessian ``H`` of the objective at the
current parameters and returns ``-d``. Chained with
:func:`optax.scale_by_backtracking_linesearch` (the Armijo rule, starting from
the full Newton step) it cannot diverge: every accepted step decreases the
objective. :func:`minimize` runs either that chain or :func:`optax.lbfgs` in a
:func:`jax.lax.while_loop`, so it survives ``jit``, ``vmap`` and sharded
inputs, and reports its status instead of raising.

The stopping rule is the Newton decrement
:math:`\lambda = \sqrt{g^\top H^{-1} g}`, not the size of the gradient.
Near the optimum :math:`\\lambda` is the distance to it measured in the
objective's own curvature (for a log-likelihood: in standard errors), so it
means the same thing for 50 rows or 5 million, for rare events and common
ones, and for any scaling of the parameters.
"""

from collections.abc import Callable
from functools import partial
from typing import Any, Literal, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax import Array
from jax.flatten_util import ravel_pytree
from jax.typing import ArrayLike

Solver = Literal["newton", "lbfgs"]
SOLVERS: tuple[str, ...] = ("newton", "lbfgs")


def newton(*, damping: float = 0.0) -> optax.GradientTransformationExtraArgs:
    r"""Newton's method as an Optax gradient transformation.

    Given the gradient :math:`g` at parameters :math:`\theta` and the Hessian
    :math:`H` there (passed to ``update`` as the extra argument ``hessian``),
    returns the Newton direction

    .. math::
        d = -(H + \mu I)^{-1} g, \qquad
        \mu = \mathrm{damping} + \epsilon \, \mathrm{tr}(H) / p,

    where :math:`p` is the number of parameters and :math:`\epsilon` the
    machine epsilon of the dtype (the tiny relative shift keeps a singular
    Hessian, as on separated data, from producing infinities). Parameters may
    be any pytree; the Hessian is over its raveled leaves, shape ``(p, p)``.
    Follow it with :func:`optax.scale_by_backtracking_linesearch` to damp the
    step (as :func:`minimize` does), so that the iteration cannot diverge.

    Args:
        damping: a Levenberg-Marquardt shift added to the Hessian's diagonal.

    Returns:
        An :class:`optax.GradientTransformationExtraArgs` whose ``update``
        needs the keyword argument ``hessian`` and ignores other extra ones.

    Examples:
        >>> import optax
        >>> from jaxnn._solvers import newton
        >>> f = lambda t: jnp.sum((t - 3.0) ** 2) + t[0] * t[1]
        >>> opt = newton()
        >>> @jax.jit
        ... def step(params):
        ...     g, h = jax.grad(f)(params), jax.hessian(f)(params)
        ...     updates, _ = opt.update(g, opt.init(params), hessian=h)
        ...     return optax.apply_updates(params, updates)
        >>> step(jnp.zeros(2)).round(5)  # one step solves a quadratic
        Array([2., 2.], dtype=float32)
    """

    def init_fn(params: Any) -> optax.EmptyState:
        del params
        return optax.EmptyState()

    def update_fn(
        updates: Any,
        state: optax.EmptyState,
        params: Any = None,
        *,
        hessian: Array,
        **extra: Any,
    ) -> tuple[Any, optax.EmptyState]:
        del params, extra
        g, unravel = ravel_pytree(updates)
        h = jnp.asarray(hessian, dtype=g.dtype).reshape(g.size, g.size)
        return unravel(-solve_spd(h, g, damping)), state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def solve_spd(
    h: Array, g: Array, damping: ArrayLike = 0.0, *, shift: bool = True
) -> Array:
    """``(h + mu I)^{-1} g`` for a symmetric positive (semi)definite ``h``.

    ``mu`` is ``damping`` plus ``eps * trace(h) / p``: a shift at the
    rounding level of ``h``, so that a numerically singular ``h`` gives a
    large but finite solution instead of infinities. With ``shift=False``,
    ``mu = damping`` and a singular ``h`` gives NaN or infinities. ``g`` may
    be a vector or a matrix of right-hand sides.
    """
    p = h.shape[-1]
    eps = jnp.finfo(h.dtype).eps
    mu = damping + eps * jnp.trace(h) / p if shift else damping
    h = h + mu * jnp.eye(p, dtype=h.dtype)
    rhs = g[:, None] if g.ndim == 1 else g
    if p <= SMALL:
        # With the shift, a pivot lost to rounding is held at the shift.
        low = small_cholesky(h, mu if shift else 0.0)
        out = _small_back(low, _small_forward(low, rhs))
    else:
        out = jax.scipy.linalg.cho_solve(jax.scipy.linalg.cho_factor(h), rhs)
    return out[:, 0] if g.ndim == 1 else out


# Up to this size, a Cholesky factorization is written out as array
# operations: under vmap (the bootstrap: thousands of 2 x 2 Hessians) they
# vectorize over the batch, where LAPACK would be called once per matrix.
SMALL = 8


def small_cholesky(h: Array, floor: ArrayLike = 0.0) -> Array:
    """The lower Cholesky factor of a small SPD matrix, unrolled.

    Pivots below ``floor`` are raised to it (with ``floor = 0`` a negative
    pivot gives NaN, as LAPACK's factorization would fail).
    """
    p = h.shape[-1]
    cols: list[Array] = []
    for j in range(p):
        col = h[:, j]
        for c in cols:
            col = col - c * c[j]
        col = jnp.where(jnp.arange(p) >= j, col, 0.0)
        pivot = jnp.where(col[j] < floor, floor, col[j])
        col = col.at[j].set(pivot)
        cols.append(col / jnp.sqrt(pivot))
    return jnp.stack(cols, axis=1)


def _small_forward(low: Array, b: Array) -> Array:
    rows: list[Array] = []
    for i in range(low.shape[0]):
        r = b[i]
        for j, x in enumerate(rows):
            r = r - low[i, j] * x
        rows.append(r / low[i, i])
    return jnp.stack(rows)


def _small_back(low: Array, b: Array) -> Array:
    p = low.shape[0]
    rows: dict[int, Array] = {}
    for i in reversed(range(p)):
        r = b[i]
        for j in range(i + 1, p):
            r = r - low[j, i] * rows[j]
        rows[i] = r / low[i, i]
    return jnp.stack([rows[i] for i in range(p)])


class MinimizeResult(NamedTuple):
    """What :func:`minimize` found, with its status as arrays.

    Attributes:
        params: the last iterate.
        value: the objective there.
        grad: its gradient there.
        hessian: its Hessian there.
        step: the Newton step there, ``-hessian^{-1} grad``.
        decrement: the Newton decrement ``sqrt(-grad . step)`` there.
        iterations: the number of iterations run.
        converged: whether ``decrement <= tol``, or the objective stopped
            changing beyond rounding with ``decrement <= floor_tol`` (the
            precision of the arithmetic is then the limit).
        settled: whether ``decrement <= tol`` or the objective stopped
            changing beyond rounding, whatever the decrement (so the loop
            did not stop for ``max_iter`` or a non-finite value).
    """

    params: Array
    value: Array
    grad: Array
    hessian: Array
    step: Array
    decrement: Array
    iterations: Array
    converged: Array
    settled: Array


def minimize(
    fun: Callable[[Array], Array],
    x0: Array,
    *,
    solver: Solver = "newton",
    tol: ArrayLike,
    floor_tol: ArrayLike | None = None,
    max_iter: ArrayLike,
    derivatives: Callable[[Array], tuple[Array, Array]] | None = None,
) -> MinimizeResult:
    r"""Minimize a smooth convex scalar function of a 1-D array with Optax.

    Stops when the Newton decrement :math:`\sqrt{g^\top H^{-1} g}` is at most
    ``tol``, when the objective no longer changes beyond rounding while the
    decrement no longer halves (the arithmetic's floor), after ``max_iter``
    iterations, or if the objective stops being finite; never raises inside
    ``jit``/``vmap``.

    Args:
        fun: the objective, mapping a 1-D array to a scalar.
        x0: the starting point.
        solver: ``"newton"`` (the :func:`newton` transformation followed by
            :func:`optax.scale_by_backtracking_linesearch`) or ``"lbfgs"``
            (:func:`optax.lbfgs` with its zoom line search, until its own
            estimate of the decrement is below ``tol``; then Newton steps,
            usually none or one, until the true decrement is).
        tol: the decrement at which to stop.
        floor_tol: the largest decrement accepted as converged when the
            objective has stopped changing (default ``sqrt(tol)``).
        max_iter: the most iterations to run.
        derivatives: a function returning the gradient and the Hessian of
            ``fun`` together (one pass over the data); defaults to
            :func:`jax.grad` and :func:`jax.hessian` of ``fun``.

    Returns:
        A :class:`MinimizeResult`.

    Examples:
        >>> from jaxnn._solvers import minimize
        >>> f = lambda t: jnp.sum(jnp.cosh(t - 1.0))
        >>> res = minimize(f, jnp.zeros(3), tol=1e-6, max_iter=50)
        >>> res.params, bool(res.converged)
        (Array([1., 1., 1.], dtype=float32), True)
    """
    if solver not in SOLVERS:
        raise ValueError(f"solver: expected one of {SOLVERS}, got {solver!r}")
    dtype = x0.dtype
    tol = jnp.asarray(tol, dtype)
    floor_tol = jnp.sqrt(tol) if floor_tol is None else jnp.asarray(floor_tol, dtype)
    eps = jnp.finfo(dtype).eps
    if derivatives is None:
        grad_fn, hess_fn = jax.grad(fun), jax.hessian(fun)
        derivatives = lambda t: (grad_fn(t), hess_fn(t))

    direction = newton()

    def newton_state(params: Array) -> tuple[Array, Array, Array, Array]:
        grad, hess = derivatives(params)
        step, _ = direction.update(grad, direction.init(params), hessian=hess)
        # max(., 0): rounding can make a tiny g . H^-1 g negative.
        dec = jnp.sqrt(jnp.maximum(-(grad @ step), 0.0))
        return grad, hess, step, dec

    def at_floor(
        old: Array, new: Array, dec_old: Array, dec_new: Array, ratio: float = 0.5
    ) -> Array:
        # No change beyond rounding, and no quadratic progress either (for
        # L-BFGS, which converges more slowly: no progress at all).
        flat = jnp.abs(old - new) <= 8 * eps * jnp.abs(old)
        return flat & ~(dec_new < ratio * dec_old)

    def running(value: Array, dec: Array, stalled: Array, it: Array) -> Array:
        finite = jnp.isfinite(value) & jnp.isfinite(dec)
        return (it < max_iter) & ~(dec <= tol) & ~stalled & finite

    it = jnp.asarray(0, dtype=jnp.int32)
    if solver == "lbfgs":
        x0, it = _lbfgs_loop(fun, x0, running, partial(at_floor, ratio=1.0), it)
    # Newton steps: the whole solve, or L-BFGS's last few (none or one when
    # L-BFGS stopped on its own estimate of the decrement; they make its
    # result meet the same rule, measured with the true Hessian).
    search = optax.scale_by_backtracking_linesearch(
        max_backtracking_steps=40,
        decrease_factor=0.5,
        # Start every search from the full Newton step (capped at 1.0 by
        # max_learning_rate), not from a step shrunk by earlier searches.
        increase_factor=2.0**40,
        # Accept a step that changes the value only by rounding, so that an
        # iterate near the optimum is not stuck shrinking its step.
        rtol=4 * float(eps),
    )

    def step_fn(carry: tuple) -> tuple:
        params, sstate, value, grad, _, step, dec, _, it = carry
        updates, sstate = search.update(
            step, sstate, params, value=value, grad=grad, value_fn=fun
        )
        params = optax.apply_updates(params, updates)
        # The line search already evaluated fun at the accepted point.
        new_value = jnp.where(sstate.learning_rate > 0, sstate.value, value)
        grad, hess, new_step, new_dec = newton_state(params)
        stalled = at_floor(value, new_value, dec, new_dec)
        return params, sstate, new_value, grad, hess, new_step, new_dec, stalled, it + 1

    grad, hess, step, dec = newton_state(x0)
    stalled = jnp.asarray(False)
    carry = (x0, search.init(x0), fun(x0), grad, hess, step, dec, stalled, it)
    carry = jax.lax.while_loop(
        lambda c: running(c[2], c[6], c[7], c[8]), step_fn, carry
    )
    params, _, value, grad, hess, step, dec, stalled, it = carry
    finite = jnp.isfinite(value) & jnp.all(jnp.isfinite(params)) & jnp.isfinite(dec)
    converged = finite & ((dec <= tol) | (stalled & (dec <= floor_tol)))
    settled = finite & ((dec <= tol) | stalled)
    return MinimizeResult(params, value, grad, hess, step, dec, it, converged, settled)


def _lbfgs_loop(
    fun: Callable[[Array], Array],
    x0: Array,
    running: Callable[[Array, Array, Array, Array], Array],
    at_floor: Callable[[Array, Array, Array, Array], Array],
    it0: Array,
) -> tuple[Array, Array]:
    r"""L-BFGS iterations until its own estimate of the decrement is small.

    The estimate is :math:`\sqrt{\gamma}\,\lVert g \rVert` with
    :math:`\gamma = s^\top y / y^\top y`, the inverse-curvature scale of
    the last step (what L-BFGS itself starts its inverse Hessian from); the
    caller measures the true decrement once, at the end.
    """
    opt = optax.lbfgs()
    value_and_grad = optax.value_and_grad_from_state(fun)

    def step_fn(carry: tuple) -> tuple:
        params, state, value, grad, dec, _, it = carry
        updates, state = opt.update(
            grad, state, params, value=value, grad=grad, value_fn=fun
        )
        new_params = optax.apply_updates(params, updates)
        # Reuses the value and gradient the zoom line search computed.
        new_value, new_grad = value_and_grad(new_params, state=state)
        s, y = new_params - params, new_grad - grad
        gamma = (s @ y) / (y @ y)
        gamma = jnp.where(jnp.isfinite(gamma) & (gamma > 0), gamma, 1.0)
        new_dec = jnp.sqrt(gamma * (new_grad @ new_grad))
        stalled = at_floor(value, new_value, dec, new_dec)
        return new_params, state, new_value, new_grad, new_dec, stalled, it + 1

    value, grad = jax.value_and_grad(fun)(x0)
    dec = jnp.sqrt(grad @ grad)
    carry = (x0, opt.init(x0), value, grad, dec, jnp.asarray(False), it0)
    carry = jax.lax.while_loop(
        lambda c: running(c[2], c[4], c[5], c[6]), step_fn, carry
    )
    params, *_, it = carry
    return params, it
