"""Data-parallel training of a jaxnn MLP with Optax on every available device.

The batch is split by rows over a one-axis mesh (``jaxnn.shard_batch``), the
parameters and optimizer state are replicated on every device
(``jaxnn.replicate``), and a plain ``jax.jit`` training step does the rest:
XLA partitions it so each device computes the gradient of its rows and one
all-reduce sums them. Nothing here depends on the number of devices.

It trains a 784-100-10 network on the first 8,000 MNIST test images that ship
with jaxnn and reports the accuracy on the other 2,000.

Run it on whatever devices you have::

    python examples/sharded_training.py

or, on a CPU-only machine, simulate 8 devices (the flag must be set before JAX
starts, which ``--simulate-cpu-devices`` does for you)::

    python examples/sharded_training.py --simulate-cpu-devices 8
"""

import argparse
import os
import time
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="training steps")
    parser.add_argument("--batch", type=int, default=800, help="global batch size")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    parser.add_argument(
        "--simulate-cpu-devices",
        type=int,
        default=0,
        metavar="N",
        help="split the CPU into N XLA devices (set before JAX starts)",
    )
    args = parser.parse_args()
    if args.simulate_cpu_devices:
        os.environ["XLA_FLAGS"] = (
            os.environ.get("XLA_FLAGS", "")
            + f" --xla_force_host_platform_device_count={args.simulate_cpu_devices}"
        )

    import jax
    import jax.numpy as jnp
    import optax

    import jaxnn
    import jaxnn.datasets

    mesh = jaxnn.data_mesh()  # every device; across hosts, every host's devices
    n_dev = mesh.shape["data"]
    if args.batch % n_dev:
        parser.error(f"--batch {args.batch} must be a multiple of the {n_dev} devices")
    print(f"{n_dev} device(s): {jax.devices()}")

    images, labels = jaxnn.datasets.mnist_test()
    x_train, y_train = images[:8000], labels[:8000]
    x_test, y_test = images[8000:], labels[8000:]

    params = jaxnn.init_mlp(jax.random.key(0), (784, 100, 10))
    opt = optax.adam(args.lr)
    # Parameters and optimizer state: a whole copy on every device.
    params = jaxnn.replicate(params, mesh)
    opt_state = jaxnn.replicate(opt.init(params), mesh)

    def loss_fn(p: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        logits = jaxnn.mlp(p, x)  # sharded by rows, like x
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    @jax.jit
    def train_step(p: Any, state: Any, x: jax.Array, y: jax.Array) -> Any:
        loss, grads = jax.value_and_grad(loss_fn)(p, x, y)  # grads: all-reduced
        updates, state = opt.update(grads, state, p)
        return optax.apply_updates(p, updates), state, loss

    @jax.jit
    def accuracy(p: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        return jnp.mean(jnp.argmax(jaxnn.mlp(p, x), axis=-1) == y)

    def local(a: jax.Array) -> jax.Array:
        """This process's share of a global batch (all of it on one host)."""
        return a.reshape(jax.process_count(), -1, *a.shape[1:])[jax.process_index()]

    order = jax.random.permutation(jax.random.key(1), x_train.shape[0])
    batches_per_epoch = x_train.shape[0] // args.batch
    start = time.perf_counter()
    for step in range(args.steps):
        i = step % batches_per_epoch
        rows = order[i * args.batch : (i + 1) * args.batch]
        # The batch: rows split evenly over the devices (across hosts, each
        # process passes only its share and gets the global batch back).
        xb, yb = jaxnn.shard_batch((local(x_train[rows]), local(y_train[rows])), mesh)
        params, opt_state, loss = train_step(params, opt_state, xb, yb)
        if step == 0:
            jax.block_until_ready(params)
            compiled = time.perf_counter()
        if step % 50 == 0 or step == args.steps - 1:
            print(f"step {step:4d}  loss {float(loss):.4f}")
    jax.block_until_ready(params)
    end = time.perf_counter()

    # The promises: params replicated, outputs sharded like the inputs.
    assert all(a.sharding.is_fully_replicated for a in jax.tree.leaves(params))
    n_test = x_test.shape[0] - x_test.shape[0] % n_dev  # a multiple of n_dev
    xt, yt = jaxnn.shard_batch((local(x_test[:n_test]), local(y_test[:n_test])), mesh)
    assert jaxnn.mlp(params, xt).sharding.is_equivalent_to(xt.sharding, xt.ndim)
    acc = float(accuracy(params, xt, yt))
    print(f"held-out accuracy {acc:.4f} on {n_test} images")
    steady = (end - compiled) / max(args.steps - 1, 1)
    print(
        f"first step (with compile) {compiled - start:.2f} s, then "
        f"{steady * 1e3:.2f} ms/step"
    )


if __name__ == "__main__":
    main()
