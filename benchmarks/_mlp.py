"""The mlp suite: the book's MNIST network and a wide MLP, against peers and BLAS.

Book network (784-50-100-10, sigmoid, softmax) on MNIST's 10,000 test images:
jaxnn's ``mlp`` under ``jit`` vs the book's NumPy forward (separate process)
vs Flax NNX vs Equinox, and vs its three bare matrix products (the same
matmuls with bias, activations and softmax removed) as the floor. Every
implementation's test accuracy is recorded (the book prints 0.9352).

Book network training step (the same network with a ``log_softmax`` output,
mean cross-entropy against the one-hot labels of the 10,000 test images, one
Optax SGD step at learning rate 0.1): jaxnn's ``mlp`` vs the same network
written by hand with ``jax.nn`` under ``jax.jit`` (plain jitted JAX) vs Flax
NNX vs Equinox, timed side by side; every implementation's first-step loss is
recorded as a check that they compute the same thing.

Wide MLP (``WIDTH``-``WIDTH``-``WIDTH``, ReLU, batch ``WIDTH``): forward and one
Optax Adam training step (mean squared error) for jaxnn, Flax NNX and
Equinox, as a fraction of the same-run ``jnp.dot`` throughput of one
``WIDTH`` x ``WIDTH`` by ``WIDTH`` x ``WIDTH`` product. FLOPs counted: 2 per
multiply-add of the matmuls only; a training step has 3L - 1 matmuls
(forward, weight gradients, input gradients except the first layer's).

Flax NNX runs the way its performance guide recommends (``nnx.split`` once,
``nnx.merge`` inside a ``jax.jit``); the idiomatic ``nnx.jit`` is also timed
on the book network, where its per-call Python overhead shows. The NNX
training step is the idiomatic ``nnx.Optimizer`` under ``nnx.jit``. The
targets these cases are judged by are in ``benchmarks/_targets.py``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks import _data
from benchmarks._activations import book_sigmoid, book_softmax
from benchmarks._timing import Settings, measure, measure_side_by_side
from benchmarks._worker import Case, Row, row, skipped

SUITE = "mlp"
BOOK = "book MNIST forward"
BOOK_TRAIN = "book MNIST train step (SGD)"
BOOK_LR = 0.1
WIDE_FWD = "wide MLP forward"
WIDE_TRAIN = "wide MLP train step (Adam)"
DOT = "jnp.dot"
WIDE_LAYERS = 2
BOOK_IMPLS = ("jaxnn", "3 bare matmuls", "flax-nnx", "flax-nnx (nnx.jit)", "equinox")
BOOK_TRAIN_IMPLS = ("jaxnn", "jax.nn", "flax-nnx", "equinox")
WIDE_IMPLS = (DOT, "jaxnn", "flax-nnx", "equinox")
Weights = list[tuple[Any, Any]]  # (weight, bias) per layer, weight (in, out)
WIDTHS = {"full": 4096, "quick": 1024, "smoke": 64}  # the wide MLP's width = batch
# The MNIST cases' calls take milliseconds and are judged against 1.1x, close
# to the noise of a shared 2-core machine: a full run gives them three times
# as many repetitions (about 5 s per case).
BOOK_REPS = 33


def describe_sizes(settings: Settings, platform: str) -> str:
    return f"wide MLP: width = batch = {WIDTHS[settings.profile]}"


def wide_flops(width: int, batch: int, layers: int = WIDE_LAYERS) -> tuple[int, int]:
    """(forward, training step) FLOPs of the wide MLP's matmuls."""
    per_matmul = 2 * batch * width * width
    return layers * per_matmul, (3 * layers - 1) * per_matmul


def book_predict(network: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """The book's ``predict`` (section 3.6.2), on a batch."""
    w1, w2, w3 = network["W1"], network["W2"], network["W3"]
    b1, b2, b3 = network["b1"], network["b2"], network["b3"]
    a1 = np.dot(x, w1) + b1
    z1 = book_sigmoid(a1)
    a2 = np.dot(z1, w2) + b2
    z2 = book_sigmoid(a2)
    a3 = np.dot(z2, w3) + b3
    return book_softmax(a3)


def _accuracy(probs: Any, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(np.asarray(probs), axis=-1) == labels))


