r"""Layered networks as plain pytrees: :class:`Dense`, :func:`init_mlp`, :func:`mlp`.

A network is a tuple of :class:`Dense` layers; nothing else holds state. The
forward pass of an :math:`L`-layer network with hidden activation :math:`h` and
output function :math:`\sigma` is

.. math::
    a_0 = x, \qquad a_\ell = h(a_{\ell-1} W_\ell + b_\ell) \ (\ell < L), \qquad
    y = \sigma(a_{L-1} W_L + b_L).
"""

import functools
import itertools
import operator
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.typing import ArrayLike, DTypeLike

from jaxnn._activations import identity, relu
from jaxnn._checks import check_key
from jaxnn._initializers import Initializer, glorot_normal, he_normal, lecun_normal

# The public API; as_layers, check_network and affine are the network helpers
# that jaxnn/_diagnostics.py shares.
__all__ = ["Dense", "collapse", "default_initializer", "init_mlp", "mlp"]

Activation = Callable[[Array], Array]


# Activations are matched by name, not identity, so that rewrapped versions
# (jit, custom_jvp, functools.partial) and activations taken from jax.nn map
# the same way.
_HE = frozenset(
    {"relu", "relu6", "leaky_relu", "elu", "celu", "gelu", "silu", "swish", "mish"}
    | {"softplus", "squareplus", "sparse_plus", "hard_silu", "hard_swish"}
)
_LECUN = frozenset({"selu"})
_DEFAULTS = {"he": he_normal(), "lecun": lecun_normal(), "glorot": glorot_normal()}


def _activation_name(activation: Callable[..., Any]) -> str | None:
    fn: Any = activation
    while isinstance(fn, functools.partial):
        fn = fn.func
    name = getattr(fn, "__name__", None)
    return name if isinstance(name, str) else None


def default_initializer(activation: Callable[..., Any]) -> Initializer:
    """The weight initialiser that suits ``activation``.

    ``he_normal()`` for the ReLU family (``relu``, ``leaky_relu``, ``elu``,
    ``gelu``, ``silu``, ``mish``, ``softplus``, ...), ``lecun_normal()`` for
    ``selu``, and ``glorot_normal()`` for ``sigmoid``, ``tanh``, ``identity``
    and anything else. The activation is recognised by its function name, so
    the versions in :mod:`jax.nn` and wrapped ones (``jax.jit``,
    ``functools.partial``) map the same way.

    Args:
        activation: the hidden-layer activation function.

    Returns:
        An initialiser ``init(key, shape, dtype=None)`` from
        :mod:`jaxnn.initializers`.

    Examples:
        >>> jaxnn.default_initializer(jaxnn.relu)
        he_normal(in_axis=-2, out_axis=-1, batch_axis=())
        >>> init = jaxnn.default_initializer(jaxnn.sigmoid)
        >>> init == jaxnn.initializers.glorot_normal()
        True
    """
    if not callable(activation):
        raise TypeError(f"activation: expected a callable, got {activation!r}")
    name = _activation_name(activation)
    if name in _HE:
        return _DEFAULTS["he"]
    if name in _LECUN:
        return _DEFAULTS["lecun"]
    return _DEFAULTS["glorot"]


class Dense(NamedTuple):
    """A fully connected (affine) layer: ``x @ weight + bias``.

    A NamedTuple, hence a pytree with two leaves; a network is a tuple of them.

    Attributes:
        weight: the weight matrix, shape ``(in, out)``.
        bias: the bias vector, shape ``(out,)``.

    Examples:
        >>> layer = jaxnn.Dense(jnp.ones((2, 3)), jnp.arange(3.0))
        >>> layer(jnp.array([1.0, 2.0]))
        Array([3., 4., 5.], dtype=float32)
        >>> len(jax.tree.leaves(layer))
        2
    """

    weight: Array
    bias: Array

    def __call__(self, x: ArrayLike) -> Array:
        """Apply the layer to ``x`` of shape ``(in,)`` or ``(..., in)``."""
        x = jnp.asarray(x)
        check_network((self,), x.shape)
        return affine(self, x)


