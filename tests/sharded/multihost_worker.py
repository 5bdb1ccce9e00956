"""One process of a two-process (two-"host") jaxnn run on CPU.

``tests/test_sharding.py`` starts two of these on localhost, each with 4
simulated CPU devices (``XLA_FLAGS=--xla_force_host_platform_device_count=4``)
and CPU collectives over Gloo, so that :func:`jax.distributed.initialize`
builds a global mesh of 8 devices in 2 processes, as on a 2-host pod slice.
Each process loads only its own rows; the checks assert and exit non-zero on
failure.

Usage: ``python multihost_worker.py PROCESS_ID NUM_PROCESSES PORT``.
"""

import sys
import time
from typing import Any


def main(process_id: int, num_processes: int, port: int) -> None:
    import jax

    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.config.update("jax_numpy_rank_promotion", "raise")
    jax.distributed.initialize(
        coordinator_address=f"127.0.0.1:{port}",
        num_processes=num_processes,
        process_id=process_id,
    )
    import numpy as np
    import optax
    from jax.experimental import multihost_utils

    import jaxnn

    tag = f"[process {process_id}]"
    t0 = time.perf_counter()

    def check(cond: bool, msg: str) -> None:
        assert cond, f"{tag} {msg}"
        print(f"ok   {tag} {msg}  [{time.perf_counter() - t0:.1f} s]", flush=True)

    n_dev = jax.device_count()
    n_local = jax.local_device_count()
    check(
        jax.process_count() == num_processes and n_dev == num_processes * n_local,
        f"{num_processes} processes, {n_dev} global devices, {n_local} local",
    )

    # Every process can build the full data set here (so that it can check the
    # answer); a real loader would read only its own rows.
    rng = np.random.default_rng(0)
    n, d_in = 64 * n_dev, 5
    x_full = rng.normal(size=(n, d_in)).astype(np.float32)
    labels_full = rng.integers(0, 3, size=n).astype(np.int32)
    rows = slice(process_id * n // num_processes, (process_id + 1) * n // num_processes)

    mesh = jaxnn.data_mesh()
    check(mesh.shape["data"] == n_dev, "data_mesh() spans every process's devices")
    xs, ls = jaxnn.shard_batch((x_full[rows], labels_full[rows]), mesh)
    check(
        xs.shape == (n, d_in) and not xs.is_fully_addressable,
        f"per-process rows {x_full[rows].shape} become one global array {xs.shape}",
    )
    check(
        all(
            np.array_equal(np.asarray(s.data), x_full[s.index])
            for s in xs.addressable_shards
        ),
        "each local device holds its rows of the global batch",
    )
    try:
        jaxnn.shard_batch(x_full[: n_local + 1], mesh)
    except ValueError as e:
        assert "of this process" in str(e), e
    else:
        raise AssertionError(f"{tag} uneven per-process rows accepted")
    print(f"ok   {tag} uneven per-process rows raise", flush=True)

    # mlp forward: output sharded like the input, equal to a NumPy forward.
    params = jaxnn.init_mlp(jax.random.key(0), (d_in, 16, 3))
    p_rep = jaxnn.replicate(params, mesh)
    y = jaxnn.mlp(p_rep, xs)
    check(y.sharding.spec == xs.sharding.spec, "mlp output sharded like its input")
    y_all = multihost_utils.process_allgather(y, tiled=True)
    h = np.maximum(
        x_full @ np.asarray(params[0].weight) + np.asarray(params[0].bias), 0
    )
    ref = h @ np.asarray(params[1].weight) + np.asarray(params[1].bias)
    np.testing.assert_allclose(y_all, ref, rtol=1e-5, atol=1e-5)
    print(f"ok   {tag} global mlp forward == NumPy forward on all rows", flush=True)

    # An Optax step on the global batch equals the step on one local device.
    opt = optax.sgd(0.1)

    def loss_fn(p: Any, x: Any, labels: Any) -> Any:
        logits = jaxnn.mlp(p, x)
        return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()

    @jax.jit
    def train_step(p: Any, state: Any, x: Any, labels: Any) -> Any:
        loss, grads = jax.value_and_grad(loss_fn)(p, x, labels)
        updates, state = opt.update(grads, state, p)
        return optax.apply_updates(p, updates), state, loss

    dev = jax.local_devices()[0]
    p1, x1, l1 = jax.device_put((params, x_full, labels_full), dev)
    s1 = opt.init(p1)
    p8, s8 = p_rep, jaxnn.replicate(opt.init(params), mesh)
    for _ in range(2):
        p1, s1, _ = train_step(p1, s1, x1, l1)
        p8, s8, loss8 = train_step(p8, s8, xs, ls)
    check(
        all(
            a.sharding.is_fully_replicated and len(a.sharding.device_set) == n_dev
            for a in jax.tree.leaves((p8, loss8))
        ),
        "params stay replicated over all processes' devices",
    )
    for a, b in zip(jax.tree.leaves(p8), jax.tree.leaves(p1), strict=True):
        np.testing.assert_allclose(
            np.asarray(a.addressable_data(0)), np.asarray(b), rtol=1e-5, atol=1e-6
        )
    print(f"ok   {tag} global training step == single-device step", flush=True)

    fit_logistic = getattr(jaxnn, "fit_logistic", None)
    if fit_logistic is None:
        print(f"SKIP {tag} jaxnn.fit_logistic missing", flush=True)
    else:
        xl = x_full[:, :2]
        yl = (x_full[:, 0] - 0.5 * x_full[:, 1] + rng.normal(size=n) > 0).astype(
            np.float32
        )
        fit8 = fit_logistic(*jaxnn.shard_batch((xl[rows], yl[rows]), mesh))
        # The independent reference: float64 Newton-Raphson (IRLS) in NumPy.
        bias, weight, bias_se, weight_se = _np_logistic_mle(np, xl, yl)
        expected = {
            "bias": bias,
            "weight": weight,
            "bias_stderr": bias_se,
            "weight_stderr": weight_se,
        }
        for field, value in expected.items():
            a = getattr(fit8, field)
            check(
                a.sharding.is_fully_replicated and len(a.sharding.device_set) == n_dev,
                f"fit.{field} replicated over all processes' devices",
            )
            np.testing.assert_allclose(
                np.asarray(a.addressable_data(0)), value, rtol=1e-4, err_msg=field
            )
        print(
            f"ok   {tag} global fit_logistic == float64 NumPy maximum likelihood",
            flush=True,
        )
        # The bootstrap recipe of docs/scaling.md: every process fits its own
        # resamples on its own devices (its own key), then they are pooled.
        n_res = 2 * n_local
        key = jax.random.fold_in(jax.random.key(0), jax.process_index())
        boot = jaxnn.bootstrap_logistic(key, xl, yl, n_resamples=n_res)
        check(
            boot.weight.sharding.device_set == set(jax.local_devices()),
            "bootstrap spreads its resamples over this process's devices",
        )
        pooled = multihost_utils.process_allgather(boot.weight, tiled=True)
        mine = np.asarray(boot.weight)
        check(
            pooled.shape == (num_processes * n_res, 2)
            and np.array_equal(
                pooled[process_id * n_res : (process_id + 1) * n_res], mine
            )
            and not np.array_equal(pooled[:n_res], pooled[n_res : 2 * n_res]),
            "process_allgather pools the processes' distinct resamples",
        )
    jax.distributed.shutdown()
    print(f"done {tag}", flush=True)


def _np_logistic_mle(np: Any, x: Any, y: Any) -> tuple[Any, Any, Any, Any]:
    """Logistic MLE by Newton's method in float64: bias, weight and their s.e."""
    a = np.column_stack([np.ones(len(y)), x.astype(np.float64)])
    y = y.astype(np.float64)
    theta = np.zeros(a.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(a @ theta)))
        hess = a.T @ (a * (p * (1.0 - p))[:, None])
        step = np.linalg.solve(hess, a.T @ (y - p))
        theta = theta + step
        if np.max(np.abs(step)) < 1e-12:
            break
    se = np.sqrt(np.diag(np.linalg.inv(hess)))
    return theta[0], theta[1:], se[0], se[1:]


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