def _blas_book(case: Case, settings: Settings) -> list[Row]:
    net = _data.book_weights()
    x, labels = _data.mnist_test()
    t = measure(book_predict, net, x, **_kw(settings, block=False))
    ips = x.shape[0] / t["median"]
    acc = _accuracy(t["output"], labels)
    return [row(case, "book NumPy", t, throughput=ips, unit="images/s", accuracy=acc)]


def _kw(settings: Settings, full_reps: int | None = None, block: bool = True) -> dict:
    """Timing keywords; ``full_reps`` replaces the repetitions of a full run."""
    kw: dict[str, Any] = {"min_rep_seconds": settings.min_rep_seconds}
    full = full_reps and settings.profile == "full"
    kw["reps"] = full_reps if full else settings.reps
    if block:
        import jax

        kw["block"] = jax.block_until_ready
    return kw


# ---------------------------------------------------------------------------
# The XLA side: the same weights in every library.


def _nnx_model(weights: Weights, activation: Callable, output: Callable) -> Any:
    from flax import nnx

    class NnxMLP(nnx.Module):
        def __init__(self) -> None:
            layers = []
            for w, b in weights:
                layer = nnx.Linear(w.shape[0], w.shape[1], rngs=nnx.Rngs(0))
                layer.kernel, layer.bias = nnx.Param(w), nnx.Param(b)
                layers.append(layer)
            # nnx.List since Flax 0.12; a plain list of modules before it
            self.layers = nnx.List(layers) if hasattr(nnx, "List") else layers

        def __call__(self, x: Any) -> Any:
            for layer in self.layers[:-1]:
                x = activation(layer(x))
            return output(self.layers[-1](x))

    return NnxMLP()


def _eqx_model(weights: Weights, activation: Callable, output: Callable) -> Any:
    import equinox as eqx
    import jax

    class EqxMLP(eqx.Module):
        layers: tuple
        activation: Callable = eqx.field(static=True)
        output: Callable = eqx.field(static=True)

        def __call__(self, x: Any) -> Any:
            for layer in self.layers[:-1]:
                x = self.activation(layer(x))
            return self.output(self.layers[-1](x))

    layers = []
    for w, b in weights:
        lin = eqx.nn.Linear(w.shape[0], w.shape[1], key=jax.random.key(0))
        layers.append(eqx.tree_at(lambda m: (m.weight, m.bias), lin, (w.T, b)))
    return EqxMLP(tuple(layers), activation, output)


def _jax_forward(impl: str, weights: Weights, act: str, out: str) -> tuple:
    """(forward(params, x), params): jaxnn's ``mlp``, or the network by hand
    in ``jax.nn`` as users write it (``sigmoid(h @ w + b)``)."""
    import jax

    if impl == "jaxnn":
        import jaxnn

        params = tuple(jaxnn.Dense(w, b) for w, b in weights)
        fns = {"activation": getattr(jaxnn, act), "output": getattr(jaxnn, out)}
        return functools.partial(jaxnn.mlp, **fns), params
    h, o = getattr(jax.nn, act), getattr(jax.nn, out)

    def forward(params: Any, x: Any) -> Any:
        for w, b in params[:-1]:
            x = h(x @ w + b)
        w, b = params[-1]
        return o(x @ w + b)

    return forward, list(weights)


