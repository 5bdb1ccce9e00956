r"""Diagnostics for the two classic failures of deep networks.

- Vanishing gradients: :func:`layer_grad_norms` gives the norm of the loss
  gradient with respect to each layer's parameters. Through :math:`L` sigmoid
  layers the gradient picks up a factor :math:`\sigma'(z) \le 1/4` per layer,
  so the norms shrink towards the input; with ReLU they do not.
- Dead ReLU units: :func:`dead_unit_fraction` gives, per hidden layer, the
  fraction of units whose activation has zero derivative on every example of a
  batch. Such a unit passes no gradient back and cannot recover; leaky ReLU's
  nonzero negative slope is the remedy.
"""

import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
from jax import Array
from jax.typing import ArrayLike

from jaxnn._activations import relu
from jaxnn._network import Activation, Dense, affine, as_layers, check_network

__all__ = ["dead_unit_fraction", "layer_grad_norms"]


@functools.partial(jax.jit, static_argnums=0)
def _layer_grad_norms(
    loss_fn: Callable[..., ArrayLike], params: tuple[Any, ...], *args: Any
) -> Array:
    grads = jax.grad(loss_fn)(params, *args)
    norms = []
    for g in grads:
        # Accumulate in float32 at least: float16 squares overflow past 256.
        sq = jnp.zeros((), jnp.result_type(float))
        for leaf in jax.tree.leaves(g):
            leaf = jnp.abs(leaf)
            leaf = leaf.astype(jnp.promote_types(leaf.dtype, jnp.float32))
            sq = sq + jnp.sum(jnp.square(leaf))
        norms.append(jnp.sqrt(sq))
    return jnp.stack(norms)


def layer_grad_norms(
    loss_fn: Callable[..., ArrayLike], params: Sequence[Any], *args: Any
) -> Array:
    r"""The Euclidean norm of the loss gradient for each layer.

    For layer :math:`\ell` with parameters :math:`\theta_\ell` (weight and bias
    together),

    .. math::
        n_\ell = \lVert \nabla_{\theta_\ell} \mathcal{L} \rVert_2
        = \Big(\sum_{p \in \theta_\ell} (\partial \mathcal{L} / \partial p)^2
        \Big)^{1/2}.

    Compiled once per ``loss_fn`` and argument shapes.

    Args:
        loss_fn: ``loss_fn(params, *args) -> scalar``, differentiable in
            ``params``.
        params: the layers, a sequence (typically a tuple of
            :class:`jaxnn.Dense`); each element may be any pytree.
        *args: further arguments to ``loss_fn`` (inputs, targets, ...).

    Returns:
        An array of shape ``(len(params),)``: one norm per layer, first layer
        first.

    Examples:
        >>> params = jaxnn.init_mlp(jax.random.key(0), [4, 8, 8, 1])
        >>> def loss(p, x):
        ...     return jnp.sum(jaxnn.mlp(p, x) ** 2)
        >>> jaxnn.layer_grad_norms(loss, params, jnp.ones((16, 4))).shape
        (3,)
    """
    if not callable(loss_fn):
        raise TypeError(f"loss_fn: expected a callable, got {loss_fn!r}")
    if not isinstance(params, Sequence) or isinstance(params, (str, Dense)):
        raise TypeError(
            "params: expected a sequence of layers (e.g. a tuple of Dense), got "
            f"{type(params).__name__}"
        )
    if len(params) == 0:
        raise ValueError("params: expected at least one layer, got none")
    return _layer_grad_norms(loss_fn, tuple(params), *args)


@functools.partial(jax.jit, static_argnames="activation")
def _dead_unit_fraction(
    params: tuple[Dense, ...], x: Array, activation: Activation
) -> Array:
    fractions = []
    h = x
    for layer in params[:-1]:
        z = affine(layer, h)
        # The elementwise derivative h'(z), by a forward-mode product with ones.
        h, slope = jax.jvp(activation, (z,), (jnp.ones_like(z),))
        z_axes = tuple(range(z.ndim - 1))
        dead = jnp.all(slope == 0, axis=z_axes)
        fractions.append(jnp.mean(dead.astype(jnp.result_type(float))))
    return jnp.stack(fractions)


def dead_unit_fraction(
    params: Sequence[Dense], x: ArrayLike, *, activation: Activation = relu
) -> Array:
    r"""The fraction of dead units in each hidden layer on a batch.

    A hidden unit :math:`j` of layer :math:`\ell` is dead on the batch when the
    activation's derivative at its pre-activation is zero for every example,
    :math:`h'(z_{\ell j}^{(n)}) = 0` for all :math:`n`; no gradient then reaches
    its incoming weights. For ReLU that means :math:`z \le 0` everywhere (the
    derivative at 0 is taken as 0); leaky ReLU has no dead units.

    Args:
        params: the layers, a sequence of :class:`jaxnn.Dense`.
        x: the batch, shape ``(..., in)``; every leading axis is an example
            axis (a single example of shape ``(in,)`` is a batch of one).
        activation: the elementwise hidden activation.

    Returns:
        An array of shape ``(len(params) - 1,)``, one fraction in [0, 1] per
        hidden layer (empty for a single-layer network).

    Raises:
        ValueError: if ``x`` does not fit the first layer, or holds no example
            (a zero-length batch axis).

    Examples:
        >>> params = (jaxnn.Dense(jnp.array([[1.0, -1.0]]), jnp.zeros(2)),
        ...           jaxnn.Dense(jnp.ones((2, 1)), jnp.zeros(1)))
        >>> jaxnn.dead_unit_fraction(params, jnp.array([[1.0], [2.0]]))
        Array([0.5], dtype=float32)
    """
    layers = as_layers(params)
    if not callable(activation):
        raise TypeError(f"activation: expected a callable, got {activation!r}")
    x = jnp.asarray(x)
    check_network(layers, x.shape)
    if x.size == 0:
        # Zero examples say nothing about which units are dead (an empty
        # "all" is true, which would report every unit dead).
        raise ValueError(
            f"x: expected at least one example, got an empty batch of shape {x.shape}"
        )
    if len(layers) == 1:
        return jnp.zeros((0,), jnp.result_type(float))
    return _dead_unit_fraction(layers, x, activation)
