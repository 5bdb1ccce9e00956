"""Activation look-up by name, for configuration-driven code."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from jax import Array

from jaxnn import _activations as act
from jaxnn import _outputs as out

_ACTIVATIONS: dict[str, Callable[..., Array]] = {
    "celu": act.celu,
    "elu": act.elu,
    "gelu": act.gelu,
    "hard_sigmoid": act.hard_sigmoid,
    "hard_tanh": act.hard_tanh,
    "identity": act.identity,
    "leaky_relu": act.leaky_relu,
    "log_sigmoid": act.log_sigmoid,
    "log_softmax": out.log_softmax,
    "mish": act.mish,
    "relu": act.relu,
    "relu6": act.relu6,
    "selu": act.selu,
    "sigmoid": act.sigmoid,
    "silu": act.silu,
    "softmax": out.softmax,
    "softplus": act.softplus,
    "softsign": act.softsign,
    "step": act.step,
    "swish": act.swish,
    "tanh": act.tanh,
}


def activation_names() -> tuple[str, ...]:
    """The names :func:`get_activation` accepts, sorted.

    Returns:
        A sorted tuple of strings.

    Examples:
        >>> "relu" in jaxnn.activation_names()
        True
    """
    return tuple(sorted(_ACTIVATIONS))


def get_activation(name: str, **hyperparameters: Any) -> Callable[..., Array]:
    """Looks up an activation function by name.

    Names are the function names of :mod:`jaxnn` (``"relu"``, ``"gelu"``,
    ``"softmax"``, ...); see :func:`activation_names`. Hyperparameters, if
    given, are bound as keyword arguments and checked against the function's
    signature now rather than at the first call.

    Args:
        name: the activation's name, e.g. ``"leaky_relu"``.
        **hyperparameters: keyword arguments to bind, e.g. ``negative_slope``.

    Returns:
        The function, or a ``functools.partial`` of it with the
        hyperparameters bound.

    Raises:
        ValueError: ``name`` is not a known activation (the message lists the
            valid names), or a hyperparameter is not accepted by it.
        TypeError: ``name`` is not a string.

    Examples:
        >>> jaxnn.get_activation("relu")(jnp.array([-1.0, 2.0]))
        Array([0., 2.], dtype=float32)
        >>> f = jaxnn.get_activation("leaky_relu", negative_slope=0.2)
        >>> f(jnp.array([-1.0, 2.0]))
        Array([-0.2,  2. ], dtype=float32)
    """
    if not isinstance(name, str):
        raise TypeError(
            f"get_activation: name must be a string, got {type(name).__name__} "
            f"{name!r}."
        )
    try:
        fn = _ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"get_activation: unknown activation {name!r}; valid names are: "
            f"{', '.join(activation_names())}."
        ) from None
    if not hyperparameters:
        return fn
    try:
        inspect.signature(fn).bind(None, **hyperparameters)
    except TypeError as err:
        raise ValueError(
            f"get_activation: {name!r} does not accept hyperparameters "
            f"{sorted(hyperparameters)}: {err}."
        ) from None
    return functools.partial(fn, **hyperparameters)
