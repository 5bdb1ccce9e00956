r"""Output-layer functions over an axis: ``softmax`` and ``log_softmax``.

Both take ``jax.nn``'s arguments (``axis`` an int, a tuple of ints or None;
an optional boolean ``where`` mask that broadcasts with ``x``), subtract the
maximum before exponentiating, and have ``jax.custom_jvp`` derivatives
written from the probabilities (``t - <p, t>``), finite wherever the outputs
are.

Conventions for rows without a usual answer (a "row" is a slice along the
reduced axes):

* masked-out entries (``where`` False) get probability 0 and log-probability
  ``-inf``, whatever their value, NaN included (as in ``jax.nn``);
* a row with no candidate at all (every entry masked out or ``-inf``) gets
  probability 0 everywhere and log-probability ``-inf`` everywhere, and
  passes no gradient: there is nothing to normalise, and a row of zeros is
  what a masked attention or mixture expects, where NaN would poison a whole
  batch (``jax.nn`` gives NaN for an unmasked row of ``-inf``);
* a row containing ``+inf`` is NaN throughout, as in ``jax.nn`` and PyTorch:
  ``inf - inf`` has no value, and the limit of growing logits depends on how
  they grow, so any number would be made up (and would hide an overflow);
* NaN in a candidate entry makes its whole row NaN.

Accuracy. ``x - max`` is rounded, and ``exp`` of a rounded argument is off
by ``|x - max| * eps`` relatively (up to ~40 ulp for probabilities near
1e-38, about ``|x - max| / 2`` ulp in ``jax.nn``). Here the rounding error
of the subtraction is recovered exactly (Knuth's two-sum) and put back as a
factor ``1 + lo``, so each exponential is within about 1.5 ulp. A
probability then carries that, the division (0.5 ulp) and the rounding of
the row's sum, which grows with the row length n (at most about ``(n - 1) /
2`` ulp, usually far less): measured against mpmath, at most 4.5 ulp for
rows of up to 16 entries and 5.3 ulp for rows of up to 10,000 random logits
(``jax.nn``: 33 to 65 ulp), wherever the probability is a normal float. The
log-probability of a dominant entry, ``-log(1 + s)`` with ``s`` the sum of
the others, is computed as ``-log1p(s)`` from ``s`` itself, so it keeps its
relative accuracy when it is tiny (``jax.nn`` rounds ``1 + s`` first and
loses all of it below ``s ~ 1e-7``); every log-probability is within 4 ulp
(measured: 3.6). ``tests/test_outputs.py`` checks both against mpmath. The
derivative's diagonal ``1 - p_i`` is computed as written, so where ``p_i``
is close to 1 it has an absolute (not relative) error of a few ``eps`` (as
in ``jax.nn``): an accurate ``1 - p_i`` needs the sum of the other terms on
its own, a second reduction that splits the fused gradient on XLA's CPU.
Every other Jacobian entry is as accurate as the probabilities it is made
of: within 4.5 ulp for log_softmax's ``-p_j`` and ``1 - p_j``, 7 ulp for
softmax's products ``p_i (delta_ij - p_j)`` (measured: 4.0 and 6.3).

The forward pass is only maxima, subtractions, an exponential, a sum and a
division, with no select: the empty-row case comes from taking the max over
``max(x, -finfo.max)``, which is finite, and from dividing by ``sum + tiny``,
which equals the sum whenever it is at least 1 (it always is when the row has
a candidate, whose shifted exponential is exactly 1). Those are the
operations XLA's CPU backend fuses with the matrix product that produced the
logits; a select, or a second use of the row maximum, would split the fusion
(so the two-sum reads the maximum from a second reduction, the minimum of
``-x / 2``). Min and max inside a fused computation need not propagate NaN
there, so no result depends on one: a NaN entry always reaches the row's sum.
The gradient of either function needs only the probabilities and fuses as
``jax.nn``'s does (``tests/test_network.py`` counts the kernels). The value
of ``log_softmax`` needs the second sum ``s`` and, with the two-sum, XLA's
CPU backend fuses it with the matrix product only at some sizes (the book
network's forward pass with a ``log_softmax`` output: one kernel at a batch
of 10,000, 15 against ``jax.nn``'s 4 at a batch of 1,000, measured 1.8x
``jax.nn``'s time there); softmax's value fuses at both.
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

__all__ = ["log_softmax", "softmax"]

Axis = int | tuple[int, ...] | None


def _exp_shifted(x: Array, axes: tuple[int, ...]) -> tuple[Array, Array, Array]:
    """``(d, lo, e)``: ``d + lo = x - max`` exactly, and ``e = exp(x - max)``.

    ``d`` is the rounded difference and ``lo`` its rounding error, found by
    Knuth's two-sum on the halves ``x / 2 - max / 2`` (which cannot
    overflow); ``e = exp(d) * (1 + lo)`` is then within about 2 ulp of the
    exact exponential. The maximum is taken over ``max(x, -finfo.max)``, so a
    row of ``-inf`` is shifted by a finite number: its ``d`` stays ``-inf``
    and its ``e`` 0. Entries equal to the maximum get ``e = 1`` exactly. The
    shift passes no gradient (the results do not depend on it).
    """
    finfo = jnp.finfo(x.dtype)
    c = jnp.maximum(x, -finfo.max)
    m = jax.lax.stop_gradient(jnp.max(c, axis=axes, keepdims=True))
    # -max / 2 from its own reduction: a second use of m would split XLA's
    # CPU fusion of this function with the matrix product before it.
    neg_half_m = jax.lax.stop_gradient(jnp.min(c * -0.5, axis=axes, keepdims=True))
    h = c * 0.5
    s = h + neg_half_m
    bv = s - h
    lo = ((h - (s - bv)) + (neg_half_m - bv)) * 2.0
    d = x - m
    # exp(d) * |1 + lo| rather than exp(d) + exp(d) * lo: a second use of
    # exp(d) splits the fusion too. |1 + lo| = 1 + lo wherever exp(d) > 0;
    # where exp(d) = 0, lo may be large and negative and abs keeps +0.
    return d, lo, jnp.exp(d) * jnp.abs(1.0 + lo)


def _probabilities(x: Array, axes: tuple[int, ...]) -> tuple[Array, Array]:
    """``(p, total)``: the softmax and the row sums ``sum(e) + tiny``."""
    _, _, e = _exp_shifted(x, axes)
    total = jnp.sum(e, axis=axes, keepdims=True) + jnp.finfo(x.dtype).tiny
    return e / total, total


def _log_probabilities(x: Array, axes: tuple[int, ...]) -> Array:
    """``log_softmax``: ``(d - log(k + s)) + lo``, the log of the sum computed
    as ``log1p((k - 1) + s)``.

    ``k`` is the number of entries equal to the maximum (their ``e`` is
    exactly 1) and ``s`` the sum of the other exponentials, summed on its own
    so that a small ``s`` keeps its digits: the log-probability of a
    dominant entry, ``-log1p(s)``, is then accurate even when it is tiny.
    ``k`` comes from rounding ``sum(e) - s``, an integer up to rounding; a
    row with no candidate has ``k = 0``, taken as 1 so that the logarithm
    stays finite and the row is ``-inf - finite = -inf``.
    """
    finfo = jnp.finfo(x.dtype)
    d, lo, e = _exp_shifted(x, axes)
    # w = 0 where e == 1 (the maxima), 1 where e < 1 (where 1 - e is at
    # least half an ulp of 1, so the scaled difference is far above 1).
    w = jax.lax.stop_gradient(jnp.minimum((1.0 - e) * 2.0 ** (finfo.nmant + 7), 1.0))
    total = jnp.sum(e, axis=axes, keepdims=True) + finfo.tiny
    others = jnp.sum(w * e, axis=axes, keepdims=True)
    k = jax.lax.stop_gradient(jnp.maximum(jnp.round(total - others), 1.0))
    return (d - jnp.log1p((k - 1.0) + others)) + lo


@functools.partial(jax.custom_jvp, nondiff_argnums=(2, 3))
def _softmax_core(
    x: Array, mask: Array | None, axes: tuple[int, ...], log: bool
) -> Array:
    xm = x if mask is None else jnp.where(mask, x, -jnp.inf)
    if log:
        return _log_probabilities(xm, axes)
    return _probabilities(xm, axes)[0]


@_softmax_core.defjvp
def _softmax_jvp(
    axes: tuple[int, ...],
    log: bool,
    primals: tuple[Any, ...],
    tangents: tuple[Any, ...],
) -> tuple[Array, Array]:
    x, mask = primals
    t = tangents[0]
    # The output comes from the function itself, so that higher derivatives
    # use this rule again; the probabilities below repeat its first steps,
    # which XLA computes once.
    y = _softmax_core(x, mask, axes, log)
    xm = x if mask is None else jnp.where(mask, x, -jnp.inf)
    p, total = _probabilities(xm, axes)
    if mask is not None:
        t = jnp.where(mask, t, 0.0)
    dy = t - jnp.sum(p * t, axis=axes, keepdims=True)
    if not log:
        return y, p * dy
    if mask is not None:
        dy = jnp.where(mask, dy, 0.0)
    # A row with no candidate (sum 0, total = tiny) passes no gradient: scale
    # by 0 there and by 1 elsewhere, with a product instead of a select so
    # that the backward pass stays fusable on XLA's CPU.
    tiny = jnp.finfo(total.dtype).tiny
    return y, dy * jnp.minimum((total - tiny) * 2.0**100, 1.0)


@functools.partial(jax.jit, static_argnames=("axes", "log"))
def _softmax_kernel(
    x: Array, mask: Array | None, *, axes: tuple[int, ...], log: bool
) -> Array:
    return _softmax_core(x, mask, axes, log)


def _run(x: Any, axis: Any, where: Any, func: str, log: bool) -> Array:
    arr = _complex.as_array(x, func, "x")
    mask = as_mask(where, func)
    shape = broadcast_shape(func, x=arr, where=mask)
    axes = reduction_axes(axis, len(shape), func)
    out = inexact_dtype(arr.dtype)
    if jnp.iscomplexobj(arr):
        arr = jnp.broadcast_to(arr, shape)
        mask = None if mask is None else jnp.broadcast_to(mask, shape)
        return _complex.softmax(arr, axes, mask, log)
    arr = jnp.broadcast_to(arr.astype(compute_dtype(out)), shape)
    if mask is not None:
        mask = jnp.broadcast_to(mask, shape)
    if arr.size == 0:
        return arr.astype(out)
    return _softmax_kernel(arr, mask, axes=axes, log=log).astype(out)


def softmax(x: ArrayLike, axis: Axis = -1, where: ArrayLike | None = None) -> Array:
    r"""Softmax over an axis, the output layer for classification.

    Computes, along ``axis``:

    .. math::
        \mathrm{softmax}(x)_i = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}},
        \qquad m = \max_j x_j

    Subtracting :math:`m` changes nothing mathematically and prevents
    overflow; its rounding error is put back, so each probability is within a
    few ulp of the exact value (see the module notes for the bound). Entries
    where ``where`` is False are left out of the sum and get probability 0. A
    row with no candidate (all masked or ``-inf``) is all 0; a row containing
    ``+inf`` or NaN is all NaN (see the module notes). Its derivative is
    :math:`s_i(\delta_{ij} - s_j)`, smooth everywhere.

    Args:
        x: input array.
        axis: the axis, tuple of axes, or ``None`` (all axes) to normalise
            over.
        where: optional boolean mask that broadcasts with ``x``; False
            entries are excluded.

    Returns:
        An array of the broadcast shape of ``x`` and ``where``, in ``x``'s
        floating dtype (``float32`` for integer input); each row sums to 1
        (or is all 0 when it has no candidate).

    Examples:
        >>> jaxnn.softmax(jnp.array([0.3, 2.9, 4.0]))
        Array([0.0182113, 0.2451918, 0.7365969], dtype=float32)
        >>> jaxnn.softmax(jnp.array([1000.0, 1001.0, 1002.0]))
        Array([0.09003057, 0.24472848, 0.66524094], dtype=float32)
        >>> jaxnn.softmax(jnp.array([1.0, 2.0, 3.0]),
        ...               where=jnp.array([True, True, False]))
        Array([0.26894143, 0.7310586 , 0.        ], dtype=float32)
        >>> jaxnn.softmax(jnp.array([[0.0, 1.0], [2.0, 3.0]]), None)
        Array([[0.032059 , 0.087144],
               [0.236883, 0.643914 ]], dtype=float32)
    """
    return _run(x, axis, where, "softmax", log=False)


def log_softmax(x: ArrayLike, axis: Axis = -1, where: ArrayLike | None = None) -> Array:
    r"""Logarithm of the softmax over an axis.

    Computes, along ``axis``:

    .. math::
        \mathrm{log\_softmax}(x)_i = (x_i - m) - \log \sum_j e^{x_j - m},
        \qquad m = \max_j x_j

    without ever forming :math:`\log` of an underflowed probability, so it is
    finite for every finite input; the log-probability of a dominant entry,
    :math:`-\log(1 + s)`, is computed from :math:`s` (the sum of the other
    terms) and stays accurate when it is tiny. Masked-out entries (``where``
    False) get ``-inf``; a row with no candidate is all ``-inf``; a row
    containing ``+inf`` or NaN is all NaN. Its derivative is
    :math:`\delta_{ij} - s_j`.

    Args:
        x: input array.
        axis: the axis, tuple of axes, or ``None`` (all axes) to normalise
            over.
        where: optional boolean mask that broadcasts with ``x``; False
            entries are excluded.

    Returns:
        An array of the broadcast shape of ``x`` and ``where``, in ``x``'s
        floating dtype (``float32`` for integer input).

    Examples:
        >>> jaxnn.log_softmax(jnp.array([0.0, 0.0]))
        Array([-0.6931472, -0.6931472], dtype=float32)
        >>> jaxnn.log_softmax(jnp.array([0.0, 200.0]))
        Array([-200.,    0.], dtype=float32)
        >>> jaxnn.log_softmax(jnp.array([20.0, 0.0]))  # -log1p(exp(-20))
        Array([-2.0611537e-09, -2.0000000e+01], dtype=float32)
    """
    return _run(x, axis, where, "log_softmax", log=True)
