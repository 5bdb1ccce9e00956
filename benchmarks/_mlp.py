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

import dataclasses
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
    acc = _accuracy(book_predict(net, x), labels)
    return [row(case, "book NumPy", t, throughput=ips, unit="images/s", accuracy=acc)]


# ---------------------------------------------------------------------------
# The XLA side: models built from the same weights in every library.


def _nnx_model(weights: list[tuple[Any, Any]], activation: Callable, output: Callable):
    from flax import nnx

    class NnxMLP(nnx.Module):
        def __init__(self) -> None:
            rngs = nnx.Rngs(0)
            layers = []
            for w, b in weights:
                layer = nnx.Linear(w.shape[0], w.shape[1], rngs=rngs)
                layer.kernel = nnx.Param(w)
                layer.bias = nnx.Param(b)
                layers.append(layer)
            self.layers = nnx.List(layers)

        def __call__(self, x: Any) -> Any:
            for layer in self.layers[:-1]:
                x = activation(layer(x))
            return output(self.layers[-1](x))

    return NnxMLP()


def _eqx_model(
    weights: list[tuple[Any, Any]], activation: Callable, output: Callable
) -> Any:
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

    keys = jax.random.split(jax.random.key(0), len(weights))
    layers = []
    for (w, b), k in zip(weights, keys, strict=True):
        lin = eqx.nn.Linear(w.shape[0], w.shape[1], key=k)
        lin = eqx.tree_at(lambda m: (m.weight, m.bias), lin, (w.T, b))
        layers.append(lin)
    return EqxMLP(tuple(layers), activation, output)


def _kw(settings: Settings, full_reps: int | None = None, block: bool = True) -> dict:
    """Timing keywords; ``full_reps`` replaces the repetitions of a full run."""
    kw: dict[str, Any] = {"min_rep_seconds": settings.min_rep_seconds}
    kw["reps"] = (
        full_reps if full_reps and settings.profile == "full" else settings.reps
    )
    if block:
        import jax

        kw["block"] = jax.block_until_ready
    return kw


def _book_inputs() -> tuple[list[tuple[Any, Any]], Any, np.ndarray]:
    import jax.numpy as jnp

    net = _data.book_weights()
    weights = [
        (jnp.asarray(net[f"W{i}"]), jnp.asarray(net[f"b{i}"])) for i in (1, 2, 3)
    ]
    x, labels = _data.mnist_test()
    return weights, jnp.asarray(x), labels


BOOK_IMPLS = ("jaxnn", "3 bare matmuls", "flax-nnx", "flax-nnx (nnx.jit)", "equinox")
BOOK_TRAIN_IMPLS = ("jaxnn", "jax.nn", "flax-nnx", "equinox")
WIDE_IMPLS = ("jaxnn", "flax-nnx", "equinox")


def _book_fn(
    impl: str, weights: list[tuple[Any, Any]], x: Any
) -> tuple[Callable, tuple]:
    import jax

    if impl == "jaxnn":
        import jaxnn

        params = tuple(jaxnn.Dense(w, b) for w, b in weights)
        forward = functools.partial(
            jaxnn.mlp, activation=jaxnn.sigmoid, output=jaxnn.softmax
        )
        return jax.jit(forward), (params, x)
    if impl == "3 bare matmuls":
        (w1, _), (w2, _), (w3, _) = weights
        return jax.jit(lambda x, w1, w2, w3: ((x @ w1) @ w2) @ w3), (x, w1, w2, w3)
    if impl.startswith("flax-nnx"):
        from flax import nnx

        model = _nnx_model(weights, jax.nn.sigmoid, jax.nn.softmax)
        if impl == "flax-nnx (nnx.jit)":
            return nnx.jit(lambda m, x: m(x)), (model, x)
        graphdef, state = nnx.split(model)
        return jax.jit(lambda s, x: nnx.merge(graphdef, s)(x)), (state, x)
    if impl == "equinox":
        import equinox as eqx

        model = _eqx_model(weights, jax.nn.sigmoid, jax.nn.softmax)
        return eqx.filter_jit(lambda m, x: jax.vmap(m)(x)), (model, x)
    raise ValueError(f"unknown implementation {impl!r}")


def _build(
    case: Case, impls: tuple[str, ...], builder: Callable[[str], tuple[Callable, tuple]]
) -> tuple[list[tuple[str, Callable, tuple]], list[Row]]:
    """Build every contender; those that cannot be built become skipped rows."""
    built, skips = [], []
    for impl in impls:
        try:
            fn, args = builder(impl)
        except ImportError as err:  # Flax or Equinox is not installed
            skips.append(skipped(case, impl, f"{type(err).__name__}: {err}"))
            continue
        built.append((impl, fn, args))
    return built, skips