def contender(
    impl: str,
    weights: Weights,
    act: str,
    out: str,
    x: Any,
    y: Any = None,
    loss: Callable | None = None,
    tx: Any = None,
) -> tuple[Callable, tuple]:
    """``(fn, args)``: ``impl``'s forward pass of the MLP with ``weights``
    (``act`` between layers, ``out`` last: names in jax.nn and jaxnn) or, given
    ``loss(pred, y)`` and an Optax ``tx``, one training step returning the
    loss last. The NNX step is ``nnx.Optimizer`` under ``nnx.jit``, updated in
    place; the others return the new parameters and optimizer state too."""
    import jax
    import optax

    if impl in ("jaxnn", "jax.nn"):
        forward, params = _jax_forward(impl, weights, act, out)
        if loss is None:
            return jax.jit(forward), (params, x)

        @jax.jit
        def step(params: Any, opt_state: Any, x: Any, y: Any) -> Any:
            value, grads = jax.value_and_grad(lambda p: loss(forward(p, x), y))(params)
            updates, opt_state = tx.update(grads, opt_state, params)
            return optax.apply_updates(params, updates), opt_state, value

        return step, (params, tx.init(params), x, y)
    if impl == "3 bare matmuls":  # the book network's matmuls alone
        w1, w2, w3 = (w for w, _ in weights)
        return jax.jit(lambda x, w1, w2, w3: x @ w1 @ w2 @ w3), (x, w1, w2, w3)
    if impl.startswith("flax-nnx"):
        from flax import nnx

        model = _nnx_model(weights, getattr(jax.nn, act), getattr(jax.nn, out))
        if loss is not None:

            @nnx.jit
            def nnx_step(model: Any, optimizer: Any, x: Any, y: Any) -> Any:
                value, grads = nnx.value_and_grad(lambda m: loss(m(x), y))(model)
                optimizer.update(model, grads)
                return value

            return nnx_step, (model, nnx.Optimizer(model, tx, wrt=nnx.Param), x, y)
        if impl == "flax-nnx (nnx.jit)":
            return nnx.jit(lambda m, x: m(x)), (model, x)
        graphdef, state = nnx.split(model)  # as NNX's performance guide advises
        return jax.jit(lambda s, x: nnx.merge(graphdef, s)(x)), (state, x)
    if impl == "equinox":
        import equinox as eqx

        model = _eqx_model(weights, getattr(jax.nn, act), getattr(jax.nn, out))
        if loss is None:
            return eqx.filter_jit(lambda m, x: jax.vmap(m)(x)), (model, x)

        @eqx.filter_jit
        def eqx_step(model: Any, opt_state: Any, x: Any, y: Any) -> Any:
            value, grads = eqx.filter_value_and_grad(lambda m: loss(jax.vmap(m)(x), y))(
                model
            )
            params = eqx.filter(model, eqx.is_array)
            updates, opt_state = tx.update(grads, opt_state, params)
            return eqx.apply_updates(model, updates), opt_state, value

        return eqx_step, (model, tx.init(eqx.filter(model, eqx.is_array)), x, y)
    raise ValueError(f"unknown implementation {impl!r}")


def _xent(logp: Any, onehot: Any) -> Any:
    """Mean cross-entropy of log-probabilities against one-hot labels."""
    return -(onehot * logp).sum(axis=-1).mean()


def _mse(pred: Any, target: Any) -> Any:
    return ((pred - target) ** 2).mean()


def book_inputs() -> tuple[Weights, Any, np.ndarray]:
    """The book's weights, MNIST's test images (on the device) and labels."""
    import jax.numpy as jnp

    net = _data.book_weights()
    weights = [(jnp.asarray(net[f"W{i}"]), jnp.asarray(net[f"b{i}"])) for i in "123"]
    x, labels = _data.mnist_test()
    return weights, jnp.asarray(x), labels


def _side_by_side(
    case: Case, build: Callable[[str], tuple[Callable, tuple]], kw: dict, first=()
) -> tuple[list[tuple[str, dict]], list[Row]]:
    """Build every contender (one whose library is missing becomes a skipped
    row) and time them side by side, after the ``first`` calls."""
    built, skips = [], []
    for impl in case.implementations[len(first) :]:
        try:
            built.append((impl, build(impl)))
        except ImportError as err:  # Flax or Equinox is not installed
            skips.append(skipped(case, impl, f"{type(err).__name__}: {err}"))
    timings = measure_side_by_side([*first, *(call for _, call in built)], **kw)
    names = [*case.implementations[: len(first)], *(impl for impl, _ in built)]
    return list(zip(names, timings, strict=True)), skips


