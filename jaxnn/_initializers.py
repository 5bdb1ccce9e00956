r"""Weight initialisers with the interface of :mod:`jax.nn.initializers`.

Every name of :mod:`jax.nn.initializers` is here with the same signature: a
factory such as ``he_normal(in_axis=-2, out_axis=-1, batch_axis=(),
dtype=None)`` returns ``init(key, shape, dtype=None, out_sharding=None)``.
The random draws are jax.nn's own: for float32, float64 and complex dtypes the
same key gives the same bits. What jaxnn adds:

- half precision (``bfloat16``, ``float16``, the float8 kinds) is drawn in
  float32 and rounded once, where jax.nn draws in the narrow type itself: a
  million ``bfloat16`` weights from jax.nn's ``he_normal()`` take 128 distinct
  values (Kolmogorov-Smirnov distance 0.011 from the exact distribution),
  jaxnn's 3,309 (0.0015), and jax.nn's ``orthogonal`` has no half-precision QR;
- the arguments are checked where they are given, with messages that name
  them (an axis out of range, a zero fan, an integer dtype);
- an initialiser is a frozen value: two calls ``he_normal()`` compare equal,
  so :func:`jaxnn.init_mlp` compiles once for both.

The variance-scaling family draws weights of variance :math:`s / n`:

.. math::
    (s, n) = \begin{cases}
        (2, n_\mathrm{in}) & \text{He (ReLU family)} \\
        (1, (n_\mathrm{in} + n_\mathrm{out}) / 2) & \text{Glorot (sigmoid, tanh)} \\
        (1, n_\mathrm{in}) & \text{LeCun (SELU)}
    \end{cases}

so Glorot's variance is :math:`2 / (n_\mathrm{in} + n_\mathrm{out})`. The
``*_normal`` kinds draw from a normal distribution truncated at two standard
deviations and rescaled to that variance, as jax.nn does; the ``*_uniform``
kinds from :math:`U(-\sqrt{3s/n}, \sqrt{3s/n})`. ``zeros``, ``ones`` and
``constant`` draw nothing and are jax.nn's own.
"""

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.nn import initializers as jinit
from jax.nn.initializers import Initializer, constant, ones, zeros

from jaxnn._checks import check_key

__all__ = [
    "Initializer",
    "constant",
    "delta_orthogonal",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_normal",
    "lecun_uniform",
    "normal",
    "ones",
    "orthogonal",
    "truncated_normal",
    "uniform",
    "variance_scaling",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]

Axes = int | Sequence[int]
_MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
_DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")


def _number(value: Any, arg: str, *, positive: bool = False) -> Any:
    """A concrete finite real number, kept in its own type (jax.nn's arithmetic)."""
    if isinstance(value, (jax.Array, np.ndarray)):
        try:
            value = np.asarray(value)
        except jax.errors.TracerArrayConversionError:
            raise TypeError(
                f"{arg}: expected a concrete number, got a traced value"
            ) from None
        if value.ndim != 0:
            raise TypeError(f"{arg}: expected a scalar, got shape {value.shape}")
        value = value[()]
    real = isinstance(value, (int, float, np.integer, np.floating))
    if not real or isinstance(value, (bool, np.bool_)) or not math.isfinite(value):
        raise ValueError(f"{arg}: expected a finite real number, got {value!r}")
    if positive and not value > 0:
        raise ValueError(f"{arg}: expected a positive number, got {value!r}")
    return value


def _axes(value: Any, arg: str) -> int | tuple[int, ...]:
    try:
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return int(value)
        if isinstance(value, Sequence) and not isinstance(value, str | bytes):
            if any(isinstance(a, bool) for a in value):
                raise TypeError
            return tuple(int(a.__index__()) for a in value)
    except (AttributeError, TypeError):
        pass
    raise TypeError(f"{arg}: expected an int or a sequence of ints, got {value!r}")


