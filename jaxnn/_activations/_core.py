"""How an activation is assembled: input checks, dtype rules, custom derivatives.

Each public activation is one call::

    apply(kernel, "name", x, ints=..., peer=jax.nn.name, alpha=alpha)

where ``kernel`` is a jit-compiled ``custom_jvp`` function built by
:func:`elementwise` from the value and its partial derivatives, written over
the building blocks of ``jaxnn/_numerics.py``.

Dtypes follow ``jax.nn`` (so that ``import jaxnn as nn`` changes no dtype):

* floating inputs keep their dtype and weak type; ``float16`` and ``bfloat16``
  are computed in ``float32`` and rounded once at the end;
* integer and bool inputs follow the function's ``ints``/``bools`` rule:
  ``"keep"`` (``relu(int32)`` is ``int32``), ``"weak"`` (JAX's default float,
  weakly typed, as ``x * 0.01`` gives), ``"inexact"`` (``int64`` to
  ``float64``, smaller integers to ``float32``, a Python ``int`` to a weakly
  typed default float, as ``jnp.tanh`` does) or ``"float32"``;
* array-valued hyperparameters broadcast against ``x`` and take part in type
  promotion, as in ``jax.nn``;
* complex input is handed to ``peer`` (``jax.nn``'s own function) where
  ``jax.nn`` accepts it: jaxnn's accuracy guarantees are for real input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.custom_derivatives import SymbolicZero

from jaxnn._checks import as_numeric_array, cast, compute_dtype, is_weak

IntRule = Literal["keep", "weak", "inexact", "float32"]


def elementwise(
    value: Callable[..., Array], *partials: Callable[..., Array]
) -> Callable[..., Array]:
    """A jit-compiled ``custom_jvp`` function from its value and its partials.

    ``value(x, *params)`` computes the function; ``partials[i](x, *params)``
    its derivative with respect to argument ``i``. The partials are written
    with their own accurate formulas instead of differentiating ``value``, and
    are themselves differentiable (often ``elementwise`` functions too), so
    ``hessian`` works. Symbolic zeros skip the partials of arguments that are
    not being differentiated.
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
        return y, jnp.broadcast_to(dy, y.shape)

    f.defjvp(jvp, symbolic_zeros=True)
    return jax.jit(f)


def _floating(arr: Array, rule: IntRule) -> Array:
    """``arr`` (integer or bool) converted as ``rule`` says; see the module doc."""
    if rule == "keep":
        # bool becomes JAX's default integer, weakly typed, as max(x, 0) gives.
        return arr + 0 if arr.dtype == jnp.bool_ else arr
    if rule == "weak":
        return arr + 0.0
    if rule == "float32":
        return arr.astype(jnp.float32)
    if is_weak(arr):
        return arr + 0.0
    wide = arr.dtype.itemsize == 8
    return arr.astype(
        jax.dtypes.canonicalize_dtype(jnp.float64 if wide else jnp.float32)
    )


def as_input(
    x: Any, func: str, *, ints: IntRule = "inexact", bools: IntRule = "float32"
) -> Array:
    """Checks ``x`` and converts integers and bools as the function's rule says.

    Complex input is returned unchanged (callers hand it to ``jax.nn``).
    """
    arr = as_numeric_array(x, func)
    if jnp.issubdtype(arr.dtype, jnp.inexact):
        return arr
    return _floating(arr, bools if arr.dtype == jnp.bool_ else ints)


def as_param(p: Any, func: str, arg: str, x: Array) -> Array:
    """Checks a hyperparameter: a real number or array broadcastable with ``x``."""
    arr = as_numeric_array(p, func, arg)
    if jnp.issubdtype(arr.dtype, jnp.complexfloating):
        raise TypeError(
            f"{func}: hyperparameter {arg!r} must be real, got complex dtype "
            f"{arr.dtype}."
        )
    try:
        np.broadcast_shapes(x.shape, arr.shape)
    except ValueError:
        raise ValueError(
            f"{func}: hyperparameter {arg!r} of shape {arr.shape} does not "
            f"broadcast against x of shape {x.shape}."
        ) from None
    return arr


def complex_input(
    x: Array, func: str, peer: Callable[..., Array] | None, *params: Any
) -> Array:
    """``peer(x, *params)`` for complex ``x``, or a ``TypeError`` if none."""
    if peer is None:
        raise TypeError(
            f"{func}: argument 'x' must be real, got complex dtype {x.dtype}; "
            "apply it to jnp.real(x) or jnp.abs(x) explicitly."
        )
    return peer(x, *params)


def apply(
    kernel: Callable[..., Array],
    func: str,
    x: Any,
    *,
    ints: IntRule = "inexact",
    bools: IntRule = "float32",
    peer: Callable[..., Array] | None = None,
    int_kernel: Callable[..., Array] | None = None,
    strong: bool = False,
    **params: Any,
) -> Array:
    """Runs ``kernel(x, *params)`` with jaxnn's checks and jax.nn's dtypes.

    Args:
        kernel: the jit-compiled function of the floating input and the
            hyperparameters (in the order given).
        func: the public name, for error messages.
        x: the input as the user gave it.
        ints, bools: how integer and bool inputs are converted (module doc).
        peer: ``jax.nn``'s function, used for complex input; ``None`` where
            complex input is an error.
        int_kernel: computes integer inputs kept as integers (``ints="keep"``).
        strong: return a strongly typed array even for a Python scalar input
            (as ``jax.nn.gelu`` does).
        **params: the hyperparameters, by name, in the kernel's order.

    Returns:
        The kernel's output, in the promoted dtype of ``x`` and the
        hyperparameters.
    """
    arr = as_input(x, func, ints=ints, bools=bools)
    if jnp.issubdtype(arr.dtype, jnp.complexfloating):
        return complex_input(arr, func, peer, *params.values())
    ps = [as_param(v, func, k, arr) for k, v in params.items()]
    if not jnp.issubdtype(arr.dtype, jnp.inexact):
        assert int_kernel is not None, func  # only ints="keep" gets here
        return int_kernel(arr)
    dtype = jnp.result_type(arr, *ps)
    cd = compute_dtype(dtype)
    y = kernel(cast(arr, cd), *(cast(p, cd) for p in ps))
    y = cast(y, dtype)
    if strong and is_weak(y):
        y = y.astype(y.dtype)  # astype drops the weak type
    return y