def as_layers(params: Any) -> tuple[Dense, ...]:
    """``params`` as a tuple of :class:`Dense`, or a ``TypeError`` naming it."""
    if isinstance(params, Dense):
        return (params,)
    if not isinstance(params, Sequence) or isinstance(params, str):
        raise TypeError(
            f"params: expected a sequence of Dense layers, got {type(params).__name__}"
        )
    if len(params) == 0:
        raise ValueError("params: expected at least one Dense layer, got none")
    layers = []
    for i, layer in enumerate(params):
        if not isinstance(layer, Dense):
            raise TypeError(
                f"params[{i}]: expected a jaxnn.Dense, got {type(layer).__name__}"
            )
        layers.append(layer)
    return tuple(layers)


def check_network(params: tuple[Dense, ...], x_shape: tuple[int, ...]) -> None:
    """Check at trace time that ``x`` and every layer fit together."""
    expected: int | None = None
    for i, layer in enumerate(params):
        w_shape, b_shape = jnp.shape(layer.weight), jnp.shape(layer.bias)
        if len(w_shape) != 2:
            raise ValueError(
                f"params[{i}].weight: expected a matrix of shape (in, out), got "
                f"shape {w_shape}"
            )
        if b_shape != (w_shape[1],):
            raise ValueError(
                f"params[{i}].bias: expected shape ({w_shape[1]},) to match the "
                f"weight's {w_shape[1]} outputs, got shape {b_shape}"
            )
        if i == 0:
            if len(x_shape) == 0:
                raise ValueError(
                    f"x: expected shape ({w_shape[0]},) or (..., {w_shape[0]}), got a "
                    f"scalar"
                )
            if x_shape[-1] != w_shape[0]:
                raise ValueError(
                    f"x: layer 0 expects {w_shape[0]} input features, but x has "
                    f"{x_shape[-1]} (x.shape = {x_shape})"
                )
        elif w_shape[0] != expected:
            raise ValueError(
                f"params[{i}].weight: layer {i} expects {w_shape[0]} inputs, but "
                f"layer {i - 1} has {expected} outputs"
            )
        expected = w_shape[1]


def affine(layer: Dense, x: Array, precision: Any = None) -> Array:
    """``x @ layer.weight + layer.bias``, without implicit rank promotion."""
    y = jnp.matmul(x, layer.weight, precision=precision)
    # An explicit broadcast (rank promotion may be set to raise); XLA fuses the
    # bias add, and the activation after it, into one elementwise pass.
    return y + jnp.broadcast_to(layer.bias, y.shape)


@functools.partial(jax.jit, static_argnames=("activation", "output", "precision"))
def _mlp(
    params: tuple[Dense, ...],
    x: Array,
    activation: Activation,
    output: Activation,
    precision: Any,
) -> Array:
    h = x
    for layer in params[:-1]:
        h = activation(affine(layer, h, precision))
    return output(affine(params[-1], h, precision))


