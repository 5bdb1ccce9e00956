"""The book's trained MNIST network and the MNIST test set, shipped as package data.

Both are read with :mod:`importlib.resources` from ``jaxnn/datasets/data/``
(attribution in ``data/NOTICE.md``) without pickle: the network from an
``.npz`` with ``allow_pickle=False``, the images and labels from the gzipped IDX
files that MNIST is distributed in, whose headers are checked.
"""

import functools
import gzip
import importlib.resources
import zlib
from typing import Any

import jax.numpy as jnp
import numpy as np
from jax import Array

from jaxnn._network import Dense

__all__ = ["book_network", "mnist_test"]

_IMAGES = "t10k-images-idx3-ubyte.gz"
_LABELS = "t10k-labels-idx1-ubyte.gz"
_WEIGHTS = "sample_weight.npz"

# IDX type codes (the third byte of the magic number) and their big-endian dtypes.
_IDX_TYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _parse_idx(raw: bytes, *, source: str) -> np.ndarray:
    """Parse an uncompressed IDX file: a 4-byte magic, big-endian dims, data."""
    if len(raw) < 4:
        raise ValueError(
            f"{source}: expected an IDX file, got {len(raw)} bytes (too short for "
            "its 4-byte magic number)"
        )
    zero, zero2, type_code, ndim = raw[0], raw[1], raw[2], raw[3]
    if zero != 0 or zero2 != 0:
        raise ValueError(
            f"{source}: not an IDX file: the magic number must start with two zero "
            f"bytes, got {raw[:4].hex()}"
        )
    if type_code not in _IDX_TYPES:
        raise ValueError(
            f"{source}: unknown IDX data type 0x{type_code:02x}; expected one of "
            + ", ".join(f"0x{c:02x}" for c in _IDX_TYPES)
        )
    if ndim == 0:
        raise ValueError(f"{source}: IDX header declares 0 dimensions")
    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise ValueError(
            f"{source}: truncated IDX header: {ndim} dimensions need {header_len} "
            f"bytes, the file has {len(raw)}"
        )
    shape = tuple(int(n) for n in np.frombuffer(raw, ">u4", ndim, offset=4))
    dtype = _IDX_TYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(raw) - header_len
    if actual != expected:
        raise ValueError(
            f"{source}: IDX header declares shape {shape} of {dtype.name} "
            f"({expected} bytes of data), but the file holds {actual} bytes"
        )
    data = np.frombuffer(raw, dtype, offset=header_len).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def _data_bytes(name: str) -> bytes:
    resource = (
        importlib.resources.files("jaxnn.datasets").joinpath("data").joinpath(name)
    )
    return resource.read_bytes()


def _read_gzip_idx(name: str) -> np.ndarray:
    try:
        raw = gzip.decompress(_data_bytes(name))
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError(f"{name}: not a readable gzip file: {e}") from None
    return _parse_idx(raw, source=name)


@functools.cache
def _mnist_test_numpy() -> tuple[np.ndarray, np.ndarray]:
    images = _read_gzip_idx(_IMAGES)
    labels = _read_gzip_idx(_LABELS)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise ValueError(
            f"{_IMAGES}: expected uint8 images of shape (n, 28, 28), got "
            f"{images.dtype}{images.shape}"
        )
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise ValueError(
            f"{_LABELS}: expected {images.shape[0]} labels to match the images, "
            f"got shape {labels.shape}"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(f"{_LABELS}: expected digits 0-9, got {labels.max()}")
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def mnist_test(*, normalize: bool = True, flatten: bool = True) -> tuple[Array, Array]:
    """The MNIST test set: 10,000 handwritten digits and their labels.

    Read from the IDX files shipped with jaxnn (MNIST by Yann LeCun and Corinna
    Cortes, CC BY-SA 3.0), as the book's ``load_mnist`` reads it.

    Args:
        normalize: scale pixels to [0, 1] as float32 (``x / 255``); if False,
            keep the raw uint8 values 0-255.
        flatten: return each image as a row of 784 pixels; if False, as a
            28 x 28 array.

    Returns:
        ``(images, labels)``: images of shape ``(10000, 784)`` (or
        ``(10000, 28, 28)``), labels of shape ``(10000,)``, int32 digits 0-9.

    Examples:
        >>> images, labels = jaxnn.datasets.mnist_test()
        >>> images.shape, images.dtype, labels[:5]
        ((10000, 784), dtype('float32'), Array([7, 2, 1, 0, 4], dtype=int32))
    """
    images, labels = _mnist_test_numpy()
    if flatten:
        images = images.reshape(images.shape[0], -1)
    x = jnp.asarray(images)
    if normalize:
        x = x.astype(jnp.float32) / 255.0
    return x, jnp.asarray(labels, dtype=jnp.int32)


_BOOK_SHAPES = {
    "W1": (784, 50),
    "b1": (50,),
    "W2": (50, 100),
    "b2": (100,),
    "W3": (100, 10),
    "b3": (10,),
}


def book_network() -> tuple[Dense, Dense, Dense]:
    """The book's trained MNIST network (784-50-100-10), as three :class:`Dense`.

    The chapter 3 ``sample_weight.pkl`` of *Deep Learning from Scratch* (Saito
    Koki, MIT licence), stored without pickle. It is meant for sigmoid hidden
    layers and a softmax output, and classifies the MNIST test set with
    accuracy 0.9352.

    Returns:
        A tuple of three :class:`jaxnn.Dense` with float32 weights of shapes
        ``(784, 50)``, ``(50, 100)`` and ``(100, 10)``.

    Examples:
        >>> params = jaxnn.datasets.book_network()
        >>> images, labels = jaxnn.datasets.mnist_test()
        >>> probs = jaxnn.mlp(params, images, activation=jaxnn.sigmoid,
        ...                   output=jaxnn.softmax)
        >>> int(jnp.sum(jnp.argmax(probs, axis=-1) == labels)) / len(labels)
        0.9352
    """
    resource = (
        importlib.resources.files("jaxnn.datasets").joinpath("data").joinpath(_WEIGHTS)
    )
    with resource.open("rb") as f, np.load(f, allow_pickle=False) as z:
        missing = sorted(set(_BOOK_SHAPES) - set(z.files))
        if missing:
            raise ValueError(f"{_WEIGHTS}: missing arrays {missing}")
        arrays = {name: z[name] for name in _BOOK_SHAPES}
    for name, shape in _BOOK_SHAPES.items():
        if arrays[name].shape != shape or arrays[name].dtype != np.float32:
            raise ValueError(
                f"{_WEIGHTS}: expected {name} to be float32{shape}, got "
                f"{arrays[name].dtype}{arrays[name].shape}"
            )
    w = {name: jnp.asarray(a) for name, a in arrays.items()}
    return (
        Dense(w["W1"], w["b1"]),
        Dense(w["W2"], w["b2"]),
        Dense(w["W3"], w["b3"]),
    )
