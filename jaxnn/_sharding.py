"""Data-parallel placement on a :class:`jax.sharding.Mesh`.

jaxnn adds no scheme of its own: a batch is placed with a
:class:`~jax.sharding.NamedSharding` whose leading (row) axis is split over the
mesh's data axis, and parameters are replicated. ``jit`` then runs every
computation data-parallel and inserts the reductions itself, so the same code
runs on one CPU, on the devices of one machine, and across hosts.

Across hosts (after ``jax.distributed.initialize()``) the mesh spans the
devices of every process; :func:`shard_batch` then takes from each process only
its own rows and assembles them, with
``jax.make_array_from_process_local_data()``, into one global array.
"""

from collections.abc import Sequence
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

DATA_AXIS = "data"
"""The default name of the mesh axis that a batch's rows are split over."""


def data_mesh(
    devices: Sequence[jax.Device] | None = None, *, axis_name: str = DATA_AXIS
) -> Mesh:
    """A one-dimensional mesh over ``devices`` (default: every device).

    Args:
        devices: the devices to span, in order; defaults to ``jax.devices()``,
            which across hosts (after ``jax.distributed.initialize()``) lists
            every device of every process. Pass ``jax.local_devices()`` for a
            mesh over this process's devices only.
        axis_name: the name of the mesh's single (data) axis.

    Returns:
        A :class:`jax.sharding.Mesh` with one axis named ``axis_name`` whose
        size is the number of devices.

    Raises:
        ValueError: if ``devices`` is empty or repeats a device, or
            ``axis_name`` is not a non-empty string.
        TypeError: if an element of ``devices`` is not a :class:`jax.Device`.

    Examples:
        >>> mesh = jaxnn.data_mesh()
        >>> mesh.axis_names
        ('data',)
        >>> mesh.shape["data"] == jax.device_count()
        True
    """
    if not isinstance(axis_name, str) or not axis_name:
        raise ValueError(f"axis_name: expected a non-empty string, got {axis_name!r}")
    devs = jax.devices() if devices is None else list(devices)
    if len(devs) == 0:
        raise ValueError("devices: expected at least one device, got none")
    for d in devs:
        if not isinstance(d, jax.Device):
            raise TypeError(
                f"devices: expected jax.Device objects (from jax.devices()), "
                f"got {d!r} of type {type(d).__name__}"
            )
    if len(set(devs)) != len(devs):
        raise ValueError(f"devices: expected distinct devices, got {devs!r}")
    return Mesh(np.asarray(devs, dtype=object), (axis_name,))


def _check_mesh(mesh: Any, axis_name: str | None) -> Mesh:
    if not isinstance(mesh, Mesh):
        raise TypeError(
            f"mesh: expected a jax.sharding.Mesh (see jaxnn.data_mesh), "
            f"got {type(mesh).__name__}"
        )
    if axis_name is not None and axis_name not in mesh.axis_names:
        raise ValueError(
            f"axis_name: {axis_name!r} is not an axis of the mesh; "
            f"expected one of {mesh.axis_names}"
        )
    return mesh