def _xla_book(case: Case, settings: Settings) -> list[Row]:
    weights, x, labels = _book_inputs()
    built, out = _build(case, BOOK_IMPLS, lambda impl: _book_fn(impl, weights, x))
    timings = measure_side_by_side(
        [(fn, args) for _, fn, args in built], **_kw(settings, BOOK_REPS)
    )
    for (impl, fn, args), t in zip(built, timings, strict=True):
        extra: dict[str, Any] = {}
        if impl != "3 bare matmuls":
            extra["accuracy"] = _accuracy(fn(*args), labels)
        ips = x.shape[0] / t["median"]
        out.append(row(case, impl, t, throughput=ips, unit="images/s", **extra))
    return out


def _jax_step(forward: Callable, loss: Callable, tx: Any) -> Callable:
    """A jitted Optax step of ``forward(params, x)`` under ``loss(pred, y)``."""
    import jax
    import optax

    @jax.jit
    def step(params: Any, opt_state: Any, x: Any, y: Any) -> Any:
        value, grads = jax.value_and_grad(lambda p: loss(forward(p, x), y))(params)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, value

    return step


def _nnx_step(loss: Callable) -> Callable:
    """The idiomatic NNX step: ``nnx.Optimizer`` updated in place, ``nnx.jit``."""
    from flax import nnx

    @nnx.jit
    def step(model: Any, optimizer: Any, x: Any, y: Any) -> Any:
        value, grads = nnx.value_and_grad(lambda m: loss(m(x), y))(model)
        optimizer.update(model, grads)
        return value

    return step


def _eqx_step(loss: Callable, tx: Any) -> Callable:
    """The Equinox step: ``eqx.filter_value_and_grad`` under ``eqx.filter_jit``."""
    import equinox as eqx
    import jax

    @eqx.filter_jit
    def step(model: Any, opt_state: Any, x: Any, y: Any) -> Any:
        value, grads = eqx.filter_value_and_grad(lambda m: loss(jax.vmap(m)(x), y))(
            model
        )
        updates, opt_state = tx.update(
            grads, opt_state, eqx.filter(model, eqx.is_array)
        )
        return eqx.apply_updates(model, updates), opt_state, value

    return step


def _xent(logp: Any, onehot: Any) -> Any:
    """Mean cross-entropy of log-probabilities against one-hot labels."""
    import jax.numpy as jnp

    return -jnp.mean(jnp.sum(onehot * logp, axis=-1))


def _book_train_fn(
    impl: str, weights: list[tuple[Any, Any]], x: Any, onehot: Any
) -> tuple[Callable, tuple, Callable[[], float]]:
    """One SGD step of the book network: the step, its arguments, and a
    function that returns the loss of the first step from the initial weights
    (call it after timing: the NNX step updates its model in place)."""
    import jax
    import optax

    tx = optax.sgd(BOOK_LR)
    if impl in ("jaxnn", "jax.nn"):
        if impl == "jaxnn":
            import jaxnn

            params: Any = tuple(jaxnn.Dense(w, b) for w, b in weights)
            forward: Callable = functools.partial(
                jaxnn.mlp, activation=jaxnn.sigmoid, output=jaxnn.log_softmax
            )
        else:
            params = [(w, b) for w, b in weights]

            def forward(params: Any, x: Any) -> Any:
                h = x
                for w, b in params[:-1]:
                    h = jax.nn.sigmoid(h @ w + b)
                w, b = params[-1]
                return jax.nn.log_softmax(h @ w + b)

        step = _jax_step(forward, _xent, tx)
        args = (params, tx.init(params), x, onehot)
        return step, args, lambda: float(step(*args)[-1])
    if impl == "flax-nnx":
        import jax.numpy as jnp
        from flax import nnx

        model = _nnx_model(weights, jax.nn.sigmoid, jax.nn.log_softmax)
        optimizer = nnx.Optimizer(model, tx, wrt=nnx.Param)
        initial = jax.tree.map(jnp.copy, nnx.state((model, optimizer)))

        nnx_step = _nnx_step(_xent)

        def nnx_first_loss() -> float:
            nnx.update((model, optimizer), initial)
            return float(nnx_step(model, optimizer, x, onehot))

        return nnx_step, (model, optimizer, x, onehot), nnx_first_loss
    if impl == "equinox":
        import equinox as eqx

        model = _eqx_model(weights, jax.nn.sigmoid, jax.nn.log_softmax)
        eqx_step = _eqx_step(_xent, tx)
        opt_state = tx.init(eqx.filter(model, eqx.is_array))
        args = (model, opt_state, x, onehot)
        return eqx_step, args, lambda: float(eqx_step(*args)[-1])
    raise ValueError(f"unknown implementation {impl!r}")


def _xla_book_train(case: Case, settings: Settings) -> list[Row]:
    import jax

    weights, x, labels = _book_inputs()
    onehot = jax.nn.one_hot(labels, 10, dtype=x.dtype)
    first_loss: dict[str, Callable[[], float]] = {}

    def builder(impl: str) -> tuple[Callable, tuple]:
        fn, args, first_loss[impl] = _book_train_fn(impl, weights, x, onehot)
        return fn, args

    built, out = _build(case, BOOK_TRAIN_IMPLS, builder)
    timings = measure_side_by_side(
        [(fn, args) for _, fn, args in built], **_kw(settings, BOOK_REPS)
    )
    for (impl, _, _), t in zip(built, timings, strict=True):
        ips = x.shape[0] / t["median"]
        loss = first_loss[impl]()
        out.append(row(case, impl, t, throughput=ips, unit="images/s", loss=loss))
    return out


