"""The nonparametric bootstrap of the logistic fit, sharded over devices.

Each resample is a set of frequency weights (how often each row was drawn),
so the data are never copied per resample; all fits run as one ``vmap`` of
the traceable fit of :mod:`jaxnn._logistic_core`, on the full data's
whitened design, warm-started from the full-data estimate, with the resample
axis split over a :class:`jax.sharding.Mesh`. Resample ``i`` is drawn from
``jax.random.fold_in(key, i)`` alone, so it is the same on any number of
devices and for any ``n_resamples`` larger than ``i``.
"""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from jax.typing import ArrayLike

from jaxnn._checks import check_key
from jaxnn._logistic_checks import (
    check_l2,
    checked_fit,
    checks_only,
    explain,
    host_shapes,
    raise_for_values,
    refuse_traced,
    too_many_columns,
)
from jaxnn._logistic_core import (
    fit_prepared,
    gram_noise_tol,
    prepare,
    weighted_gram,
    whiten,
)
from jaxnn._logistic_mle import as_count, as_design, check_options
from jaxnn._logistic_results import LogisticBootstrap
from jaxnn._sharding import data_mesh
from jaxnn._solvers import Solver

# Warn when more resamples than this share are left out. Separated resamples
# are the ones whose estimates run off to infinity, i.e. the far tail of the
# bootstrap distribution; once they exceed 2.5%, the tail share of each side
# of a 95% percentile interval, that interval's limit on their side is
# really infinite, not the finite percentile of the resamples kept.
DROPPED_WARN_SHARE = 0.025

# The default Newton-decrement tolerance of a resample, in standard errors:
# 80 times below the Monte Carlo error of a 2.5% percentile of 1000
# resamples (sqrt(0.025 * 0.975 / 1000) / 0.058 = 0.085 standard errors),
# and a Newton step short of the single-fit default.
RESAMPLE_TOL = 1e-3


def resample_counts(key: Array, n: int, dtype: jnp.dtype) -> Array:
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


def resample_key(key: Array, i: ArrayLike) -> Array:
    """The key of resample ``i``: a function of ``(key, i)`` alone."""
    return jax.random.fold_in(key, i)


# At most this many row values (resamples x rows x (columns + 1)) per block of
# resamples fitted at once: 64 MB per float32 intermediate.
BLOCK_VALUES = 2**24


def resample_blocks(n_resamples: int, n_devices: int, row_values: int) -> int:
    """Into how many equal blocks to split the resamples, run one after another.

    The fewest blocks whose size, a multiple of ``n_devices``, keeps a block
    within ``BLOCK_VALUES`` row values (one resample per device at least).
    """
    per_device = n_resamples // n_devices
    for blocks in range(1, per_device + 1):
        size = n_resamples // blocks
        if per_device % blocks == 0 and size * row_values <= BLOCK_VALUES:
            return blocks
    return per_device


def _bootstrap(
    key: Array,
    x: Array,
    y: Array,
    l2: Array,
    start: Array,
    solver: Solver,
    tol: ArrayLike,
    max_iter: ArrayLike,
    sharding: NamedSharding,
    n_resamples: int,
    blocks: int,
) -> LogisticBootstrap:
    x, y = as_design(x, y)
    n, d = x.shape
    dtype = x.dtype
    tol = jnp.asarray(tol, dtype)
    tol = jnp.where(tol > 0, tol, RESAMPLE_TOL)
    # Resamples run in blocks, one after another (lax.map), each block a vmap
    # sharded over the mesh: one vmap of all of them would hold n_resamples
    # copies of every per-row intermediate (1000 resamples of a million rows
    # is tens of GB). The blocks partition 0..n_resamples-1 in order.
    index = jax.lax.with_sharding_constraint(
        jnp.arange(n_resamples, dtype=jnp.uint32).reshape(blocks, -1),
        NamedSharding(sharding.mesh, PartitionSpec(None, *sharding.spec)),
    )
    prep = prepare(x, jnp.ones((n,), dtype), l2.astype(dtype))
    rank_tol = gram_noise_tol(d + 1, dtype)

    def one(i: Array) -> LogisticBootstrap:
        c = resample_counts(resample_key(key, i), n, dtype)
        # A resample can lose a column's variation (a rare category not
        # drawn): check its own Gram matrix on the whitened columns.
        gram = (weighted_gram(prep.design, c) + 4.0 * prep.penalty) / n
        _, dependent, _ = whiten(gram, rank_tol)
        f, _ = fit_prepared(
            prep._replace(dependent=dependent),
            y,
            c,
            solver=solver,
            tol=tol,
            max_iter=max_iter,
            start=start.astype(dtype),
            stderr=False,
        )
        return LogisticBootstrap(
            f.weight,
            f.bias,
            f.log_likelihood,
            f.iterations,
            f.converged,
            f.separated,
            f.rank_deficient,
        )

    out = jax.lax.map(jax.vmap(one), index)
    return jax.tree.map(
        lambda a: jax.lax.with_sharding_constraint(
            a.reshape(n_resamples, *a.shape[2:]), sharding
        ),
        out,
    )


