"""Data-parallel placement on a :class:`jax.sharding.Mesh`.

jaxnn adds no scheme of its own: a batch is placed with a
:class:`~jax.sharding.NamedSharding` whose leading (row) axis is split over the
mesh's data axis, and parameters are replicated. ``jit`` then runs every
computation data-parallel and inserts the reductions itself.
"""

from collections.abc import Sequence
from typing import Any, TypeVar

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

T = TypeVar("T")

DATA_AXIS = "data"


def data_mesh(
    devices: Sequence[jax.Device] | None = None, *, axis_name: str = DATA_AXIS
) -> Mesh:
    """A one-dimensional mesh over ``devices`` (default: all devices).

    Args:
        devices: the devices to span; defaults to :func:`jax.devices`, which
            across hosts (after :func:`jax.distributed.initialize`) is every
            device of every process.
        axis_name: the name of the mesh's single (data) axis.

    Returns:
        A :class:`jax.sharding.Mesh` with one axis named ``axis_name``.

    Examples:
        >>> mesh = jaxnn.data_mesh()
        >>> mesh.axis_names
        ('data',)
    """
    devs = jax.devices() if devices is None else list(devices)
    if len(devs) == 0:
        raise ValueError("devices: expected at least one device, got none")
    return Mesh(np.asarray(devs), (axis_name,))


def shard_batch(tree: T, mesh: Mesh | None = None, *, axis_name: str = DATA_AXIS) -> T:
    """Place every array leaf of ``tree`` with its leading axis split over the mesh.

    Args:
        tree: a pytree of arrays whose leading axes are the batch (row) axis.
        mesh: the mesh; defaults to :func:`data_mesh` over all devices.
        axis_name: the mesh axis the rows are split over.

    Returns:
        The same pytree, each leaf a :class:`jax.Array` sharded by rows.

    Examples:
        >>> x = jaxnn.shard_batch(jnp.ones((8, 3)))
        >>> x.sharding.spec
        PartitionSpec('data',)
    """
    mesh = data_mesh(axis_name=axis_name) if mesh is None else mesh
    sharding = NamedSharding(mesh, PartitionSpec(axis_name))

    def place(leaf: Any) -> jax.Array:
        if np.ndim(leaf) == 0:
            raise ValueError(
                "tree: expected arrays with a leading batch axis, got a scalar leaf"
            )
        return jax.device_put(leaf, sharding)

    return jax.tree.map(place, tree)


def replicate(tree: T, mesh: Mesh | None = None) -> T:
    """Place every array leaf of ``tree`` whole on every device of the mesh.

    Args:
        tree: a pytree of arrays (parameters, optimizer state).
        mesh: the mesh; defaults to :func:`data_mesh` over all devices.

    Returns:
        The same pytree, each leaf replicated over the mesh.
    """
    mesh = data_mesh() if mesh is None else mesh
    sharding = NamedSharding(mesh, PartitionSpec())
    return jax.tree.map(lambda leaf: jax.device_put(leaf, sharding), tree)