def mlp(
    params: Sequence[Dense],
    x: ArrayLike,
    *,
    activation: Activation = relu,
    output: Activation = identity,
    precision: Any = None,
) -> Array:
    r"""The forward pass of a multilayer perceptron.

    .. math::
        a_0 = x, \qquad a_\ell = h(a_{\ell-1} W_\ell + b_\ell) \ (\ell < L),
        \qquad y = \sigma(a_{L-1} W_L + b_L).

    Compiled once per parameter shapes and dtypes, input shape, and
    ``activation``/``output`` function (pass the same function object each time:
    a fresh ``lambda`` or ``functools.partial`` per call compiles again). Works
    under ``jit``, ``vmap`` (over inputs or over an ensemble of parameters),
    ``grad`` and on sharded inputs.

    Args:
        params: the layers, a sequence of :class:`Dense` (as from
            :func:`init_mlp`).
        x: the input, shape ``(in,)`` or ``(..., in)``.
        activation: the hidden activation :math:`h`, applied elementwise
            between layers.
        output: the output function :math:`\sigma` applied last, over the
            feature axis (:func:`jaxnn.identity`, :func:`jaxnn.softmax`, ...).
        precision: passed to :func:`jax.numpy.matmul` (``None`` is the backend
            default; ``jax.lax.Precision.HIGHEST`` avoids TF32 on GPUs).

    Returns:
        The network output, shape ``(out,)`` or ``(..., out)``.

    Raises:
        ValueError: at trace time, if ``x`` does not fit the first layer or two
            consecutive layers do not fit; the message names the layer and
            both sizes.

    Examples:
        The toy network of the book's section 3.4.3:

        >>> params = (
        ...     jaxnn.Dense(jnp.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]),
        ...                 jnp.array([0.1, 0.2, 0.3])),
        ...     jaxnn.Dense(jnp.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]),
        ...                 jnp.array([0.1, 0.2])),
        ...     jaxnn.Dense(jnp.array([[0.1, 0.3], [0.2, 0.4]]),
        ...                 jnp.array([0.1, 0.2])),
        ... )
        >>> jaxnn.mlp(params, jnp.array([1.0, 0.5]), activation=jaxnn.sigmoid)
        Array([0.3168271, 0.6962791], dtype=float32)
    """
    layers = as_layers(params)
    if not callable(activation):
        raise TypeError(f"activation: expected a callable, got {activation!r}")
    if not callable(output):
        raise TypeError(f"output: expected a callable, got {output!r}")
    x = jnp.asarray(x)
    check_network(layers, x.shape)
    return _mlp(layers, x, activation, output, precision)


def init_mlp(
    key: ArrayLike,
    sizes: Sequence[int],
    *,
    activation: Activation = relu,
    initializer: Initializer | None = None,
    dtype: DTypeLike = jnp.float32,
) -> tuple[Dense, ...]:
    """Random parameters for a multilayer perceptron of the given layer sizes.

    Weights are drawn by ``initializer`` (by default the one that suits
    ``activation``: see :func:`jaxnn.default_initializer`); biases start at 0.
    Layer ``i`` draws ``initializer(keys[i], (sizes[i], sizes[i + 1]), dtype)``
    with ``keys = jax.random.split(key, len(sizes) - 1)``, so a
    :mod:`jax.nn.initializers` initialiser and its :mod:`jaxnn.initializers`
    namesake give the same float32 weights. Compiled once per ``sizes``,
    initialiser and ``dtype`` (``jaxnn.initializers.he_normal()`` called twice
    gives equal initialisers, hence one compilation).
    ``jax.vmap(lambda k: init_mlp(k, sizes))(keys)`` builds an ensemble: the
    same tuple of :class:`Dense`, each leaf with a leading ensemble axis.

    Args:
        key: a PRNG key.
        sizes: the layer widths ``(in, hidden..., out)``; at least two
            positive integers (Python or NumPy).
        activation: the hidden activation the network will use; only picks the
            default initializer.
        initializer: ``init(key, shape, dtype) -> Array`` for the weights, from
            :mod:`jaxnn.initializers` (``he_normal()``) or
            :mod:`jax.nn.initializers`.
        dtype: a floating dtype for weights and biases.

    Returns:
        A tuple of ``len(sizes) - 1`` :class:`Dense` layers; layer ``i`` has a
        weight of shape ``(sizes[i], sizes[i + 1])``.

    Raises:
        TypeError: if ``sizes`` is not a sequence of integers, or the key or
            initializer is not one.
        ValueError: if ``sizes`` has fewer than two entries or one is not
            positive, or the initializer returns a weight of another shape.

    Examples:
        >>> params = jaxnn.init_mlp(jax.random.key(0), [784, 50, 100, 10])
        >>> [layer.weight.shape for layer in params]
        [(784, 50), (50, 100), (100, 10)]
        >>> jaxnn.mlp(params, jnp.zeros((32, 784))).shape
        (32, 10)
    """
    sizes = _check_sizes(sizes)
    dt = jnp.dtype(dtype)
    if not jnp.issubdtype(dt, jnp.floating):
        raise ValueError(f"dtype: expected a floating dtype, got {dt}")
    check_key(key)
    init = default_initializer(activation) if initializer is None else initializer
    if not callable(init):
        raise TypeError(f"initializer: expected a callable, got {init!r}")
    return _init_mlp(key, sizes, init, dt)