def _xla_book(case: Case, settings: Settings, train: bool) -> list[Row]:
    import jax
    import optax

    weights, x, labels = book_inputs()
    onehot = jax.nn.one_hot(labels, 10, dtype=x.dtype)
    spec = ("sigmoid", "log_softmax", x, onehot, _xent, optax.sgd(BOOK_LR))
    spec = spec if train else ("sigmoid", "softmax", x)
    timed, out = _side_by_side(
        case,
        lambda impl: contender(impl, weights, *spec),
        _kw(settings, BOOK_REPS),
    )
    for impl, t in timed:
        ips = x.shape[0] / t["median"]
        if train:  # the loss of the first step from the book's weights
            extra = {"loss": float(jax.tree.leaves(t["output"])[-1])}
        else:
            extra = (
                {}
                if impl == "3 bare matmuls"
                else {"accuracy": _accuracy(t["output"], labels)}
            )
        out.append(row(case, impl, t, throughput=ips, unit="images/s", **extra))
    return out


def _xla_wide(case: Case, settings: Settings, train: bool) -> list[Row]:
    """The wide MLP (forward or Adam step), interleaved with a jnp.dot."""
    import jax
    import jax.numpy as jnp
    import optax

    width = WIDTHS[settings.profile]
    scale = float(np.sqrt(2.0 / width))  # He: activations stay O(1)
    weights = [
        (scale * jax.random.normal(k, (width, width)), jnp.zeros((width,)))
        for k in jax.random.split(jax.random.key(1), WIDE_LAYERS)
    ]
    x, y = (
        jax.random.normal(k, (width, width))
        for k in jax.random.split(jax.random.key(2))
    )
    spec = (
        ("relu", "identity", x, y, _mse, optax.adam(1e-3))
        if train
        else ("relu", "identity", x)
    )
    dot = (jax.jit(jnp.dot), (x, weights[0][0]))
    # a call takes seconds at width 4096 on a CPU: 3 repetitions in a full run
    timed, out = _side_by_side(
        case, lambda impl: contender(impl, weights, *spec), _kw(settings, 3), [dot]
    )
    (_, t_dot), *timed = timed
    dot_flops = 2 * width**3
    reference = {
        "dot_gflops": dot_flops / t_dot["median"] / 1e9,
        "dot_gflops_best": dot_flops / t_dot["min"] / 1e9,
    }
    if not train:  # the reference, as a case of its own
        gflops = reference["dot_gflops"]
        out.append(
            row(case, DOT, t_dot, throughput=gflops, unit="GFLOP/s") | {"case": DOT}
        )
    flops = wide_flops(width, width)[train]
    for impl, t in timed:
        gflops = flops / t["median"] / 1e9
        out.append(
            row(
                case,
                impl,
                t,
                throughput=gflops,
                unit="GFLOP/s",
                flops=flops,
                layers=WIDE_LAYERS,
                **reference,
            )
        )
    return out


def cases(side: str, settings: Settings, platform: str) -> list[Case]:
    """One worker's cases: ``side`` is ``"xla"`` or ``"blas"``."""
    if side == "blas":
        run = functools.partial(_blas_book, settings=settings)
        return [Case(SUITE, BOOK, ("book NumPy",), 10_000, "float32", run, "images")]

    width, unit = WIDTHS[settings.profile], "width (= batch)"
    specs = (
        (BOOK, BOOK_IMPLS, _xla_book, False, 10_000, "images"),
        (BOOK_TRAIN, BOOK_TRAIN_IMPLS, _xla_book, True, 10_000, "images"),
        (WIDE_FWD, WIDE_IMPLS, _xla_wide, False, width, unit),
        (WIDE_TRAIN, WIDE_IMPLS, _xla_wide, True, width, unit),
    )
    out = []
    for name, impls, fn, train, size, unit in specs:
        run = functools.partial(fn, settings=settings, train=train)
        out.append(Case(SUITE, name, impls, size, "float32", run, unit))
    return out
