"""Activation look-up by name, for configuration-driven code."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from jax import Array

from jaxnn import _activations, _outputs

# Every activation by its public name, aliases included: the names listed in
# jaxnn/_activations/__init__.py (less the factories such as surrogate_step)
# and the output-layer functions softmax and log_softmax.
_ACTIVATIONS: dict[str, Callable[..., Array]] = {
    **{
        name: getattr(_activations, name)
        for name in _activations.__all__
        if name not in _activations.FACTORIES
    },
    "softmax": _outputs.softmax,
    "log_softmax": _outputs.log_softmax,
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