def _check_sizes(sizes: Any) -> tuple[int, ...]:
    """``sizes`` as a tuple of Python ints (NumPy integers accepted)."""
    expected = "a sequence of at least two positive ints (in, ..., out)"
    try:
        if isinstance(sizes, (str, bytes)):
            raise TypeError
        entries = tuple(sizes)
        if any(isinstance(n, (bool, np.bool_)) for n in entries):
            raise TypeError
        widths = tuple(operator.index(n) for n in entries)
    except TypeError:
        raise TypeError(f"sizes: expected {expected}, got {sizes!r}") from None
    if len(widths) < 2 or min(widths) < 1:
        raise ValueError(f"sizes: expected {expected}, got {widths!r}")
    return widths


@functools.partial(jax.jit, static_argnums=(1, 2, 3))
def _init_mlp(
    key: ArrayLike, sizes: tuple[int, ...], init: Initializer, dtype: Any
) -> tuple[Dense, ...]:
    shapes = list(itertools.pairwise(sizes))
    keys = jax.random.split(key, len(shapes))
    layers = []
    for i, (k, shape) in enumerate(zip(keys, shapes, strict=True)):
        w = init(k, shape, dtype)
        if jnp.shape(w) != shape:
            raise ValueError(
                f"initializer: {init!r} returned a weight of shape {jnp.shape(w)} "
                f"for layer {i}, expected {shape}"
            )
        layers.append(Dense(jnp.asarray(w).astype(dtype), jnp.zeros(shape[1], dtype)))
    return tuple(layers)


def collapse(params: Sequence[Dense], *, slope: ArrayLike = 1.0) -> Dense:
    r"""The single :class:`Dense` equal to a network with linear activations.

    With :math:`h(x) = c x` between layers and the identity output,

    .. math::
        W = c^{L-1} W_1 W_2 \cdots W_L, \qquad
        b = (\cdots((c\, b_1) W_2 + b_2)\, c\, W_3 + \cdots) + b_L,

    computed by the recursion :math:`W \leftarrow c\, W W_\ell`,
    :math:`b \leftarrow c\, b W_\ell + b_\ell`. It is the book's argument that
    :math:`h(h(h(x))) = c^3 x` is just another linear function, made
    executable: depth adds nothing without a nonlinearity.

    Args:
        params: the layers, a sequence of :class:`Dense`.
        slope: the slope :math:`c` of the linear activation (1 for identity).

    Returns:
        A :class:`Dense` with ``weight`` of shape ``(in, out)`` such that
        ``collapse(params, slope=c)(x) == mlp(params, x, activation=lambda
        z: c * z)``.

    Examples:
        >>> params = jaxnn.init_mlp(jax.random.key(0), [3, 8, 8, 2])
        >>> x = jnp.ones((5, 3))
        >>> deep = jaxnn.mlp(params, x, activation=jaxnn.identity)
        >>> bool(jnp.allclose(jaxnn.collapse(params)(x), deep, atol=1e-5))
        True
    """
    layers = as_layers(params)
    check_network(layers, (jnp.shape(layers[0].weight)[0],))
    c = jnp.asarray(slope)
    if c.ndim != 0:
        raise ValueError(f"slope: expected a scalar, got shape {c.shape}")
    return _collapse(layers, c)


@jax.jit
def _collapse(layers: tuple[Dense, ...], c: Array) -> Dense:
    hi = jax.lax.Precision.HIGHEST
    weight, bias = jnp.asarray(layers[0].weight), jnp.asarray(layers[0].bias)
    for layer in layers[1:]:
        weight = jnp.matmul(c * weight, layer.weight, precision=hi)
        bias = jnp.matmul(c * bias, layer.weight, precision=hi) + layer.bias
    return Dense(weight, bias)