_bootstrap_jit = jax.jit(
    _bootstrap, static_argnames=("solver", "sharding", "n_resamples", "blocks")
)


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
    axis over the mesh (by default every local device). Resample ``i``
    depends only on ``key`` and ``i`` (it is drawn from
    ``jax.random.fold_in(key, i)``), so the same key gives the same resamples
    on one device or eight.

    Args:
        key: a PRNG key, such as ``jax.random.key(0)``.
        x: features, shape ``(n,)`` or ``(n, d)`` (checked as in
            :func:`fit_logistic`).
        y: labels 0 or 1, shape ``(n,)``.
        n_resamples: the number of bootstrap resamples.
        l2: ridge penalty, as in :func:`fit_logistic`.
        solver: as in :func:`fit_logistic`.
        tol: as in :func:`fit_logistic` for the full data; for the resamples
            the default is ``1e-3`` standard errors, far below the Monte
            Carlo error of a percentile interval.
        max_iter: as in :func:`fit_logistic`.
        mesh: a one-axis mesh to spread resamples over; ``n_resamples``
            must be a multiple of its size. Default: the local devices, as
            many of them as divide ``n_resamples`` evenly (all of them when
            their count divides it).

    Returns:
        A :class:`LogisticBootstrap`, every field sharded along axis 0 over
        ``mesh``. Resamples that are separated, rank-deficient or did not
        converge are flagged and left out of its intervals; a
        ``UserWarning`` says so when they are more than 2.5% of the
        resamples (beyond that share, the side of a 95% percentile interval
        they fall on is really unbounded).

    Raises:
        ValueError: as :func:`fit_logistic`, for the full data.
        SeparationError: the full data are separated (so is every resample).
        TypeError: ``key`` is not a PRNG key, or the call is inside ``jit``,
            ``vmap`` or ``grad`` (use :func:`logistic_mle` there).

    Examples:
        >>> import jaxnn.datasets
        >>> size, spread = jaxnn.datasets.tumor()
        >>> boot = jaxnn.bootstrap_logistic(
        ...     jax.random.key(0), size, spread, n_resamples=200
        ... )
        >>> boot.weight.shape, boot.weight_ci().shape
        ((200, 1), (1, 2))
    """
    refuse_traced("bootstrap_logistic", key, x, y, l2)
    check_key(key)
    max_iter_a, tol_a = check_options(solver, max_iter, tol)
    l2 = check_l2(l2)
    count = as_count(n_resamples)
    if count is None:
        raise ValueError(
            f"n_resamples: expected a positive integer, got {n_resamples!r}"
        )
    x, y = host_shapes(x, y)
    if mesh is None:
        # JAX shards an axis only evenly: spread over the most local devices
        # whose count divides n_resamples (all of them for the usual 2^k).
        devices = jax.local_devices()
        k = max(k for k in range(1, len(devices) + 1) if count % k == 0)
        mesh = data_mesh(devices[:k])
    if count % mesh.size:
        raise ValueError(
            f"n_resamples: expected a multiple of the mesh's {mesh.size} devices "
            f"(so the resamples shard evenly), got {count}"
        )
    sharding = NamedSharding(mesh, PartitionSpec(mesh.axis_names[0]))
    n, d = x.shape[0], (x.shape[1] if x.ndim == 2 else 1)
    if d >= n and l2 == 0:
        raise_for_values(np.asarray(checks_only(x, y)), x, y)
        raise ValueError(too_many_columns(n, d))
    # The full-data fit first (the same compiled call as fit_logistic): no
    # thousand fits of data that have a NaN in them or are separated, and
    # every resample starts from its estimate.
    fit, status, diag = checked_fit(x, y, np.float64(l2), solver, tol_a, max_iter_a)
    status = np.asarray(status)
    raise_for_values(status, x, y)
    explain("bootstrap_logistic", fit, status, diag, x, y, l2)
    # Every resample starts from the full-data estimate, a few Newton steps
    # from its own: about half the iterations (the same whitened coordinates).
    start = diag.phi if bool(fit.converged) else np.zeros(d + 1)
    out = _bootstrap_jit(
        key,
        x,
        y,
        np.float64(l2),
        start,
        solver,
        tol_a,
        max_iter_a,
        sharding,
        count,
        resample_blocks(count, mesh.size, n * (d + 1)),
    )
    _warn_dropped(out)
    return out


def _warn_dropped(out: LogisticBootstrap) -> None:
    drops = out.dropped()
    total = sum(drops.values())
    count = out.weight.shape[0]
    if total > DROPPED_WARN_SHARE * count:
        why = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in drops.items() if v)
        warnings.warn(
            f"bootstrap_logistic: {total} of {count} resamples "
            f"({100 * total / count:.1f}%) have no estimate and are left out "
            f"of the intervals ({why}). Above 2.5%, the tail share of each "
            "side of a 95% interval, separated resamples (whose estimates run "
            "off to infinity) make the percentile limit on their side "
            "unbounded, so the interval computed from the rest is too narrow; "
            "consider l2 > 0 or more data",
            UserWarning,
            stacklevel=2,
        )
