r"""Elementwise activation functions with accurate values and derivatives.

Every public function here takes an array of any shape and returns an array of
the same shape, computed elementwise by a jit-compiled kernel.

Conventions shared by all of them:

* **Dtypes.** Floating inputs keep their dtype. ``float16`` and ``bfloat16``
  are computed in ``float32`` and rounded once at the end; ``float32`` and
  ``float64`` are computed natively. Integer and bool inputs are promoted to
  JAX's default float (``float32``, or ``float64`` under ``jax.enable_x64``).
  Complex input, strings, lists and other non-array objects raise ``TypeError``
  (convert a list with ``jnp.asarray`` first, as ``jax.numpy`` requires too).
* **Kinks.** At a kink the derivative is taken from the piece *outside* the
  open interval where the function is the identity-like piece: ``relu'(0) =
  0``, ``leaky_relu'(0) = negative_slope``, ``elu'(0) = alpha``,
  ``selu'(0) = scale * alpha``, ``relu6'(0) = relu6'(6) = 0``,
  ``hard_tanh'(±1) = 0``, ``hard_sigmoid'(±3) = 0``. This matches PyTorch (and
  JAX except for ``leaky_relu``, where JAX uses 1), and makes ``relu`` the
  ``negative_slope = 0`` case of ``leaky_relu``.
* **Accuracy.** In ``float32`` every smooth function and its derivative is
  within 4 ulp of the exact value for ``|x| <= 200`` wherever that value is a
  normal float (within ``4 * eps`` absolutely next to the single root of the
  derivatives of ``silu``, ``gelu`` and ``mish``, where the derivative's two
  terms cancel by at least half; ``tools/accuracy.py`` prints the table). The
  exceptions are ``gelu(x, approximate=True)`` for ``x < -1``: the float32
  rounding of its cubic argument ``u`` costs about ``|u|`` ulp (at most ~130,
  near ``x = -9``; jax.nn's is off by up to 1.7e7 ulp there), and ``tanh``'s
  value, which is XLA's own ``tanh`` (as in jax.nn) and reaches about 4.9 ulp
  near ``|x| = 6`` (3.8 ulp on the script's grid). Derivatives
  come from ``jax.custom_jvp`` rules that use their own accurate formulas, so
  ``sigmoid'(87) = 1.6e-38`` rather than 0, and no derivative is NaN for
  finite input.
* **Extremes.** ``±inf`` maps to the function's limit (``silu(-inf) = 0``);
  NaN propagates.

Why the formulas look the way they do: XLA on the CPU flushes subnormal
intermediates to zero, and ``exp`` of an argument that was itself rounded
(``exp(c - x)``, ``exp(-x * x / 2)``) is off by ``|argument| * eps``
relatively, i.e. by up to ~60 ulp near the underflow threshold. So tails are
written with ``e = exp(-|x|)`` (one exponential, never overflowing), with the
exponent shifted by an exact integer when the plain ``exp`` would be subnormal
(or, in ``tanh'``, ``silu`` and the tanh form of ``gelu``, scaled by a power of 2
put straight into the exponent bits of a hand-written ``exp``, which saves the
shift's compare and selects), and with exact splits of ``x * x``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax import Array
from jax.custom_derivatives import SymbolicZero
from jax.typing import ArrayLike

from jaxnn._checks import as_real_array, as_scalar, compute_dtype, out_dtype

__all__ = [
    "celu",
    "elu",
    "gelu",
    "hard_sigmoid",
    "hard_tanh",
    "identity",
    "leaky_relu",
    "log_sigmoid",
    "mish",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "softplus",
    "softsign",
    "step",
    "surrogate_step",
    "swish",
    "tanh",
]


def _apply(kernel: Callable[..., Array], func: str, x: Any, *params: Any) -> Array:
    """Checks ``x``, runs ``kernel`` in the compute dtype, returns the out dtype."""
    arr = as_real_array(x, func)
    out = out_dtype(arr)
    cd = compute_dtype(out)
    ps = [p.astype(cd) for p in params]
    return kernel(arr.astype(cd), *ps).astype(out)


def _elementwise(
    value: Callable[..., Array], *partials: Callable[..., Array]
) -> Callable[..., Array]:
    """A jit-compiled ``custom_jvp`` function from its value and its partials.

    ``value(x, *params)`` computes the function; ``partials[i](x, *params)``
    its derivative with respect to argument ``i``. The partials are written
    with their own accurate formulas instead of differentiating ``value``, and
    are themselves differentiable, so ``hessian`` works too. Symbolic zeros
    skip the partials of arguments that are not being differentiated.
    """
    f = jax.custom_jvp(value)

    def jvp(primals: tuple[Array, ...], tangents: tuple[Any, ...]) -> Any:
        y = f(*primals)
        dy = None
        for partial, t in zip(partials, tangents, strict=True):
            if isinstance(t, SymbolicZero):
                continue
            term = partial(*primals) * t
            dy = term if dy is None else dy + term
        if dy is None:
            dy = jnp.zeros_like(y)
        return y, dy

    f.defjvp(jvp, symbolic_zeros=True)
    return jax.jit(f)


# ---------------------------------------------------------------------------
# Shared numerical building blocks (x is already in the compute dtype)
# ---------------------------------------------------------------------------


def _neg_abs(x: Array) -> Array:
    # -|x| written with a select rather than abs, so that autodiff of a
    # derivative formula (used by hessian) sees slope -1 at x = 0, matching
    # the x >= 0 branch the formulas select there.
    return jnp.where(x >= 0, -x, x)


_SHIFT = 16.0
_TAIL = -64.0

# exp(r) = 1 + r + r^2 P(r) on |r| <= 1.1 ln(2) / 2: P of degree 4 fitted for
# minimax relative error (~2e-9), coefficients rounded to float32 one at a
# time with the rest refitted; within 1.02 ulp after float32 evaluation.
_EXP_P = (
    0.4999997913837433,
    0.1666644960641861,
    0.04167097806930542,
    0.008376400917768478,
    0.0013717715628445148,
)
_LOG2E = 1.4426950408889634
_LN2_HI = 0.693359375  # 9 significant bits: k * _LN2_HI is exact for |k| < 2^15
_LN2_LO = -2.12194440e-4


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _exp_neg(z: Array, log2_scale: int = 0) -> Array:
    """``exp(z) * 2**log2_scale`` for ``z <= 0``, within 1.02 ulp in float32.

    Results below the smallest normal float are 0 (as XLA's CPU flush would
    make them); NaN propagates; ``log2_scale`` must be at most 16. Written out
    (Cody-Waite reduction, a degree-6 polynomial, the power of 2 built from
    its exponent bits) for that power-of-2 factor: it is exact and free, so a
    caller can form ``2^16 exp(z)`` where ``exp(z)`` alone would be subnormal
    without the compare-and-select shift of ``_exp_tail`` (~10% faster
    overall; on its own this is no faster than XLA's ``exp``).
    """
    return _exp_core(z, None, log2_scale)


def _exp_core(z: Array, lo: Array | None, log2_scale: int) -> Array:
    """``exp(z + lo) * 2**log2_scale`` (see ``_exp_neg``); ``lo`` small, exact
    ``z`` on a coarse grid: the sum is never rounded, ``lo`` joins the reduced
    argument (|lo| <= 0.03 keeps it within the polynomial's range)."""
    if z.dtype != jnp.float32:
        zz = z if lo is None else z + lo
        return jnp.exp(zz) * 2.0**log2_scale
    zc = jnp.maximum(z, -100.0)  # exp(-inf) = 0; NaN passes through max
    k = jnp.round(zc * _LOG2E)
    r = (zc - k * _LN2_HI) - k * _LN2_LO
    if lo is not None:
        r = (zc - k * _LN2_HI) + (lo - k * _LN2_LO)
    p = jnp.asarray(_EXP_P[-1], z.dtype)
    for c in _EXP_P[-2::-1]:
        p = p * r + c
    p = 1.0 + (r + (r * r) * p)
    bias = 127 + log2_scale
    ki = jnp.maximum(k.astype(jnp.int32), -bias) + bias  # 0 bits: 2^k -> 0
    return p * jax.lax.bitcast_convert_type(ki << 23, jnp.float32)


@jax.custom_jvp
def _exp_hi_lo(hi: Array, lo: Array) -> Array:
    """``exp(hi + lo)`` without rounding ``hi + lo`` (see ``_exp_core``)."""
    return _exp_core(hi, lo, 0)


@_exp_hi_lo.defjvp
def _exp_hi_lo_jvp(
    primals: tuple[Array, Array], tangents: tuple[Array, Array]
) -> tuple[Array, Array]:
    y = _exp_hi_lo(*primals)
    return y, y * (tangents[0] + tangents[1])


@_exp_neg.defjvp
def _exp_neg_jvp(
    log2_scale: int, primals: tuple[Array], tangents: tuple[Array]
) -> tuple[Array, Array]:
    y = _exp_neg(primals[0], log2_scale)
    return y, y * tangents[0]


# Tails scaled by 2^16 in the exponent bits (see _exp_neg), and the way back.
_TAIL_BITS = 16
_TAIL_UNSCALE = 2.0**-_TAIL_BITS


def _exp_tail(z: Array, factor: float = 1.0) -> tuple[Array, Array]:
    """``factor * exp(z)`` for ``z <= 0`` as a pair ``(E, K)``, product ``E * K``.

    Where ``z < -64``, ``E = exp(z + 16)`` stays a normal float even when
    ``exp(z)`` would be subnormal (and flushed to zero by XLA on the CPU), and
    ``K = factor * exp(-16)`` (one constant, rounded once). ``z + 16`` is exact
    for ``z < -32``, so no error is added to the exponent. Elsewhere ``E =
    exp(z)`` and ``K = factor``. Callers form ``(... E ...) * K`` last. Where
    exp(z) only enters as a correction to 1 (``1 + e``), ``E`` itself may be
    used: in the shifted range both ``1 + exp(z)`` and ``1 + E`` round to 1.
    """
    tail = z < _TAIL
    big = jnp.exp(jnp.where(tail, z + _SHIFT, z))
    k = jnp.where(tail, factor * math.exp(-_SHIFT), factor).astype(z.dtype)
    return big, k


# expm1(z) = z + z^2 P(z) on [-0.7, 0]: a Chebyshev fit of degree 6 (relative
# error < 1e-9 in exact arithmetic, < 1 ulp in float32). XLA's own expm1 is
# exp(z) - 1 there and loses up to 4 ulp to cancellation near z = -0.28.
_EXPM1_P = (
    0.5,
    0.1666666567325592,
    0.04166659712791443,
    0.008332733064889908,
    0.0013864027569070458,
    0.00019306939793750644,
    1.8962051399284974e-05,
)


def _expm1_neg(z: Array) -> Array:
    """``expm1(z)`` for ``z <= 0``, accurate to about 1 ulp in float32."""
    if z.dtype == jnp.float64:
        return jnp.expm1(z)
    zs = jnp.maximum(z, -0.7)  # keep the polynomial's input in its range
    p = jnp.asarray(_EXPM1_P[-1], z.dtype)
    for c in _EXPM1_P[-2::-1]:
        p = p * zs + c
    small = zs + zs * zs * p
    # Below -0.7, exp(z) <= 0.5 so exp(z) - 1 has no harmful cancellation.
    return jnp.where(z > -0.7, small, jnp.exp(z) - 1.0)


def _clamp_inf(x: Array, y: Array, at_neg: float, at_pos: float) -> Array:
    """Returns the limits at ``±inf`` where formulas would give ``0 * inf``."""
    return jnp.where(x == -jnp.inf, at_neg, jnp.where(x == jnp.inf, at_pos, y))


# ---------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------


def _sigmoid_val(x: Array) -> Array:
    # The formula as written is accurate (about 2 ulp in float32): 1 + e^-x
    # never cancels, and where e^-x overflows (x < -88.7) 1 / inf = 0 is the
    # true value rounded to float32's normal range. It is four elementwise
    # operations that XLA's CPU backend can fuse into a preceding matrix product
    # (a select, as in the branch form e^-|x| / (1 + e^-|x|), stops that
    # fusion). Only the derivative needs e^-|x|: see _sigmoid_der.
    return 1.0 / (1.0 + jnp.exp(-x))


def _sigmoid_der(x: Array) -> Array:
    # s(1 - s) = e / (1 + e)^2: no cancellation (JAX's s * (1 - s) is exactly 0
    # for x > 17 in float32), and e is normal wherever the result is. The
    # square is expanded as 1 + e (2 + e) so that it is rounded once.
    e = jnp.exp(_neg_abs(x))
    return e / (1.0 + e * (2.0 + e))


def _sigmoid_neg(x: Array) -> Array:
    """``sigmoid(-x)``, accurate (not ``1 - sigmoid(x)``)."""
    e = jnp.exp(_neg_abs(x))
    r = 1.0 / (1.0 + e)
    return jnp.where(x >= 0, e * r, r)


_sigmoid = _elementwise(_sigmoid_val, _sigmoid_der)


def _softplus_val(x: Array) -> Array:
    # max(x, 0) + log1p(exp(-|x|)): the exponential never overflows and both
    # terms are non-negative, so nothing cancels.
    e = jnp.exp(_neg_abs(x))
    return jnp.where(x >= 0, x, 0.0) + jnp.log1p(e)


# softplus' = sigmoid, with sigmoid's own derivative rule for softplus''.
_softplus = _elementwise(_softplus_val, _sigmoid)


def _log_sigmoid_val(x: Array) -> Array:
    # -softplus(-x) = min(x, 0) - log1p(exp(-|x|)), not log(sigmoid(x)), which
    # underflows to log(0) = -inf below x = -88.
    e = jnp.exp(_neg_abs(x))
    return jnp.where(x >= 0, 0.0, x) - jnp.log1p(e)


_log_sigmoid = _elementwise(_log_sigmoid_val, _sigmoid_neg)


def _tanh_val(x: Array) -> Array:
    # XLA's own tanh: its rational form is within 3.8 ulp over all of float32
    # (the worst is at |x| = 8, where it starts returning ±1 while the exact
    # value is 1 - 3.8 ulp), and it costs less than any exp-based form.
    return jnp.tanh(x)


def _tanh_der(x: Array) -> Array:
    # 1 - tanh^2 = 4 e / (1 + e)^2 with e = exp(-2|x|); 1 - tanh^2 itself is 0
    # from |x| = 9 on. e is subnormal for |x| > 43.7 while the result is still
    # normal up to |x| = 44.4, so 4 e is formed directly (its factor 4 goes
    # into the exponent bits): 4 e / (1 + e (2 + e)) with e = 4e / 4.
    e4 = _exp_neg(-2.0 * jnp.abs(x), 2)
    return e4 / (1.0 + e4 * (0.5 + e4 * 0.0625))


_tanh = _elementwise(_tanh_val, _tanh_der)


def _nonpos(x: Array) -> Array:
    # The x <= 0 part of x, with slope 1 at 0 (the kink belongs to that piece),
    # clamped so the unused branch never sees exp of a large positive number.
    return jnp.where(x > 0, 0.0, x)


def _elu_val(x: Array, alpha: Array) -> Array:
    return jnp.where(x > 0, x, alpha * _expm1_neg(_nonpos(x)))


def _elu_dx(x: Array, alpha: Array) -> Array:
    big, k = _exp_tail(_nonpos(x))
    return jnp.where(x > 0, 1.0, alpha * big * k)


def _elu_dalpha(x: Array, alpha: Array) -> Array:
    return jnp.where(x > 0, 0.0, _expm1_neg(_nonpos(x)))


_elu = _elementwise(_elu_val, _elu_dx, _elu_dalpha)


def _celu_val(x: Array, alpha: Array) -> Array:
    return jnp.where(x > 0, x, alpha * _expm1_neg(_nonpos(x) / alpha))


def _celu_dx(x: Array, alpha: Array) -> Array:
    big, k = _exp_tail(_nonpos(x) / alpha)
    return jnp.where(x > 0, 1.0, big * k)


def _celu_dalpha(x: Array, alpha: Array) -> Array:
    u = _nonpos(x) / alpha
    return jnp.where(x > 0, 0.0, _expm1_neg(u) - u * jnp.exp(u))


_celu = _elementwise(_celu_val, _celu_dx, _celu_dalpha)

# Klambauer et al. (2017), to the digits of their reference implementation.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SELU_SA = _SELU_SCALE * _SELU_ALPHA  # rounded once into the dtype


def _selu_val(x: Array) -> Array:
    return jnp.where(x > 0, _SELU_SCALE * x, _SELU_SA * _expm1_neg(_nonpos(x)))


def _selu_der(x: Array) -> Array:
    # scale * alpha * exp(x): exp(x) is subnormal below -87.3 while the
    # product is normal down to -87.9, so the constant rides on the shift.
    big, k = _exp_tail(_nonpos(x), _SELU_SA)
    return jnp.where(x > 0, _SELU_SCALE, big * k)


_selu = _elementwise(_selu_val, _selu_der)


def _silu_val(x: Array) -> Array:
    # x * sigmoid(x) with e = exp(-|x|): x / (1 + e) for x >= 0 and
    # x * e / (1 + e) for x < 0. silu(-88.4) = -3.5e-37 is normal while
    # exp(-88.4) is not, so E = 2^16 e is formed instead (exactly, in the
    # exponent bits) and x * E scaled back; 1 + e only needs e = E / 2^16.
    big = _exp_neg(-jnp.abs(x), _TAIL_BITS)
    e = big * _TAIL_UNSCALE
    # Clamping x at -3e38 turns -inf * 0 into -0 (the limit) and keeps NaN.
    xc = jnp.maximum(x, -3e38)
    return jnp.where(x >= 0, xc, (xc * big) * _TAIL_UNSCALE) / (1.0 + e)


def _silu_der(x: Array) -> Array:
    # s (1 + x (1 - s)) expanded over the common denominator (1 + e)^2:
    # (1 + e + x e) for x >= 0 and e ((1 + x) + e) for x < 0. 1 + x is exact
    # for x <= -0.5, so near the single root (x = -1.278), where the sum
    # cancels, the only error is e's own rounding. E = 2^16 e as in _silu_val.
    big = _exp_neg(-jnp.abs(x), _TAIL_BITS)
    e = big * _TAIL_UNSCALE
    xc = jnp.clip(x, -1e30, 1e30)  # the limits at ±inf instead of 0 * inf
    num = jnp.where(
        x >= 0, 1.0 + e * (1.0 + xc), (big * ((1.0 + xc) + e)) * _TAIL_UNSCALE
    )
    return num / (1.0 + e * (2.0 + e))


_silu = _elementwise(_silu_val, _silu_der)


def _mish_val(x: Array) -> Array:
    # tanh(softplus(x)) = n / (n + 2) with n = e^x (e^x + 2); in terms of
    # e = exp(-|x|) that is (1 + 2e) / (1 + 2e + 2e^2) for x >= 0 and
    # e (e + 2) / (e (e + 2) + 2) for x < 0: one exponential instead of the
    # exp, log1p and tanh of x * tanh(softplus(x)), and no cancellation.
    big, k = _exp_tail(-jnp.abs(x))
    e = big
    xc = jnp.maximum(x, -3e38)  # -inf * 0 becomes -0, the limit
    two_e = 2.0 * e
    t_pos = (1.0 + two_e) / (1.0 + two_e * (1.0 + e))
    # For x < 0, t = e q with q = (e + 2) / (e^2 + 2e + 2)
    # = 1 - e (1 + e) / (2 + e (2 + e)): a correction below 0.4 on 1.
    q = 1.0 - e * (1.0 + e) / (2.0 + e * (2.0 + e))
    return jnp.where(x >= 0, xc * t_pos, ((xc * big) * q) * k)


def _mish_der(x: Array) -> Array:
    # mish' = t + x s (1 - t^2), t = tanh(softplus(x)), s = sigmoid(x):
    #   x >= 0: t + 4 x e^2 (1 + e) / (1 + 2e + 2e^2)^2
    #   x <  0: e ((e + 2) D + 4 x (1 + e)) / D^2, D = e (e + 2) + 2,
    # with the numerator expanded as 4 (1 + x) + e (6 + 4x + e (4 + e)): its
    # terms are ~0.8 at the root (x = -1.192) instead of ~6, and 1 + x, 6 + 4x
    # are exact there.
    big, k = _exp_tail(_neg_abs(x))
    e = big
    x = jnp.clip(x, -1e30, 1e30)  # the limits at ±inf instead of 0 * inf
    # Squares of denominators are expanded in powers of e to round once:
    # (1 + 2e + 2e^2)^2 = 1 + e (4 + e (8 + e (8 + 4e))) and
    # (e^2 + 2e + 2)^2 = 4 + e (8 + e (8 + e (4 + e))).
    two_e = 2.0 * e
    d_pos = 1.0 + two_e * (1.0 + e)
    d_pos2 = 1.0 + e * (4.0 + e * (8.0 + e * (8.0 + 4.0 * e)))
    y_pos = (1.0 + two_e) / d_pos + 4.0 * x * (e * e) * (1.0 + e) / d_pos2
    d_neg2 = 4.0 + e * (8.0 + e * (8.0 + e * (4.0 + e)))
    num = 4.0 * (1.0 + x) + e * ((6.0 + 4.0 * x) + e * (4.0 + e))
    y_neg = big * num / d_neg2 * k
    return jnp.where(x >= 0, y_pos, y_neg)


_mish = _elementwise(_mish_val, _mish_der)


# gelu: Phi(x) = exp(-x^2 / 2) m(|x|) for x <= 0, where the scaled tail
# m(y) = Phi(-y) exp(y^2 / 2) is smooth and fitted by four polynomials of
# degree 10 in (y - centre), least squares in relative error at 400 Chebyshev
# points against mpmath, with the first coefficients rounded to float32 one at
# a time and the rest refitted (fit error ~1e-9 relative, below 1 ulp after
# float32 evaluation). The value table holds m; the derivative table holds
# sqrt(2 pi) m. On [8, 14] they hold exp(-16) y m(y) and exp(-16) m (see
# _gauss_tail); the factor y saves the value a rounding where it is tightest.
# Computing Phi through erf/erfc instead costs ~100 ulp in the tail: erfc
# forms exp(-z * z) from a rounded z * z.
_GELU_VALUE_PIECES = (
    # y in [0, 2): powers of (y - 1)
    (1.0, (
        0.2615782916545868, -0.137364000082016, 0.06210713088512421,
        -0.02508530393242836, 0.009255555458366871, -0.0031679861713200808,
        0.0010146013228222728, -0.00030260771745815873, 8.82225067471154e-05,
        -2.90989555651322e-05, 7.197235390776768e-06,
    )),
    # y in [2, 4): powers of (y - 3)
    (3.0, (
        0.12151394784450531, -0.03440043702721596, 0.009156332351267338,
        -0.002310473006218672, 0.000556145969312638, -0.0001284297031816095,
        2.867566217901185e-05, -6.0333695728331804e-06, 1.1041879588447046e-06,
        -3.0689702157360443e-07, 1.1532525689972317e-07,
    )),
    # y in [4, 8): powers of (y - 6)
    (6.0, (
        0.06477931141853333, -0.010266395285725594, 0.0015904882457107306,
        -0.00024118070723488927, 3.5822304198518395e-05, -5.229499038250651e-06,
        7.599300602123549e-07, -1.032661529620782e-07, 1.1497750307398746e-08,
        -2.439858315383958e-09, 5.798694857617193e-10,
    )),
    # y in [8, 14): powers of (y - 11)
    (11.0, (
        4.453284674355018e-08, 6.430816296143504e-11, -8.502035013513431e-12,
        9.910514249533708e-13, -1.0567534260846889e-13, 1.1137348232244729e-14,
        -1.5914106893781814e-15, 1.0578460144127478e-16, 4.316359461710727e-17,
        1.1865683582283558e-18, -2.2588209761873427e-18,
    )),
)  # fmt: skip
_GELU_DERIV_PIECES = (
    # y in [0, 2): powers of (y - 1)
    (1.0, (
        0.6556795239448547, -0.34432050585746765, 0.1556798666715622,
        -0.06287933886051178, 0.023198066279292107, -0.00794155802577734,
        0.002548295771703124, -0.0007578082731924951, 0.00021599253523163497,
        -7.323727186303586e-05, 1.993640216824133e-05,
    )),
    # y in [2, 4): powers of (y - 3)
    (3.0, (
        0.30459028482437134, -0.0862291008234024, 0.022951766848564148,
        -0.005791568197309971, 0.0013927031541243196, -0.0003217089979443699,
        7.491772703360766e-05, -1.5382593119284138e-05, -2.3766425272242486e-07,
        -6.62419950003823e-07, 1.3723866914006067e-06,
    )),
    # y in [4, 8): powers of (y - 6)
    (6.0, (
        0.16237765550613403, -0.025734035298228264, 0.003986753057688475,
        -0.0006045537884347141, 8.980716665973887e-05, -1.310583138547372e-05,
        1.8967319874718669e-06, -2.5961915639527433e-07, 3.088245748017471e-08,
        -6.0367195686694686e-09, 1.2638988744484436e-09,
    )),
    # y in [8, 14): powers of (y - 11)
    (11.0, (
        4.048440693793509e-09, -3.621938582387685e-10, 3.2153623513719864e-11,
        -2.8329834138307586e-12, 2.4804767614905465e-13, -2.152228387370704e-14,
        1.783930372739888e-15, -1.565380149299195e-16, 2.125140648264893e-17,
        -1.3699885246292065e-18, -2.0556282204661483e-19,
    )),
)  # fmt: skip
_GELU_BREAKS = (2.0, 4.0, 8.0)
_GELU_YMAX = 15.0  # |x| beyond which Phi(-|x|) * x is below the smallest float
_INV_SQRT_2PI = 0.3989422804014327


def _select_piece(y: Array, values: tuple[float, ...]) -> Array:
    out = jnp.asarray(values[-1], y.dtype)
    for brk, v in zip(_GELU_BREAKS[::-1], values[-2::-1], strict=True):
        out = jnp.where(y < brk, v, out)
    return out


def _gauss_tail(
    x: Array, table: tuple[tuple[float, tuple[float, ...]], ...]
) -> tuple[Array, Array]:
    """``(G, M)``: ``G * M = exp(-x^2 / 2) * table(|x|)``, in float32.

    x = xh + xl with xh on a 1/256 grid (12 significant bits for |x| < 16), so
    xh^2 / 2 and xh * xl are exact and exp(-xh^2 / 2) sees an exact argument;
    the small rest b = -(xh xl + xl^2 / 2), |b| < 0.03, joins the reduced
    argument inside the exponential (``_exp_hi_lo``). For |x| >= 8 the
    exponent is shifted up by 16 (exactly: it is a multiple of 2^-17 below
    -32) and the table's last piece is pre-scaled by exp(-16): x Phi(x) is
    normal down to x = -13.2, while exp(-x^2 / 2) alone is subnormal (and
    flushed to zero by XLA on the CPU) beyond |x| = 13.2.
    """
    xc = jnp.clip(x, -_GELU_YMAX, _GELU_YMAX)
    xh = jnp.round(xc * 256.0) / 256.0
    xl = xc - xh
    b = -(xh * xl + 0.5 * (xl * xl))
    y = jnp.minimum(jnp.abs(xc), 14.0)
    z = -0.5 * (xh * xh)
    big = _exp_hi_lo(jnp.where(y >= 8.0, z + _SHIFT, z), b)
    v = y - _select_piece(y, tuple(c for c, _ in table))
    n = len(table[0][1])
    m = _select_piece(y, tuple(p[n - 1] for _, p in table))
    for i in range(n - 2, -1, -1):
        m = m * v + _select_piece(y, tuple(p[i] for _, p in table))
    return big, m


def _gelu_val(x: Array) -> Array:
    if x.dtype == jnp.float64:
        return x * (0.5 * jax.lax.erfc(-x * math.sqrt(0.5)))
    g, m = _gauss_tail(x, _GELU_VALUE_PIECES)
    # x Phi(x) = x G m for x < 0, and x (1 - Phi(-x)) for x >= 0.
    # (x m) G: G m alone is Phi(x), subnormal below x = -13.0. For |x| >= 8
    # the table already holds |x| m (times exp(-16)).
    xm = jnp.where(jnp.abs(x) >= 8.0, jnp.copysign(m, x), x * m)
    xgm = xm * g
    y = jnp.where(x < 0, xgm, x - xgm)
    far = jnp.abs(x) > _GELU_YMAX
    return jnp.where(far, jnp.where(x > 0, x, 0.0), y)


def _gelu_der(x: Array) -> Array:
    # Phi(x) + x phi(x) = c G (mt + x) with c = 1/sqrt(2 pi), mt = m / c, for
    # x < 0 (1 - c G (mt - x) for x >= 0): x is exact, so next to the root at
    # x = -0.7518, where mt + x cancels, only mt's small error is amplified.
    # In the shifted range (|x| >= 8) x is scaled by exp(-16) with c folded in.
    if x.dtype == jnp.float64:
        phi = jnp.exp(-0.5 * x * x) * _INV_SQRT_2PI
        return 0.5 * jax.lax.erfc(-x * math.sqrt(0.5)) + x * phi
    g, mt = _gauss_tail(x, _GELU_DERIV_PIECES)
    far_tail = jnp.abs(x) >= 8.0
    # On [8, 14] the table holds exp(-16) m = c mt exp(-16): scale x to match.
    xs = x * jnp.where(far_tail, _INV_SQRT_2PI * math.exp(-_SHIFT), 1.0)
    c = jnp.where(far_tail, 1.0, _INV_SQRT_2PI)
    y = jnp.where(x < 0, g * (mt + xs) * c, 1.0 - g * (mt - xs) * c)
    far = jnp.abs(x) > _GELU_YMAX
    return jnp.where(far, jnp.where(x > 0, 1.0, 0.0), y)


_gelu = _elementwise(_gelu_val, _gelu_der)

_SQRT_2_OVER_PI = 0.7978845608028654


def _gelu_tanh_parts(x: Array) -> tuple[Array, Array, Array, Array, Array]:
    """``(xc, u, du, E, e)``: u = 2 sqrt(2/pi) (x + 0.044715 x^3), du = u'(x),
    e = exp(-|u|) and E = 2^16 e (normal where e is not); x clipped to 1e4."""
    xc = jnp.clip(x, -1e4, 1e4)  # keeps x^3 finite; beyond, the limits apply
    x2 = xc * xc
    u = (2.0 * _SQRT_2_OVER_PI) * (xc + 0.044715 * (x2 * xc))
    du = (2.0 * _SQRT_2_OVER_PI) * (1.0 + (3.0 * 0.044715) * x2)
    big = _exp_neg(-jnp.abs(u), _TAIL_BITS)
    return xc, u, du, big, big * _TAIL_UNSCALE


def _gelu_tanh_val(x: Array) -> Array:
    # x/2 (1 + tanh(u/2)) = x sigmoid(u): the sigmoid form has no 1 + tanh
    # cancellation for x < 0, and its exp(-|u|) is scaled by 2^16 so that the
    # tail (normal down to x = -10.5) is not flushed to zero. The rounding of
    # u itself, about |u| eps, still limits the accuracy for x << 0.
    # Beyond the clip, e = 0 (or E = 0) gives the limits x and -0 by itself.
    xc, u, _, big, e = _gelu_tanh_parts(x)
    return jnp.where(u >= 0, x, (xc * big) * _TAIL_UNSCALE) / (1.0 + e)


def _gelu_tanh_der(x: Array) -> Array:
    # sigmoid(u) + x u' sigmoid'(u) over the denominator (1 + e)^2, e = exp(-|u|):
    # (1 + e (1 + x u')) for u >= 0 and e ((1 + e) + x u') for u < 0, one
    # division for both.
    xc, u, du, big, e = _gelu_tanh_parts(x)
    xdu = xc * du
    num = jnp.where(
        u >= 0, 1.0 + e * (1.0 + xdu), (big * ((1.0 + e) + xdu)) * _TAIL_UNSCALE
    )
    # Beyond the clip e = E = 0, which gives the limits 1 and 0 by itself.
    return num / (1.0 + e * (2.0 + e))


_gelu_tanh = _elementwise(_gelu_tanh_val, _gelu_tanh_der)


def _softsign_val(x: Array) -> Array:
    return _clamp_inf(x, x / (1.0 + jnp.abs(x)), -1.0, 1.0)


def _softsign_der(x: Array) -> Array:
    d = 1.0 + jnp.abs(x)
    return 1.0 / (d * d)


_softsign = _elementwise(_softsign_val, _softsign_der)


# Piecewise-linear functions: plain selects, whose autodiff already gives the
# documented kink convention (the kink point takes the outer piece), because
# each condition is a strict inequality around the identity-like piece.
# Comparisons with NaN are false, so each ends by passing NaN through.


def _keep_nan(x: Array, y: Array) -> Array:
    return jnp.where(jnp.isnan(x), x, y)


@jax.jit
def _relu_k(x: Array) -> Array:
    return jnp.where(x <= 0, jnp.zeros_like(x), x)  # NaN falls through to x


@jax.jit
def _leaky_relu_k(x: Array, slope: Array) -> Array:
    return jnp.where(x <= 0, slope * x, x)  # NaN falls through to x


@jax.jit
def _relu6_k(x: Array) -> Array:
    inside = (x > 0) & (x < 6)
    return _keep_nan(x, jnp.where(inside, x, jnp.where(x >= 6, 6.0, 0.0)))


@jax.jit
def _hard_tanh_k(x: Array) -> Array:
    inside = (x > -1) & (x < 1)
    return _keep_nan(x, jnp.where(inside, x, jnp.where(x >= 1, 1.0, -1.0)))


@jax.jit
def _hard_sigmoid_k(x: Array) -> Array:
    inside = (x > -3) & (x < 3)
    return _keep_nan(x, jnp.where(inside, x / 6.0 + 0.5, jnp.where(x >= 3, 1.0, 0.0)))


@jax.jit
def _identity_k(x: Array) -> Array:
    return x


@jax.jit
def _step_k(x: Array) -> Array:
    return _keep_nan(x, jnp.where(x > 0, 1.0, 0.0))


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------


def step(x: ArrayLike) -> Array:
    r"""Heaviside step function, the perceptron's activation.

    Computes the element-wise function:

    .. math::
        \mathrm{step}(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}

    so ``step(0) = 0`` (the book's convention), returned as a float. Its true
    derivative is 0 everywhere except at 0, where it does not exist; ``grad``
    returns 0 everywhere. That is exactly why a network of step units cannot
    be trained by gradient descent: no gradient reaches the weights. To train
    through it anyway, use :func:`surrogate_step`, which keeps this forward
    value and substitutes a surrogate derivative.

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``.

    Examples:
        >>> jaxnn.step(jnp.array([-1.0, 1.0, 2.0]))
        Array([0., 1., 1.], dtype=float32)
        >>> jaxnn.step(jnp.array([0.0]))
        Array([0.], dtype=float32)
    """
    return _apply(_step_k, "step", x)


_SURROGATES = ("straight_through", "sigmoid", "fast_sigmoid")


def surrogate_step(
    kind: str = "sigmoid", *, slope: float = 4.0
) -> Callable[..., Array]:
    r"""A step function whose derivative is replaced by a surrogate.

    The returned function computes exactly :func:`step` (1 where ``x > 0``,
    else 0); only its derivative changes, so that gradient descent can train
    through threshold units (as in spiking networks and binarised nets):

    * ``"straight_through"``: :math:`\mathrm{step}'(x) := 1` (the
      straight-through estimator; ``slope`` is ignored);
    * ``"sigmoid"``: :math:`\mathrm{step}'(x) := \frac{d}{dx}\sigma(kx) =
      k\,\sigma(kx)(1 - \sigma(kx))`, with :math:`k` = ``slope``; it tends to
      the true (Dirac) derivative as ``slope`` grows;
    * ``"fast_sigmoid"``: :math:`\mathrm{step}'(x) := 1 / (1 + k|x|)^2`
      (SuperSpike, Zenke and Ganguli 2018), cheaper and with heavier tails.

    A factory is used instead of a ``surrogate=`` argument of :func:`step`
    because the surrogate is part of the function's identity under
    ``jax.custom_jvp``: build it once, then ``jit``/``vmap``/``grad`` it freely.

    Args:
        kind: one of ``"straight_through"``, ``"sigmoid"``, ``"fast_sigmoid"``.
        slope: steepness :math:`k > 0` of the surrogate (keyword-only).

    Returns:
        A function ``f(x)`` with ``f(x) == step(x)`` and the surrogate derivative.

    Examples:
        >>> f = jaxnn.surrogate_step("sigmoid", slope=4.0)
        >>> f(jnp.array([-1.0, 0.0, 2.0]))
        Array([0., 0., 1.], dtype=float32)
        >>> jax.grad(f)(0.0)  # slope * sigmoid'(0) = 4 / 4
        Array(1., dtype=float32, weak_type=True)
    """
    if not isinstance(kind, str) or kind not in _SURROGATES:
        raise ValueError(
            f"surrogate_step: kind must be one of {', '.join(_SURROGATES)}; "
            f"got {kind!r}."
        )
    if isinstance(slope, bool) or not isinstance(slope, (int, float)):
        raise TypeError(
            f"surrogate_step: slope must be a Python number, got {slope!r}."
        )
    if not (math.isfinite(slope) and slope > 0):
        raise ValueError(
            f"surrogate_step: slope must be finite and > 0, got {slope!r}."
        )
    k = float(slope)

    def value(x: Array) -> Array:
        return _keep_nan(x, jnp.where(x > 0, 1.0, 0.0))

    def der(x: Array) -> Array:
        if kind == "straight_through":
            return jnp.ones_like(x)
        if kind == "sigmoid":
            return k * _sigmoid_der(k * x)
        d = 1.0 + k * jnp.abs(x)
        return 1.0 / (d * d)

    kernel = _elementwise(value, der)

    def surrogate(x: ArrayLike) -> Array:
        return _apply(kernel, f"surrogate_step({kind!r})", x)

    surrogate.__name__ = f"step_{kind}"
    surrogate.__qualname__ = surrogate.__name__
    surrogate.__doc__ = (
        f"Heaviside step with a {kind} surrogate derivative (slope={k}).\n\n"
        "Returns ``step(x)``; see :func:`jaxnn.surrogate_step`.\n\n"
        "Examples:\n"
        f"    >>> jaxnn.surrogate_step({kind!r})(jnp.array([-1.0, 1.0]))\n"
        "    Array([0., 1.], dtype=float32)\n"
    )
    return surrogate


def identity(x: ArrayLike) -> Array:
    r"""Identity, the output activation for regression.

    Computes the element-wise function:

    .. math::
        \mathrm{identity}(x) = x

    Its derivative is 1 everywhere.

    Args:
        x: input array.

    Returns:
        An array equal to ``x``, of the same shape and floating dtype
        (integer and bool inputs are promoted to the default float).

    Examples:
        >>> jaxnn.identity(jnp.array([-1.0, 1.0, 2.0]))
        Array([-1.,  1.,  2.], dtype=float32)
    """
    return _apply(_identity_k, "identity", x)


def sigmoid(x: ArrayLike) -> Array:
    r"""Logistic sigmoid.

    Computes the element-wise function:

    .. math::
        \sigma(x) = \frac{1}{1 + e^{-x}}, \qquad
        \sigma'(x) = \sigma(x)\,(1 - \sigma(x)) = \frac{e^{-|x|}}{(1 + e^{-|x|})^2}

    It is smooth (no kink). The value is computed as written, which is
    accurate (:math:`1 + e^{-x}` never cancels, and where :math:`e^{-x}`
    overflows the result :math:`1/\infty = 0` is exact to float32's normal
    range) and can fuse into a preceding matrix product on XLA's CPU backend. The
    derivative is computed from :math:`e^{-|x|}`, so it neither overflows nor
    cancels: :math:`\sigma'(20) \approx 2.06 \times 10^{-9}` and
    :math:`\sigma'(87) \approx 1.6 \times 10^{-38}` rather than 0.

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``, in [0, 1].

    Examples:
        >>> jaxnn.sigmoid(jnp.array([-1.0, 1.0, 2.0]))
        Array([0.26894143, 0.7310586 , 0.8807971 ], dtype=float32)
        >>> jax.grad(jaxnn.sigmoid)(20.0)
        Array(2.0611537e-09, dtype=float32, weak_type=True)
    """
    return _apply(_sigmoid, "sigmoid", x)


def relu(x: ArrayLike) -> Array:
    r"""Rectified linear unit.

    Computes the element-wise function:

    .. math::
        \mathrm{relu}(x) = \max(x, 0)

    Its derivative at 0 is taken to be 0 (as in JAX and PyTorch).

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``.

    Examples:
        >>> jaxnn.relu(jnp.array([-1.0, 1.0, 2.0]))
        Array([0., 1., 2.], dtype=float32)
        >>> jax.grad(jaxnn.relu)(0.0)
        Array(0., dtype=float32, weak_type=True)
    """
    return _apply(_relu_k, "relu", x)


def leaky_relu(x: ArrayLike, *, negative_slope: ArrayLike = 0.01) -> Array:
    r"""Leaky rectified linear unit.

    Computes the element-wise function:

    .. math::
        \mathrm{leaky\_relu}(x) = \begin{cases} x & x > 0 \\
        \alpha x & x \le 0 \end{cases}

    with :math:`\alpha` = ``negative_slope``. Its derivative at 0 is taken to
    be ``negative_slope`` (as in PyTorch; JAX uses 1), so ``relu`` is the
    ``negative_slope = 0`` case. Differentiable in ``negative_slope`` too.

    Args:
        x: input array.
        negative_slope: slope for ``x <= 0``, a scalar (keyword-only).

    Returns:
        An array of the same shape and floating dtype as ``x``.

    Examples:
        >>> jaxnn.leaky_relu(jnp.array([-1.0, 1.0, 2.0]))
        Array([-0.01,  1.  ,  2.  ], dtype=float32)
        >>> jax.grad(jaxnn.leaky_relu)(0.0)
        Array(0.01, dtype=float32, weak_type=True)
    """
    slope = as_scalar(negative_slope, "leaky_relu", "negative_slope")
    return _apply(_leaky_relu_k, "leaky_relu", x, slope)


def relu6(x: ArrayLike) -> Array:
    r"""ReLU capped at 6.

    Computes the element-wise function:

    .. math::
        \mathrm{relu6}(x) = \min(\max(x, 0), 6)

    Its derivative is 1 on (0, 6) and 0 elsewhere, including at both kinks.

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``, in [0, 6].

    Examples:
        >>> jaxnn.relu6(jnp.array([-1.0, 1.0, 7.0]))
        Array([0., 1., 6.], dtype=float32)
    """
    return _apply(_relu6_k, "relu6", x)


def tanh(x: ArrayLike) -> Array:
    r"""Hyperbolic tangent.

    Computes the element-wise function:

    .. math::
        \tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}, \qquad
        \tanh'(x) = 1 - \tanh^2(x) = \frac{4 e^{-2|x|}}{(1 + e^{-2|x|})^2}

    It is smooth. The value is XLA's own ``tanh``, as in ``jax.nn``: up to
    about 4.9 ulp in float32 near :math:`|x| = 6`, just outside jaxnn's 4-ulp
    bound (an ``expm1``-based value was 2.85x slower on a CPU). The
    derivative is formed from :math:`e^{-2|x|}`, not from
    :math:`1 - \tanh^2`, which is exactly 0 in float32 from :math:`|x| = 9` on.

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``, in [-1, 1].

    Examples:
        >>> jaxnn.tanh(jnp.array([-1.0, 0.0, 2.0]))
        Array([-0.7615942,  0.       ,  0.9640276], dtype=float32)
    """
    return _apply(_tanh, "tanh", x)


def softplus(x: ArrayLike) -> Array:
    r"""Softplus, a smooth ReLU.

    Computes the element-wise function:

    .. math::
        \mathrm{softplus}(x) = \log(1 + e^{x})
        = \max(x, 0) + \log(1 + e^{-|x|}), \qquad
        \mathrm{softplus}'(x) = \sigma(x)

    It is smooth; the second form never overflows.

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``, non-negative.

    Examples:
        >>> jaxnn.softplus(jnp.array([-1.0, 0.0, 100.0]))
        Array([  0.313262,   0.693147, 100.      ], dtype=float32)
    """
    return _apply(_softplus, "softplus", x)


def log_sigmoid(x: ArrayLike) -> Array:
    r"""Logarithm of the sigmoid.

    Computes the element-wise function:

    .. math::
        \log\sigma(x) = -\mathrm{softplus}(-x), \qquad
        (\log\sigma)'(x) = \sigma(-x)

    It is smooth, and finite for every finite ``x`` (``log(sigmoid(x))`` is
    ``-inf`` below about -88 in float32).

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``, non-positive.

    Examples:
        >>> jaxnn.log_sigmoid(jnp.array([-100.0, 0.0, 1.0]))
        Array([-100.      ,   -0.693147,   -0.313262], dtype=float32)
    """
    return _apply(_log_sigmoid, "log_sigmoid", x)


def elu(x: ArrayLike, *, alpha: ArrayLike = 1.0) -> Array:
    r"""Exponential linear unit.

    Computes the element-wise function:

    .. math::
        \mathrm{elu}(x) = \begin{cases} x & x > 0 \\
        \alpha (e^{x} - 1) & x \le 0 \end{cases}

    Its derivative at 0 is taken to be :math:`\alpha` (the left derivative; it
    is 1 from both sides when :math:`\alpha = 1`). Differentiable in ``alpha``.

    Args:
        x: input array.
        alpha: scale of the negative part, a scalar (keyword-only).

    Returns:
        An array of the same shape and floating dtype as ``x``.

    Examples:
        >>> jaxnn.elu(jnp.array([-1.0, 0.0, 2.0]))
        Array([-0.63212055,  0.        ,  2.        ], dtype=float32)
    """
    a = as_scalar(alpha, "elu", "alpha")
    return _apply(_elu, "elu", x, a)


def celu(x: ArrayLike, *, alpha: ArrayLike = 1.0) -> Array:
    r"""Continuously differentiable exponential linear unit.

    Computes the element-wise function:

    .. math::
        \mathrm{celu}(x) = \begin{cases} x & x > 0 \\
        \alpha (e^{x/\alpha} - 1) & x \le 0 \end{cases}

    Its derivative is continuous, equal to 1 at 0 for every :math:`\alpha`.
    Differentiable in ``alpha``.

    Args:
        x: input array.
        alpha: scale of the negative part, a positive scalar (keyword-only).

    Returns:
        An array of the same shape and floating dtype as ``x``.

    Examples:
        >>> jaxnn.celu(jnp.array([-1.0, 0.0, 2.0]), alpha=2.0)
        Array([-0.7869387,  0.       ,  2.       ], dtype=float32)
    """
    a = as_scalar(alpha, "celu", "alpha")
    return _apply(_celu, "celu", x, a)


def selu(x: ArrayLike) -> Array:
    r"""Scaled exponential linear unit (Klambauer et al., 2017).

    Computes the element-wise function:

    .. math::
        \mathrm{selu}(x) = \lambda \begin{cases} x & x > 0 \\
        \alpha (e^{x} - 1) & x \le 0 \end{cases}

    with :math:`\lambda \approx 1.0507` and :math:`\alpha \approx 1.6733`. Its
    derivative at 0 is taken to be :math:`\lambda\alpha` (the left derivative).

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``.

    Examples:
        >>> jaxnn.selu(jnp.array([-1.0, 0.0, 2.0]))
        Array([-1.1113307,  0.       ,  2.101402 ], dtype=float32)
    """
    return _apply(_selu, "selu", x)


def gelu(x: ArrayLike, *, approximate: bool = False) -> Array:
    r"""Gaussian error linear unit (Hendrycks and Gimpel, 2016).

    Computes the element-wise function:

    .. math::
        \mathrm{gelu}(x) = x\,\Phi(x), \qquad
        \mathrm{gelu}'(x) = \Phi(x) + x\,\varphi(x)

    where :math:`\Phi` is the standard normal CDF and :math:`\varphi` its
    density. With ``approximate=True`` it computes the tanh approximation

    .. math::
        x\,\tfrac12\bigl(1 + \tanh\bigl(\sqrt{2/\pi}\,(x + 0.044715 x^3)\bigr)\bigr)

    The exact form is the default (as in PyTorch; JAX's default is the
    approximation) because it is the definition, and because it is the one
    computed to within 4 ulp everywhere in float32; the tanh form is itself
    only a ~1e-3 approximation of it, and below ``x = -1`` its float32
    evaluation is off by up to ~130 ulp (from rounding its cubic argument).
    It is smooth; its derivative has one root, at :math:`x \approx -0.7518`.

    Args:
        x: input array.
        approximate: use the tanh approximation (keyword-only).

    Returns:
        An array of the same shape and floating dtype as ``x``.

    Examples:
        >>> jaxnn.gelu(jnp.array([-1.0, 0.0, 2.0]))
        Array([-0.15865526,  0.        ,  1.9544997 ], dtype=float32)
    """
    if not isinstance(approximate, bool):
        raise TypeError(f"gelu: approximate must be a bool, got {approximate!r}.")
    if approximate:
        return _apply(_gelu_tanh, "gelu", x)
    return _apply(_gelu, "gelu", x)


def silu(x: ArrayLike) -> Array:
    r"""Sigmoid linear unit, also called swish.

    Computes the element-wise function:

    .. math::
        \mathrm{silu}(x) = x\,\sigma(x), \qquad
        \mathrm{silu}'(x) = \sigma(x)\,\bigl(1 + x\,(1 - \sigma(x))\bigr)

    It is smooth; its derivative has one root, at :math:`x \approx -1.2785`.
    ``silu(-inf) = 0``.

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``.

    Examples:
        >>> jaxnn.silu(jnp.array([-1.0, 0.0, 2.0]))
        Array([-0.268941,  0.      ,  1.761594 ], dtype=float32)
    """
    return _apply(_silu, "silu", x)


def swish(x: ArrayLike) -> Array:
    r"""Swish, another name for :func:`silu`.

    Computes the element-wise function:

    .. math::
        \mathrm{swish}(x) = x\,\sigma(x)

    It is smooth (see :func:`silu`).

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``.

    Examples:
        >>> jaxnn.swish(jnp.array([-1.0, 0.0, 2.0]))
        Array([-0.268941,  0.      ,  1.761594 ], dtype=float32)
    """
    return _apply(_silu, "swish", x)


def mish(x: ArrayLike) -> Array:
    r"""Mish (Misra, 2019).

    Computes the element-wise function:

    .. math::
        \mathrm{mish}(x) = x \tanh(\mathrm{softplus}(x))

    It is smooth; its derivative has one root, at :math:`x \approx -1.1924`.
    Computed from one exponential, :math:`\tanh(\mathrm{softplus}(x)) =
    n / (n + 2)` with :math:`n = e^{x}(e^{x} + 2)`.

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``.

    Examples:
        >>> jaxnn.mish(jnp.array([-1.0, 0.0, 2.0]))
        Array([-0.303401,  0.      ,  1.943959 ], dtype=float32)
    """
    return _apply(_mish, "mish", x)


def softsign(x: ArrayLike) -> Array:
    r"""Softsign.

    Computes the element-wise function:

    .. math::
        \mathrm{softsign}(x) = \frac{x}{1 + |x|}, \qquad
        \mathrm{softsign}'(x) = \frac{1}{(1 + |x|)^2}

    It is continuously differentiable (its second derivative jumps at 0).

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``, in [-1, 1].

    Examples:
        >>> jaxnn.softsign(jnp.array([-1.0, 0.0, 3.0]))
        Array([-0.5 ,  0.  ,  0.75], dtype=float32)
    """
    return _apply(_softsign, "softsign", x)


def hard_sigmoid(x: ArrayLike) -> Array:
    r"""Hard sigmoid, a piecewise-linear sigmoid.

    Computes the element-wise function:

    .. math::
        \mathrm{hard\_sigmoid}(x) = \frac{\mathrm{relu6}(x + 3)}{6}
        = \min(\max(x/6 + 1/2, 0), 1)

    Its derivative is 1/6 on (-3, 3) and 0 elsewhere, including at both kinks.

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``, in [0, 1].

    Examples:
        >>> jaxnn.hard_sigmoid(jnp.array([-4.0, 0.0, 1.5]))
        Array([0.  , 0.5 , 0.75], dtype=float32)
    """
    return _apply(_hard_sigmoid_k, "hard_sigmoid", x)


def hard_tanh(x: ArrayLike) -> Array:
    r"""Hard tanh, a piecewise-linear tanh.

    Computes the element-wise function:

    .. math::
        \mathrm{hard\_tanh}(x) = \min(\max(x, -1), 1)

    Its derivative is 1 on (-1, 1) and 0 elsewhere, including at both kinks.

    Args:
        x: input array.

    Returns:
        An array of the same shape and floating dtype as ``x``, in [-1, 1].

    Examples:
        >>> jaxnn.hard_tanh(jnp.array([-2.0, 0.5, 3.0]))
        Array([-1. ,  0.5,  1. ], dtype=float32)
    """
    return _apply(_hard_tanh_k, "hard_tanh", x)