def _dtype(value: Any, arg: str = "dtype", *, real: bool = False) -> Any:
    if value is None:
        return None
    try:
        dt = jnp.dtype(value)
    except TypeError:
        raise TypeError(f"{arg}: expected a dtype, got {value!r}") from None
    kind = jnp.floating if real else jnp.inexact
    if not jnp.issubdtype(dt, kind):
        what = "floating" if real else "floating or complex"
        raise ValueError(f"{arg}: expected a {what} dtype, got {dt}")
    return dt


def _shape(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        dims = tuple(shape)
        if not any(isinstance(n, bool) for n in dims):
            dims = tuple(n.__index__() for n in dims)
            if all(n >= 0 for n in dims):
                return dims
    except (AttributeError, TypeError):
        pass
    raise ValueError(f"shape: expected a tuple of non-negative ints, got {shape!r}")


def _in_range(shape: tuple[int, ...], axes: int | tuple[int, ...], arg: str) -> int:
    """The product of ``shape`` over ``axes``, after checking they exist."""
    for a in (axes,) if isinstance(axes, int) else axes:
        if not -len(shape) <= a < len(shape):
            raise ValueError(
                f"{arg}: axis {a} is out of range for a weight of shape {shape}"
            )
    return math.prod(shape[a] for a in ((axes,) if isinstance(axes, int) else axes))


def _check_fans(shape: tuple[int, ...], params: dict[str, Any]) -> None:
    if params["in_axis"] == -2 and len(shape) < 2:
        raise ValueError(
            f"shape: expected a weight of at least 2 dimensions (or an explicit "
            f"in_axis), got shape {shape}"
        )
    sizes = {arg: _in_range(shape, params[arg], arg) for arg in _AXES}
    empty = [arg for arg, n in sizes.items() if n == 0]
    if empty or math.prod(shape) == 0:
        raise ValueError(
            f"shape: the fans of a weight of shape {shape} are zero "
            f"({', '.join(empty) or 'a receptive-field axis'} has size 0); "
            "variance scaling needs every dimension positive"
        )


def _check_orthogonal(shape: tuple[int, ...], params: dict[str, Any]) -> None:
    if len(shape) < 2:
        raise ValueError(f"shape: expected at least 2 dimensions, got shape {shape}")
    _in_range(shape, params["column_axis"], "column_axis")


def _check_delta(shape: tuple[int, ...], params: dict[str, Any]) -> None:
    if len(shape) not in (3, 4, 5) or shape[-1] < shape[-2]:
        raise ValueError(
            f"shape: expected a 3-, 4- or 5-dimensional kernel with shape[-1] >= "
            f"shape[-2] (fan_out >= fan_in), got shape {shape}"
        )
    _in_range(shape, params["column_axis"], "column_axis")


_AXES = ("in_axis", "out_axis", "batch_axis")


@dataclasses.dataclass(frozen=True, repr=False)
class _Init:
    """An initialiser: jax.nn's ``factory(**params)``, with jaxnn's checks.

    Frozen and hashable, so equal initialisers are equal static arguments to
    ``jit`` (no recompilation for a second ``he_normal()``).
    """

    factory: Callable[..., Initializer]
    params: tuple[tuple[str, Any], ...]
    dtype: Any
    check: Callable[[tuple[int, ...], dict[str, Any]], None] | None = None

    def __call__(
        self, key: Any, shape: Any, dtype: Any = None, out_sharding: Any = None
    ) -> Array:
        check_key(key)
        shape = _shape(shape)
        params = dict(self.params)
        if self.check is not None:
            self.check(shape, params)
        dt = _dtype(self.dtype if dtype is None else dtype)
        if dt is None:
            dt = jnp.dtype(jax.dtypes.canonicalize_dtype(jnp.float64))
        # Half precision is drawn in float32 and rounded once.
        draw = jnp.dtype(jnp.float32) if dt.itemsize < 4 else dt
        sharding = {} if out_sharding is None else {"out_sharding": out_sharding}
        w = self.factory(**params)(key, shape, draw, **sharding)
        return w if draw == dt else w.astype(dt)

    def __repr__(self) -> str:
        args = [f"{k}={v!r}" for k, v in self.params]
        if self.dtype is not None:
            args.append(f"dtype={self.dtype.name}")
        return f"{self.factory.__name__}({', '.join(args)})"


def _make(
    factory: Callable[..., Initializer],
    dtype: Any,
    check: Callable[[tuple[int, ...], dict[str, Any]], None] | None = None,
    *,
    real: bool = False,
    **params: Any,
) -> Initializer:
    return _Init(factory, tuple(params.items()), _dtype(dtype, real=real), check)


def variance_scaling(
    scale: Any,
    mode: str,
    distribution: str,
    in_axis: Axes = -2,
    out_axis: Axes = -1,
    batch_axis: Axes = (),
    dtype: Any = None,
) -> Initializer:
    r"""Builds an initialiser whose variance adapts to the weight's fans.

    Draws with mean 0 and variance :math:`\text{scale} / n`, where :math:`n`
    is ``fan_in``, ``fan_out``, their mean (``"fan_avg"``) or geometric mean
    (``"fan_geo_avg"``); axes outside ``in_axis``, ``out_axis`` and
    ``batch_axis`` form the receptive field, which multiplies both fans.
    ``"truncated_normal"`` cuts the normal at two standard deviations and
    rescales it to the variance; ``"uniform"`` is
    :math:`U(-\sqrt{3\,\text{scale}/n}, \sqrt{3\,\text{scale}/n})`.

    Args:
        scale: the positive scale :math:`s`.
        mode: ``"fan_in"``, ``"fan_out"``, ``"fan_avg"`` or ``"fan_geo_avg"``.
        distribution: ``"truncated_normal"``, ``"normal"`` or ``"uniform"``.
        in_axis: the input axis or axes of the weight.
        out_axis: the output axis or axes of the weight.
        batch_axis: axes left out of both fans.
        dtype: the default dtype of the weights (``None``: JAX's default float).

    Returns:
        An initialiser ``init(key, shape, dtype=None, out_sharding=None)``.

    Examples:
        >>> init = jaxnn.initializers.variance_scaling(2.0, "fan_in", "normal")
        >>> init(jax.random.key(0), (784, 50)).shape
        (784, 50)
    """
    if mode not in _MODES:
        raise ValueError(f"mode: expected one of {_MODES}, got {mode!r}")
    if distribution not in _DISTRIBUTIONS:
        raise ValueError(
            f"distribution: expected one of {_DISTRIBUTIONS}, got {distribution!r}"
        )
    return _make(
        jinit.variance_scaling,
        dtype,
        _check_fans,
        scale=_number(scale, "scale", positive=True),
        mode=mode,
        distribution=distribution,
        in_axis=_axes(in_axis, "in_axis"),
        out_axis=_axes(out_axis, "out_axis"),
        batch_axis=_axes(batch_axis, "batch_axis"),
    )


def _named(factory: Callable[..., Initializer], summary: str, example: str) -> Any:
    """A named variance-scaling factory with jax.nn's signature."""

    def named(
        in_axis: Axes = -2,
        out_axis: Axes = -1,
        batch_axis: Axes = (),
        dtype: Any = None,
    ) -> Initializer:
        return _make(
            factory,
            dtype,
            _check_fans,
            in_axis=_axes(in_axis, "in_axis"),
            out_axis=_axes(out_axis, "out_axis"),
            batch_axis=_axes(batch_axis, "batch_axis"),
        )

    named.__name__ = named.__qualname__ = factory.__name__
    named.__doc__ = f"""{summary}

    Args:
        in_axis: the input axis or axes of the weight.
        out_axis: the output axis or axes of the weight.
        batch_axis: axes left out of both fans.
        dtype: the default dtype of the weights (``None``: JAX's default float).

    Returns:
        An initialiser ``init(key, shape, dtype=None, out_sharding=None)`` that
        draws what ``jax.nn.initializers.{factory.__name__}`` draws (the same
        bits for float32), half precision drawn in float32 and rounded once.

    Examples:
{example}
    """
    return named


he_normal = _named(
    jinit.he_normal,
    r"""Builds a He (Kaiming) normal initialiser, for the ReLU family.

    Variance :math:`2 / n_\mathrm{in}`, from a normal truncated at two standard
    deviations (He et al., 2015).""",
    """        >>> init = jaxnn.initializers.he_normal()
        >>> init(jax.random.key(0), (784, 50), jnp.bfloat16).dtype
        dtype(bfloat16)""",
)
he_uniform = _named(
    jinit.he_uniform,
    r"""Builds a He (Kaiming) uniform initialiser, for the ReLU family.

    :math:`U(-\sqrt{6 / n_\mathrm{in}}, \sqrt{6 / n_\mathrm{in}})`, whose
    variance is :math:`2 / n_\mathrm{in}`.""",
    """        >>> w = jaxnn.initializers.he_uniform()(jax.random.key(0), (6, 3))
        >>> bool(jnp.all(jnp.abs(w) <= 1.0))
        True""",
)
glorot_normal = _named(
    jinit.glorot_normal,
    r"""Builds a Glorot (Xavier) normal initialiser, for sigmoid and tanh.

    Variance :math:`2 / (n_\mathrm{in} + n_\mathrm{out})`, from a normal
    truncated at two standard deviations (Glorot and Bengio, 2010).""",
    """        >>> jaxnn.initializers.glorot_normal()(jax.random.key(0), (2, 3)).shape
        (2, 3)""",
)
glorot_uniform = _named(
    jinit.glorot_uniform,
    r"""Builds a Glorot (Xavier) uniform initialiser, for sigmoid and tanh.

    :math:`U(-a, a)` with :math:`a = \sqrt{6 / (n_\mathrm{in} + n_\mathrm{out})}`,
    whose variance is :math:`2 / (n_\mathrm{in} + n_\mathrm{out})`.""",
    """        >>> w = jaxnn.initializers.glorot_uniform()(jax.random.key(0), (3, 3))
        >>> bool(jnp.all(jnp.abs(w) <= 1.0))
        True""",
)
lecun_normal = _named(
    jinit.lecun_normal,
    r"""Builds a LeCun normal initialiser, for SELU (self-normalising networks).

    Variance :math:`1 / n_\mathrm{in}`, from a normal truncated at two standard
    deviations.""",
    """        >>> jaxnn.initializers.lecun_normal()(jax.random.key(0), (4, 2)).shape
        (4, 2)""",
)
lecun_uniform = _named(
    jinit.lecun_uniform,
    r"""Builds a LeCun uniform initialiser.

    :math:`U(-\sqrt{3 / n_\mathrm{in}}, \sqrt{3 / n_\mathrm{in}})`, whose
    variance is :math:`1 / n_\mathrm{in}`.""",
    """        >>> w = jaxnn.initializers.lecun_uniform()(jax.random.key(0), (3, 2))
        >>> bool(jnp.all(jnp.abs(w) <= 1.0))
        True""",
)
kaiming_normal = he_normal
kaiming_uniform = he_uniform
xavier_normal = glorot_normal
xavier_uniform = glorot_uniform


def normal(stddev: Any = 1e-2, dtype: Any = None) -> Initializer:
    """Builds an initialiser of normal draws with mean 0 and deviation ``stddev``.

    Args:
        stddev: the standard deviation, a finite number >= 0.
        dtype: the default dtype of the draws (``None``: JAX's default float).

    Returns:
        An initialiser ``init(key, shape, dtype=None, out_sharding=None)``.

    Examples:
        >>> w = jaxnn.initializers.normal(0.1)(jax.random.key(0), (1000,))
        >>> bool(abs(float(jnp.std(w)) - 0.1) < 0.01)
        True
    """
    if _number(stddev, "stddev") < 0:
        raise ValueError(f"stddev: expected a number >= 0, got {stddev!r}")
    return _make(jinit.normal, dtype, stddev=_number(stddev, "stddev"))


def truncated_normal(
    stddev: Any = 1e-2, dtype: Any = None, lower: Any = -2.0, upper: Any = 2.0
) -> Initializer:
    """Builds an initialiser of normal draws truncated to ``(lower, upper)``.

    The standard normal is truncated to ``(lower, upper)``, then multiplied by
    ``stddev`` (not rescaled to that deviation, as in jax.nn).

    Args:
        stddev: the deviation of the untruncated normal, a finite number >= 0.
        dtype: the default (floating) dtype of the draws.
        lower: the lower bound, in standard deviations.
        upper: the upper bound, in standard deviations; above ``lower``.

    Returns:
        An initialiser ``init(key, shape, dtype=None, out_sharding=None)``.

    Examples:
        >>> w = jaxnn.initializers.truncated_normal(1.0)(jax.random.key(0), (99,))
        >>> bool(jnp.all(jnp.abs(w) < 2.0))
        True
    """
    lo, hi = _number(lower, "lower"), _number(upper, "upper")
    if not lo < hi or _number(stddev, "stddev") < 0:
        raise ValueError(
            f"stddev, lower, upper: expected stddev >= 0 and lower < upper, got "
            f"{stddev!r}, {lower!r}, {upper!r}"
        )
    return _make(
        jinit.truncated_normal,
        dtype,
        real=True,
        stddev=_number(stddev, "stddev"),
        lower=lo,
        upper=hi,
    )


def uniform(scale: Any = 1e-2, dtype: Any = None) -> Initializer:
    """Builds an initialiser of uniform draws on ``[0, scale)``.

    Args:
        scale: the upper end of the interval.
        dtype: the default (floating) dtype of the draws.

    Returns:
        An initialiser ``init(key, shape, dtype=None, out_sharding=None)``.

    Examples:
        >>> w = jaxnn.initializers.uniform(2.0)(jax.random.key(0), (99,))
        >>> bool(jnp.all((0.0 <= w) & (w < 2.0)))
        True
    """
    return _make(jinit.uniform, dtype, real=True, scale=_number(scale, "scale"))


def orthogonal(
    scale: Any = 1.0, column_axis: int = -1, dtype: Any = None
) -> Initializer:
    """Builds an initialiser of (scaled) random orthogonal matrices.

    The matrix obtained by folding every axis but ``column_axis`` into rows has
    orthonormal rows or columns, whichever are fewer, times ``scale``.

    Args:
        scale: the factor applied to the orthogonal matrix.
        column_axis: the axis holding the columns.
        dtype: the default dtype (half precision works: QR runs in float32).

    Returns:
        An initialiser ``init(key, shape, dtype=None, out_sharding=None)``.

    Examples:
        >>> q = jaxnn.initializers.orthogonal()(jax.random.key(0), (3, 3))
        >>> bool(jnp.allclose(q @ q.T, jnp.eye(3), atol=1e-6))
        True
    """
    return _make(
        jinit.orthogonal,
        dtype,
        _check_orthogonal,
        scale=_number(scale, "scale"),
        column_axis=_axes(column_axis, "column_axis"),
    )


def delta_orthogonal(
    scale: Any = 1.0, column_axis: int = -1, dtype: Any = None
) -> Initializer:
    """Builds a delta-orthogonal initialiser for convolution kernels.

    The kernel is zero except at its spatial centre, which holds a random
    orthogonal matrix of shape ``shape[-2:]`` (Xiao et al., 2018).

    Args:
        scale: the factor applied to the orthogonal matrix.
        column_axis: the axis holding the columns.
        dtype: the default dtype of the kernel.

    Returns:
        An initialiser for 3-, 4- or 5-dimensional shapes with
        ``shape[-1] >= shape[-2]``.

    Examples:
        >>> k = jaxnn.initializers.delta_orthogonal()(jax.random.key(0), (3, 2, 2))
        >>> bool(jnp.all(k[0] == 0)), bool(jnp.all(k[2] == 0))
        (True, True)
        >>> bool(jnp.allclose(k[1] @ k[1].T, jnp.eye(2), atol=1e-6))
        True
    """
    return _make(
        jinit.delta_orthogonal,
        dtype,
        _check_delta,
        scale=_number(scale, "scale"),
        column_axis=_axes(column_axis, "column_axis"),
    )