def shard_batch(
    tree: Any, mesh: Mesh | None = None, *, axis_name: str = DATA_AXIS
) -> Any:
    """Place every array leaf of ``tree`` with its leading axis split over a mesh.

    Each of the mesh's ``n`` devices along ``axis_name`` gets a contiguous
    block of ``rows / n`` rows (the other mesh axes, if any, hold replicas).
    Row counts that do not split evenly raise an error rather than being padded
    silently: padded rows would change a mean or a likelihood.

    On one process the leaves are the whole batch. When the mesh spans devices
    of several processes (after ``jax.distributed.initialize()``), every
    process calls ``shard_batch`` with **its own rows** (the per-host slice of
    the batch its data loader produced); the result is one global array whose
    rows are the processes' rows in process order. Leaves that are already
    global arrays are resharded as they are. Inside ``jit`` it constrains the
    layout with ``jax.lax.with_sharding_constraint()``.

    Args:
        tree: a pytree of arrays whose leading axes are the batch (row) axis,
            for example ``(x, y)``.
        mesh: the mesh; defaults to :func:`data_mesh` over all devices.
        axis_name: the mesh axis the rows are split over.

    Returns:
        The same pytree, each leaf a :class:`jax.Array` with sharding
        ``NamedSharding(mesh, PartitionSpec(axis_name))``.

    Raises:
        ValueError: if a leaf is a scalar, if its row count (on this process)
            is not a multiple of the number of devices it is split over, or if
            ``axis_name`` is not an axis of ``mesh``.

    Examples:
        >>> x, y = jaxnn.shard_batch((jnp.ones((8, 3)), jnp.zeros(8)))
        >>> x.sharding.spec == jax.sharding.PartitionSpec("data")
        True
        >>> x.shape, y.shape
        ((8, 3), (8,))
    """
    mesh = data_mesh(axis_name=axis_name) if mesh is None else mesh
    _check_mesh(mesh, axis_name)
    sharding = NamedSharding(mesh, PartitionSpec(axis_name))
    n_shards = mesh.shape[axis_name]
    multi_process = not sharding.is_fully_addressable
    # Across processes each one supplies only the rows of its own devices.
    n_local = _local_shards(mesh, axis_name) if multi_process else n_shards

    def place(path: Any, leaf: Any) -> jax.Array:
        name = "tree" + jax.tree_util.keystr(path)
        if np.ndim(leaf) == 0:
            raise ValueError(
                f"{name}: expected an array with a leading batch axis, got a scalar"
            )
        if isinstance(leaf, jax.core.Tracer):
            # Inside jit: constrain the layout; the arrays are global already.
            _check_rows(name, leaf.shape[0], n_shards, axis_name, "")
            return jax.lax.with_sharding_constraint(leaf, sharding)
        if isinstance(leaf, jax.Array) and not leaf.is_fully_addressable:
            # Already a global array: reshard it where it lies.
            _check_rows(name, np.shape(leaf)[0], n_shards, axis_name, "")
            return jax.device_put(leaf, sharding)
        rows = np.shape(leaf)[0]
        if not multi_process:
            _check_rows(name, rows, n_shards, axis_name, "")
            return jax.device_put(leaf, sharding)
        _check_rows(name, rows, n_local, axis_name, " of this process")
        return jax.make_array_from_process_local_data(sharding, np.asarray(leaf))

    return jax.tree_util.tree_map_with_path(place, tree)


def _local_shards(mesh: Mesh, axis_name: str) -> int:
    """How many positions along ``axis_name`` hold a device of this process."""
    pid = jax.process_index()
    local = np.vectorize(lambda d: d.process_index == pid, otypes=[bool])(mesh.devices)
    axis = mesh.axis_names.index(axis_name)
    others = tuple(i for i in range(local.ndim) if i != axis)
    return int(np.count_nonzero(local.any(axis=others)))


def _check_rows(name: str, rows: int, n: int, axis_name: str, where: str) -> None:
    if rows % n:
        lower, upper = rows - rows % n, rows + n - rows % n
        raise ValueError(
            f"{name}: its {rows} rows do not split evenly over the {n} devices"
            f"{where} on mesh axis {axis_name!r}; expected a multiple of {n}: "
            f"drop rows to {lower} or pad to {upper} (and weight the padding "
            f"out), or build a mesh over fewer devices"
        )


def replicate(tree: Any, mesh: Mesh | None = None) -> Any:
    """Place every array leaf of ``tree`` whole on every device of the mesh.

    Use it for parameters and optimizer state in data-parallel training. Across
    hosts every process must pass the same values (for example parameters
    initialised from the same key).

    Args:
        tree: a pytree of arrays (parameters, optimizer state).
        mesh: the mesh; defaults to :func:`data_mesh` over all devices.

    Returns:
        The same pytree, each leaf a :class:`jax.Array` with sharding
        ``NamedSharding(mesh, PartitionSpec())``.

    Examples:
        >>> w = jaxnn.replicate(jnp.ones((3, 2)))
        >>> w.sharding.is_fully_replicated
        True
    """
    mesh = data_mesh() if mesh is None else _check_mesh(mesh, None)
    sharding = NamedSharding(mesh, PartitionSpec())

    def place(leaf: Any) -> Any:
        if isinstance(leaf, jax.core.Tracer):
            return jax.lax.with_sharding_constraint(leaf, sharding)
        return jax.device_put(leaf, sharding)

    return jax.tree.map(place, tree)
