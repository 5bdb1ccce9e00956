r"""Log-sum-exp and log-mean-exp reductions: ``logsumexp`` and ``logmeanexp``.

Both shift by the maximum, put back the rounding error of ``a - max``
(Knuth's two-sum, as softmax does), and take the logarithm of a sum near 1
as ``log1p`` of the terms other than the maximum's (``logmeanexp``: of the
mean of ``expm1(a - max)``, whose terms never cancel), so that
``logsumexp([0, -20]) = log1p(exp(-20)) = 2.06e-9`` keeps its digits
(``jax.nn`` rounds ``1 + 2.06e-9`` to 1 and returns 0).

Accuracy (float32, against mpmath in ``tests/test_logsumexp.py``): the
result is ``max + log(sum)``. Where the two terms have the same sign it is
within 3 ulp relatively (measured: 2.3 ulp for ``logsumexp`` with or
without positive weights, 2.4 for ``logmeanexp``; ``jax.nn.logmeanexp``:
243). Where they have opposite signs they cancel, and near a zero of the
function no relative bound can hold (``logsumexp([-log 2, -log 2])`` is 0
only up to the rounding of ``log 2`` in the input): the error is then within
3 ulp of ``|max| + |log(sum)|`` absolutely. With weights of both signs the
sum itself can cancel; the relative error is then about 2 ulp times the
condition number ``sum|b e^a| / |sum b e^a|``. The derivatives are within
4 ulp wherever ``exp(a_i - max)`` is a normal float.

Conventions, as in ``jax.nn``: entries where ``where`` is False, or where the
weight ``b`` is 0, are left out (so ``+inf`` there does not poison the sum);
an empty sum is ``log 0 = -inf`` (sign 0); ``+inf`` in the sum gives
``+inf``; NaN gives NaN; a negative weighted sum is NaN unless
``return_sign=True``. ``logmeanexp`` of an empty row is NaN (the mean of
nothing).

Derivatives come from ``jax.custom_jvp`` rules: ``d/da_i = b_i exp(a_i) /
sum`` and ``d/db_i = exp(a_i) / sum``, computed from the same accurate
exponentials, zero for masked entries and for rows with an empty sum (no
NaN). The weight derivative at ``b_i = 0`` is the true ``exp(a_i) / sum``
(``jax.nn`` gives 0 there, because it drops the entry before
differentiating).
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
from jax import Array
from jax.typing import ArrayLike

from jaxnn import _complex
from jaxnn._checks import (
    as_mask,
    broadcast_shape,
    compute_dtype,
    inexact_dtype,
    reduction_axes,
)

__all__ = ["logmeanexp", "logsumexp"]

Axis = int | tuple[int, ...] | None


def _shift(
    a: Array, keep: Array | None, axes: tuple[int, ...]
) -> tuple[Array, Array, Array, Array]:
    """``(m, am, e, is_max)`` for the entries ``keep`` selects.

    ``m`` is the row maximum (0 where it is infinite, as the shift must stay
    finite), ``am`` the input with left-out entries at ``-inf``, ``e =
    exp(am - m)`` with the rounding error of the subtraction put back, and
    ``is_max`` marks the entries equal to the maximum (``e == 1``).
    """
    am = a if keep is None else jnp.where(keep, a, -jnp.inf)
    m = jnp.max(am, axis=axes, keepdims=True, initial=-jnp.inf)
    m = jax.lax.stop_gradient(jnp.where(jnp.isfinite(m), m, 0.0))
    d = am - m
    # Two-sum of am/2 - m/2 (halves cannot overflow) on finite entries.
    h = jnp.where(jnp.isfinite(am), am, m) * 0.5
    nm = m * -0.5
    s = h + nm
    bv = s - h
    lo = ((h - (s - bv)) + (nm - bv)) * 2.0
    e = jnp.exp(d) * jnp.abs(1.0 + lo)
    return m, am, e, am == m


def _log_abs_sum(big: Array, small: Array) -> tuple[Array, Array]:
    """``(log|big + small|, sign)``, accurate when the sum is near +-1.

    ``big`` is the maxima's share of the sum and ``small`` the rest; near
    ``|sum| = 1``, ``|sum| - 1 = (+-big - 1) +- small`` loses nothing when
    ``big`` is near 1 (the first difference is exact), and ``log1p`` of it is
    accurate where ``log`` of the rounded sum is not.
    """
    total = big + small
    sign = jnp.sign(total)
    near_one = (sign * big - 1.0) + sign * small
    log_sum = jnp.where(
        jnp.abs(near_one) <= 0.5, jnp.log1p(near_one), jnp.log(jnp.abs(total))
    )
    return log_sum, sign


def _expm1(z: Array, e: Array) -> Array:
    """``exp(z) - 1`` for ``z <= 0`` given ``e = exp(z)`` (Kahan's formula).

    ``(e - 1) * z / log(e)`` cancels the rounding error of ``e`` to first
    order, so it stays accurate near ``z = 0`` where ``e - 1`` does not.
    """
    safe = jnp.where((e == 1.0) | (z < -0.5), 0.5, e)
    kahan = (safe - 1.0) * z / jnp.log(safe)
    return jnp.where(z < -0.5, e - 1.0, jnp.where(e == 1.0, z, kahan))


def _weights(
    a: Array, b: Array | None, mask: Array | None, axes: tuple[int, ...]
) -> tuple[Array | None, Array, Array, Array, Array]:
    """``(keep, m, am, be, is_max)``: the entries kept, the shift, the input
    with left-out entries at ``-inf``, the weighted exponentials and the
    maxima."""
    keep = mask
    if b is not None:
        nonzero = b != 0
        keep = nonzero if mask is None else mask & nonzero
    m, am, e, is_max = _shift(a, keep, axes)
    be = e if b is None else b * e
    if mask is not None:
        be = jnp.where(mask, be, 0.0)
    return keep, m, am, be, is_max


def _lse_value(
    a: Array, b: Array | None, mask: Array | None, axes: tuple[int, ...]
) -> tuple[Array, Array]:
    _, m, _, be, is_max = _weights(a, b, mask, axes)
    big = jnp.sum(jnp.where(is_max, be, 0.0), axis=axes, keepdims=True)
    small = jnp.sum(jnp.where(is_max, 0.0, be), axis=axes, keepdims=True)
    log_sum, sign = _log_abs_sum(big, small)
    return log_sum + m, sign


@functools.partial(jax.custom_jvp, nondiff_argnums=(3,))
def _lse_core(
    a: Array, b: Array | None, mask: Array | None, axes: tuple[int, ...]
) -> tuple[Array, Array]:
    return _lse_value(a, b, mask, axes)


@_lse_core.defjvp
def _lse_jvp(
    axes: tuple[int, ...], primals: tuple[Any, ...], tangents: tuple[Any, ...]
) -> tuple[tuple[Array, Array], tuple[Array, Array]]:
    a, b, mask = primals
    ta, tb, _ = tangents
    out, sign = _lse_core(a, b, mask, axes)
    keep, m, _, be, _ = _weights(a, b, mask, axes)
    total = jnp.sum(be, axis=axes, keepdims=True)
    total = jnp.where(total == 0.0, 1.0, total)  # an empty sum passes nothing
    ta = ta if keep is None else jnp.where(keep, ta, 0.0)
    dout = jnp.sum(be / total * ta, axis=axes, keepdims=True)
    if b is not None:
        # d/db = exp(a - m) / total, also where b == 0 (left out of the sum,
        # so its exp(a - m) may exceed 1; capped at finfo.max, not inf, so
        # that a zero tangent gives 0 rather than NaN).
        m_all, _, e_all, _ = _shift(a, mask, axes)
        eb = jnp.minimum(e_all * jnp.exp(m_all - m), jnp.finfo(a.dtype).max)
        tb = tb if mask is None else jnp.where(mask, tb, 0.0)
        dout = dout + jnp.sum(eb / total * tb, axis=axes, keepdims=True)
    return (out, sign), (dout, jnp.zeros_like(sign))


def _lme_value(x: Array, mask: Array | None, axes: tuple[int, ...]) -> Array:
    """``max + log(mean(exp(x - max)))``; near ``mean = 1`` via ``log1p`` of
    ``mean(expm1(x - max))``, whose terms are all <= 0 (no cancellation)."""
    m, am, e, _ = _shift(x, mask, axes)
    raw_max = jnp.max(am, axis=axes, keepdims=True, initial=-jnp.inf)
    em1 = _expm1(am - m, e)
    if mask is not None:
        em1 = jnp.where(mask, em1, 0.0)
        count = jnp.sum(mask, axis=axes, keepdims=True, dtype=x.dtype)
    else:
        count = jnp.asarray(
            functools.reduce(lambda n, ax: n * x.shape[ax], axes, 1), x.dtype
        )
    total = jnp.sum(e, axis=axes, keepdims=True)
    r = jnp.sum(em1, axis=axes, keepdims=True) / count
    log_mean = jnp.where(r > -0.5, jnp.log1p(r), jnp.log(total / count))
    # A row with +inf (and no NaN) has mean exp = inf.
    log_mean = jnp.where((raw_max == jnp.inf) & ~jnp.isnan(total), jnp.inf, log_mean)
    return log_mean + m


@functools.partial(jax.custom_jvp, nondiff_argnums=(2,))
def _lme_core(x: Array, mask: Array | None, axes: tuple[int, ...]) -> Array:
    return _lme_value(x, mask, axes)


@_lme_core.defjvp
def _lme_jvp(
    axes: tuple[int, ...], primals: tuple[Any, ...], tangents: tuple[Any, ...]
) -> tuple[Array, Array]:
    x, mask = primals
    t = tangents[0]
    out = _lme_core(x, mask, axes)
    _, _, e, _ = _shift(x, mask, axes)
    total = jnp.sum(e, axis=axes, keepdims=True)
    total = jnp.where(total == 0.0, 1.0, total)
    t = t if mask is None else jnp.where(mask, t, 0.0)
    return out, jnp.sum(e / total * t, axis=axes, keepdims=True)


@functools.partial(jax.jit, static_argnames=("axes", "keepdims", "mean"))
def _kernel(
    a: Array,
    b: Array | None,
    mask: Array | None,
    *,
    axes: tuple[int, ...],
    keepdims: bool,
    mean: bool,
) -> tuple[Array, Array]:
    if mean:
        out = _lme_core(a, mask, axes)
        sign = jnp.ones_like(out)
    else:
        out, sign = _lse_core(a, b, mask, axes)
    if not keepdims:
        out, sign = jnp.squeeze(out, axes), jnp.squeeze(sign, axes)
    return out, sign


def _check_flag(value: Any, func: str, arg: str) -> bool:
    if not isinstance(value, (bool, jnp.bool_)):
        raise TypeError(f"{func}: {arg} must be True or False, got {value!r}.")
    return bool(value)


def _reduce(
    func: str,
    a: Any,
    b: Any,
    where: Any,
    axis: Any,
    keepdims: Any,
    mean: bool,
    return_sign: bool = False,
) -> tuple[Array, Array]:
    arr = _complex.as_array(a, func, "x" if mean else "a")
    weights = None if b is None else _complex.as_array(b, func, "b")
    mask = as_mask(where, func)
    keepdims = _check_flag(keepdims, func, "keepdims")
    shape = broadcast_shape(
        func, **{"x" if mean else "a": arr, "b": weights}, where=mask
    )
    axes = reduction_axes(axis, len(shape), func)
    out = inexact_dtype(arr.dtype if weights is None else jnp.result_type(arr, weights))
    work = compute_dtype(out)
    arr = jnp.broadcast_to(arr.astype(work), shape)
    if weights is not None:
        weights = jnp.broadcast_to(weights.astype(work), shape)
    if mask is not None:
        mask = jnp.broadcast_to(mask, shape)
    if jnp.iscomplexobj(arr) or jnp.iscomplexobj(weights):
        res, sign = _complex.logsumexp(arr, weights, mask, axes, keepdims, return_sign)
        if mean:
            selected = jnp.ones(shape, bool) if mask is None else mask
            count = jnp.sum(selected, axes, keepdims=keepdims, dtype=res.real.dtype)
            res = res - jnp.log(count)
        return res, sign
    if any(shape[ax] == 0 for ax in axes):
        # An empty sum: log 0 = -inf with sign 0; the mean of nothing is NaN.
        dims = [1 if ax in axes else n for ax, n in enumerate(shape)]
        if not keepdims:
            dims = [n for ax, n in enumerate(shape) if ax not in axes]
        fill = jnp.nan if mean else -jnp.inf
        return jnp.full(dims, fill, out), jnp.zeros(dims, out)
    res, sign = _kernel(arr, weights, mask, axes=axes, keepdims=keepdims, mean=mean)
    return res.astype(out), sign.astype(out)


def logsumexp(
    a: ArrayLike,
    axis: Axis = None,
    b: ArrayLike | None = None,
    keepdims: bool = False,
    return_sign: bool = False,
    where: ArrayLike | None = None,
) -> Array | tuple[Array, Array]:
    r"""Log-sum-exp reduction, optionally weighted.

    Computes, over ``axis``:

    .. math::
        \mathrm{logsumexp}(a) = \log \sum_i b_i e^{a_i}
        = m + \log \sum_i b_i e^{a_i - m}, \qquad m = \max_i a_i

    without overflow, accurate to 3 ulp relatively (absolutely where
    :math:`m` and the logarithm cancel, near a zero of the result), sums
    close to 1 included (see the module notes). Entries where ``where`` is False
    or ``b`` is 0 are left out; an empty sum is ``-inf``.

    Args:
        a: input array.
        axis: the axis, tuple of axes, or ``None`` (all axes, the default) to
            reduce over.
        b: optional weights that broadcast with ``a``; they may be negative.
        keepdims: keep the reduced axes as size-1 dimensions.
        return_sign: return ``(log|sum|, sign(sum))`` instead of ``log(sum)``
            (which is NaN for a negative sum).
        where: optional boolean mask that broadcasts with ``a``; False entries
            are left out.

    Returns:
        The reduction, in the floating dtype of ``a`` and ``b`` together
        (``float32`` for integer input), or a pair ``(result, sign)`` when
        ``return_sign`` is True.

    Examples:
        >>> jaxnn.logsumexp(jnp.array([1.0, 2.0, 3.0]))
        Array(3.407606, dtype=float32)
        >>> jaxnn.logsumexp(jnp.array([0.0, -20.0]))  # log1p(exp(-20))
        Array(2.0611537e-09, dtype=float32)
        >>> jaxnn.logsumexp(jnp.array([1.0, 2.0]), b=jnp.array([1.0, -1.0]),
        ...                 return_sign=True)
        (Array(1.5413249, dtype=float32), Array(-1., dtype=float32))
    """
    func = "logsumexp"
    sign_flag = _check_flag(return_sign, func, "return_sign")
    out, sign = _reduce(func, a, b, where, axis, keepdims, False, sign_flag)
    if sign_flag:
        return out, sign
    if b is not None and not jnp.iscomplexobj(out):
        out = jnp.where(sign < 0, jnp.nan, out)
    return out


def logmeanexp(
    x: ArrayLike,
    axis: Axis = None,
    where: ArrayLike | None = None,
    keepdims: bool = False,
) -> Array:
    r"""Log-mean-exp reduction: the logarithm of the mean of ``exp(x)``.

    Computes, over ``axis``:

    .. math::
        \mathrm{logmeanexp}(x) = \log \frac{1}{n} \sum_{i=1}^n e^{x_i}
        = m + \log\Bigl(1 + \frac{1}{n} \sum_i \bigl(e^{x_i - m} - 1\bigr)\Bigr)

    with :math:`m = \max_i x_i`: the mean of :math:`e^{x_i - m} - 1` has no
    cancellation, so the result keeps its digits when the entries are close to
    each other (where ``logsumexp(x) - log(n)`` loses them). Entries where
    ``where`` is False are left out and not counted; the mean of no entries is
    NaN.

    Args:
        x: input array.
        axis: the axis, tuple of axes, or ``None`` (all axes, the default) to
            reduce over.
        where: optional boolean mask that broadcasts with ``x``; False entries
            are left out.
        keepdims: keep the reduced axes as size-1 dimensions.

    Returns:
        The reduction, in ``x``'s floating dtype (``float32`` for integer
        input).

    Examples:
        >>> jaxnn.logmeanexp(jnp.array([1.0, 2.0, 3.0]))
        Array(2.30899, dtype=float32)
        >>> jaxnn.logmeanexp(jnp.array([0.0, 1000.0]))  # 1000 - log 2
        Array(999.307, dtype=float32)
    """
    return _reduce("logmeanexp", x, None, where, axis, keepdims, mean=True)[0]
