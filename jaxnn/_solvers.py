"""Optax solvers for smooth convex objectives: a safeguarded Newton method and L-BFGS.

Newton's method is written as an Optax gradient transformation, :func:`newton`:
its update solves ``H d = g`` for the Hessian ``H`` of the objective at the
current parameters and returns ``-d``. Chained with
:func:`optax.scale_by_backtracking_linesearch` (the Armijo rule, starting from
the full Newton step) it cannot diverge: every accepted step decreases the
objective. :func:`minimize` runs either that chain or :func:`optax.lbfgs` in a
:func:`jax.lax.while_loop` until the gradient is small, so it survives ``jit``,
``vmap`` and sharded inputs, and reports its status instead of raising.
"""

from collections.abc import Callable
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
        >>> step(jnp.zeros(2))  # one step solves a quadratic
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
        eps = jnp.finfo(g.dtype).eps
        shift = damping + eps * jnp.trace(h) / g.size
        h = h + shift * jnp.eye(g.size, dtype=g.dtype)
        # A Cholesky solve is the cheapest exact solve for the (symmetric
        # positive-definite) Hessian of a convex objective.
        factor = jax.scipy.linalg.cho_factor(h)
        step = jax.scipy.linalg.cho_solve(factor, g[:, None])[:, 0]
        return unravel(-step), state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


class MinimizeResult(NamedTuple):
    """What :func:`minimize` found, with its status as arrays."""

    params: Array
    value: Array
    grad: Array
    iterations: Array
    converged: Array
    hessian: Array | None = None  # at params, from ``derivatives`` (Newton only)


def minimize(
    fun: Callable[[Array], Array],
    x0: Array,
    *,
    solver: Solver = "newton",
    gtol: Array | float,
    max_iter: ArrayLike,
    derivatives: Callable[[Array], tuple[Array, Array]] | None = None,
) -> MinimizeResult:
    """Minimize a smooth convex scalar function of a 1-D array with Optax.

    Stops when ``max(|grad|) <= gtol`` or after ``max_iter`` iterations (or if
    the objective stops being finite); never raises inside ``jit``/``vmap``.

    Args:
        fun: the objective, mapping a 1-D array to a scalar.
        x0: the starting point.
        solver: ``"newton"`` (the :func:`newton` transformation followed by
            :func:`optax.scale_by_backtracking_linesearch`) or ``"lbfgs"``
            (:func:`optax.lbfgs` with its zoom line search).
        gtol: the gradient tolerance (absolute, on the scale of ``fun``).
        max_iter: the most iterations to run.
        derivatives: for ``"newton"``, a function returning the gradient and
            the Hessian of ``fun`` together (one pass over the data); defaults
            to :func:`jax.grad` and :func:`jax.hessian` of ``fun``.

    Returns:
        A :class:`MinimizeResult`.

    Examples:
        >>> from jaxnn._solvers import minimize
        >>> f = lambda t: jnp.sum(jnp.cosh(t - 1.0))
        >>> res = minimize(f, jnp.zeros(3), gtol=1e-6, max_iter=50)
        >>> res.params, bool(res.converged)
        (Array([1., 1., 1.], dtype=float32), True)
    """
    if solver not in SOLVERS:
        raise ValueError(f"solver: expected one of {SOLVERS}, got {solver!r}")
    gtol = jnp.asarray(gtol, x0.dtype)
    it0 = jnp.asarray(0, dtype=jnp.int32)

    def not_done(value: Array, grad: Array, it: Array) -> Array:
        return (it < max_iter) & (jnp.max(jnp.abs(grad)) > gtol) & jnp.isfinite(value)

    if solver == "lbfgs":
        return _minimize_lbfgs(fun, x0, gtol, it0, not_done)

    if derivatives is None:
        grad_fn, hess_fn = jax.grad(fun), jax.hessian(fun)
        derivatives = lambda t: (grad_fn(t), hess_fn(t))
    direction = newton()
    search = optax.scale_by_backtracking_linesearch(
        max_backtracking_steps=40,
        decrease_factor=0.5,
        # Start every search from the full Newton step (capped at 1.0 by
        # max_learning_rate), not from a step shrunk by earlier searches.
        increase_factor=2.0**40,
        # Accept a step that changes the value only by rounding, so that a
        # float32 fit near its optimum is not stuck shrinking its step.
        rtol=4 * float(jnp.finfo(x0.dtype).eps),
    )

    def step(carry: tuple) -> tuple:
        params, dstate, sstate, value, grad, hess, it = carry
        d, dstate = direction.update(grad, dstate, params, hessian=hess)
        updates, sstate = search.update(
            d, sstate, params, value=value, grad=grad, value_fn=fun
        )
        params = optax.apply_updates(params, updates)
        # The line search already evaluated fun at the accepted point.
        value = jnp.where(sstate.learning_rate > 0, sstate.value, value)
        grad, hess = derivatives(params)
        return params, dstate, sstate, value, grad, hess, it + 1

    grad, hess = derivatives(x0)
    carry = (x0, direction.init(x0), search.init(x0), fun(x0), grad, hess, it0)
    params, _, _, value, grad, hess, it = jax.lax.while_loop(
        lambda c: not_done(c[3], c[4], c[6]), step, carry
    )
    converged = (jnp.max(jnp.abs(grad)) <= gtol) & jnp.isfinite(value)
    return MinimizeResult(params, value, grad, it, converged, hess)


def _minimize_lbfgs(
    fun: Callable[[Array], Array],
    x0: Array,
    gtol: Array,
    it0: Array,
    not_done: Callable[[Array, Array, Array], Array],
) -> MinimizeResult:
    opt = optax.lbfgs()
    value_and_grad = optax.value_and_grad_from_state(fun)

    def step(carry: tuple) -> tuple:
        params, state, value, grad, it = carry
        updates, state = opt.update(
            grad, state, params, value=value, grad=grad, value_fn=fun
        )
        params = optax.apply_updates(params, updates)
        # Reuses the value and gradient the zoom line search computed.
        value, grad = value_and_grad(params, state=state)
        return params, state, value, grad, it + 1

    value, grad = jax.value_and_grad(fun)(x0)
    carry = (x0, opt.init(x0), value, grad, it0)
    params, _, value, grad, it = jax.lax.while_loop(
        lambda c: not_done(c[2], c[3], c[4]), step, carry
    )
    converged = (jnp.max(jnp.abs(grad)) <= gtol) & jnp.isfinite(value)
    return MinimizeResult(params, value, grad, it, converged)