def _wide_weights(width: int) -> list[tuple[Any, Any]]:
    import jax
    import jax.numpy as jnp

    keys = jax.random.split(jax.random.key(1), WIDE_LAYERS)
    scale = float(np.sqrt(2.0 / width))  # He: activations stay O(1)
    return [
        (scale * jax.random.normal(k, (width, width)), jnp.zeros((width,)))
        for k in keys
    ]


def _wide_data(width: int) -> tuple[Any, Any]:
    import jax

    kx, ky = jax.random.split(jax.random.key(2))
    return jax.random.normal(kx, (width, width)), jax.random.normal(ky, (width, width))


def _mse(pred: Any, target: Any) -> Any:
    import jax.numpy as jnp

    return jnp.mean((pred - target) ** 2)


def _wide_fn(
    impl: str, train: bool, weights: list[tuple[Any, Any]], x: Any, target: Any
) -> tuple[Callable, tuple]:
    import jax
    import optax

    tx = optax.adam(1e-3)
    if impl == "jaxnn":
        import jaxnn

        params = tuple(jaxnn.Dense(w, b) for w, b in weights)
        forward = functools.partial(jaxnn.mlp, activation=jaxnn.relu)
        if not train:
            return jax.jit(forward), (params, x)

        return _jax_step(forward, _mse, tx), (params, tx.init(params), x, target)
    if impl == "flax-nnx":
        from flax import nnx

        model = _nnx_model(weights, jax.nn.relu, lambda y: y)
        if not train:
            graphdef, state = nnx.split(model)
            return jax.jit(lambda s, x: nnx.merge(graphdef, s)(x)), (state, x)
        optimizer = nnx.Optimizer(model, tx, wrt=nnx.Param)
        return _nnx_step(_mse), (model, optimizer, x, target)
    if impl == "equinox":
        import equinox as eqx

        model = _eqx_model(weights, jax.nn.relu, lambda y: y)
        if not train:
            return eqx.filter_jit(lambda m, x: jax.vmap(m)(x)), (model, x)

        opt_state = tx.init(eqx.filter(model, eqx.is_array))
        return _eqx_step(_mse, tx), (model, opt_state, x, target)
    raise ValueError(f"unknown implementation {impl!r}")


def _xla_wide(case: Case, train: bool, settings: Settings) -> list[Row]:
    """The wide MLP (forward or train step), interleaved with a jnp.dot."""
    import jax
    import jax.numpy as jnp

    width = WIDTHS[settings.profile]
    weights = _wide_weights(width)
    x, target = _wide_data(width)
    built, out = _build(
        case, WIDE_IMPLS, lambda impl: _wide_fn(impl, train, weights, x, target)
    )
    kw = _kw(settings, full_reps=3)  # a call takes seconds at width 4096 on a CPU
    calls = [(jax.jit(jnp.dot), (x, weights[0][0]))]
    calls += [(fn, args) for _, fn, args in built]
    dot, *timings = measure_side_by_side(calls, **kw)
    dot_gflops = 2 * width**3 / dot["median"] / 1e9
    if not train:
        dot_case = dataclasses.replace(case, case=DOT, implementations=(DOT,))
        out.insert(0, row(dot_case, DOT, dot, throughput=dot_gflops, unit="GFLOP/s"))
    forward_flops, train_flops = wide_flops(width, width)
    flops = train_flops if train else forward_flops
    for (impl, _, _), t in zip(built, timings, strict=True):
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
                dot_gflops=dot_gflops,
                dot_gflops_best=2 * width**3 / dot["min"] / 1e9,
            )
        )
    return out


def cases(side: str, settings: Settings, platform: str) -> list[Case]:
    """One worker's cases: ``side`` is ``"xla"`` or ``"blas"``."""
    if side == "blas":
        run = functools.partial(_blas_book, settings=settings)
        return [Case(SUITE, BOOK, ("book NumPy",), 10_000, "float32", run, "images")]
    book = functools.partial(_xla_book, settings=settings)
    train = functools.partial(_xla_book_train, settings=settings)
    width, unit = WIDTHS[settings.profile], "width (= batch)"
    wide = [
        functools.partial(_xla_wide, train=t, settings=settings) for t in (False, True)
    ]
    return [
        Case(SUITE, BOOK, BOOK_IMPLS, 10_000, "float32", book, "images"),
        Case(SUITE, BOOK_TRAIN, BOOK_TRAIN_IMPLS, 10_000, "float32", train, "images"),
        Case(SUITE, WIDE_FWD, (DOT, *WIDE_IMPLS), width, "float32", wide[0], unit),
        Case(SUITE, WIDE_TRAIN, WIDE_IMPLS, width, "float32", wide[1], unit),
    ]
