"""The nonparametric bootstrap of the logistic fit, sharded over devices.

Each resample is a set of frequency weights (how often each row was drawn),
so the data are never copied per resample; all fits run as one ``vmap`` of
the traceable fit of :mod:`jaxnn._logistic`, warm-started from the full-data
estimate, with the resample axis split over a :class:`jax.sharding.Mesh`.
"""

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from jax.typing import ArrayLike

from jaxnn._logistic import (
    _as_design,
    _check_l2,
    _check_options,
    _checks_jit,
    _fit,
    _host_shapes,
    _raise_for,
    _standardize,
)
from jaxnn._logistic_results import LogisticBootstrap
from jaxnn._sharding import data_mesh
from jaxnn._solvers import Solver


def _resample_counts(key: Array, n: int, dtype: jnp.dtype) -> Array:
    """How often each of n rows is drawn in n draws with replacement."""
    if n <= 2**15:
        # floor(bits * n / 2**32) in 32-bit arithmetic, split into 16-bit
        # halves: half the random bits of jax.random.randint, the same law up
        # to a bias of n / 2**32.
        bits = jax.random.bits(key, (n,), jnp.uint32)
        hi, lo = bits >> 16, bits & 0xFFFF
        rows = (hi * n + ((lo * n) >> 16)) >> 16
    else:
        rows = jax.random.randint(key, (n,), 0, n)
    return jnp.zeros((n,), jnp.int32).at[rows].add(1).astype(dtype)


def _bootstrap(
    keys: Array,
    x: Array,
    y: Array,
    l2: Array,
    solver: Solver,
    tol: ArrayLike,
    max_iter: ArrayLike,
    sharding: NamedSharding,
) -> LogisticBootstrap:
    x, y = _as_design(x, y)
    n = y.shape[0]
    keys = jax.lax.with_sharding_constraint(keys, sharding)
    mean, scale = _standardize(x)

    l2 = l2.astype(x.dtype)
    # Every resample starts from the full-data estimate, a few Newton steps
    # from its own (when that estimate exists): about half the iterations.
    full = _fit(x, y, None, mean, scale, l2, solver, tol, max_iter)
    start = jnp.concatenate(
        [full.weight * scale, (full.bias + full.weight @ mean)[None]]
    )
    usable = full.converged & ~full.separated & jnp.all(jnp.isfinite(start))
    start = jnp.where(usable, start, jnp.zeros_like(start))

    def one(key: Array) -> LogisticBootstrap:
        counts = _resample_counts(key, n, x.dtype)
        f = _fit(
            x,
            y,
            counts,
            mean,
            scale,
            l2,
            solver,
            tol,
            max_iter,
            start,
            autodiff_hessian=False,
        )
        return LogisticBootstrap(
            f.weight, f.bias, f.log_likelihood, f.iterations, f.converged, f.separated
        )

    out = jax.vmap(one)(keys)
    return jax.tree.map(lambda a: jax.lax.with_sharding_constraint(a, sharding), out)


_bootstrap_jit = jax.jit(_bootstrap, static_argnames=("solver", "sharding"))


def bootstrap_logistic(
    key: Array,
    x: ArrayLike,
    y: ArrayLike,
    *,
    n_resamples: int = 1000,
    l2: float = 0.0,
    solver: Solver = "newton",
    tol: float | None = None,
    max_iter: int | None = None,
    mesh: Mesh | None = None,
) -> LogisticBootstrap:
    """Nonparametric bootstrap of :func:`fit_logistic`: many fits at once.

    Each resample draws n rows with replacement, expressed as frequency
    weights, so x and y are never copied per resample; all fits run as one
    ``vmap`` of the core of :func:`logistic_mle`, sharded along the resample
    axis over the mesh (by default every local device).

    Args:
        key: a PRNG key.
        x: features, shape ``(n,)`` or ``(n, d)`` (checked as in
            :func:`fit_logistic`).
        y: labels 0 or 1, shape ``(n,)``.
        n_resamples: the number of bootstrap resamples.
        l2: ridge penalty, as in :func:`fit_logistic`.
        solver: as in :func:`fit_logistic`.
        tol: as in :func:`fit_logistic`.
        max_iter: as in :func:`fit_logistic`.
        mesh: a one-axis mesh to spread resamples over; ``n_resamples``
            must be a multiple of its size. Default: the local devices, as
            many of them as divide ``n_resamples`` evenly (all of them when
            their count divides it).

    Returns:
        A :class:`LogisticBootstrap`, every field sharded along axis 0 over
        ``mesh``.

    Raises:
        ValueError: as :func:`fit_logistic` (separated resamples do not
            raise: they are flagged in ``separated`` and left out of the
            intervals).

    Examples:
        >>> import jaxnn.datasets
        >>> size, spread = jaxnn.datasets.tumor()
        >>> boot = jaxnn.bootstrap_logistic(
        ...     jax.random.key(0), size, spread, n_resamples=200
        ... )
        >>> boot.weight.shape, boot.weight_ci().shape
        ((200, 1), (1, 2))
    """
    max_iter_a, tol_a = _check_options(solver, max_iter, tol)
    l2 = _check_l2(l2)
    if not (isinstance(n_resamples, int) and n_resamples >= 1):
        raise ValueError(
            f"n_resamples: expected a positive integer, got {n_resamples!r}"
        )
    x, y = _host_shapes(x, y)
    if mesh is None:
        # JAX shards an axis only evenly: spread over the most local devices
        # whose count divides n_resamples (all of them for the usual 2^k).
        devices = jax.local_devices()
        k = max(k for k in range(1, len(devices) + 1) if n_resamples % k == 0)
        mesh = data_mesh(devices[:k])
    if n_resamples % mesh.size:
        raise ValueError(
            f"n_resamples: expected a multiple of the mesh's {mesh.size} devices "
            f"(so the resamples shard evenly), got {n_resamples}"
        )
    sharding = NamedSharding(mesh, PartitionSpec(mesh.axis_names[0]))
    keys = jax.random.split(key, n_resamples)
    # Check first: no thousand fits of data with a NaN in them.
    _raise_for(np.asarray(_checks_jit(x, y)), x, y, l2)
    return _bootstrap_jit(
        keys, x, y, np.float64(l2), solver, tol_a, max_iter_a, sharding
    )
