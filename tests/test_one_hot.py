"""Tests for one_hot (jaxnn/_one_hot.py), against jax.nn and NumPy."""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxnn


def numpy_one_hot(x, n, axis=-1):
    x = np.asarray(x)
    out = (x[..., None] == np.arange(n)).astype(np.float32)
    return np.moveaxis(out, -1, axis)


def test_signature_is_jax_nn_signature():
    ours = inspect.signature(jaxnn.one_hot).parameters
    theirs = inspect.signature(jax.nn.one_hot).parameters
    assert [(p.name, p.kind, p.default) for p in ours.values()] == [
        (p.name, p.kind, p.default) for p in theirs.values()
    ]


@pytest.mark.parametrize("axis", [-1, 0, 1, -2, 2])
@pytest.mark.parametrize("dtype", [None, jnp.float16, jnp.int32, jnp.bool_])
def test_matches_jax_nn_and_numpy(axis, dtype):
    # Out-of-range and negative indices encode as zeros (no wrap-around).
    x = jnp.array([[0, 3, -1], [2, 5, -4]])
    ours = jaxnn.one_hot(x, 4, dtype=dtype, axis=axis)
    theirs = jax.nn.one_hot(x, 4, dtype=dtype, axis=axis)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(ours, numpy_one_hot(x, 4, axis))


def test_default_dtype_and_x64():
    assert jaxnn.one_hot(jnp.arange(3), 3).dtype == jnp.float32
    with jax.enable_x64(True):
        assert jaxnn.one_hot(jnp.arange(3), 3).dtype == jnp.float64
        big = jnp.array([2**40, 1], dtype=jnp.int64)
        np.testing.assert_array_equal(jaxnn.one_hot(big, 3), [[0, 0, 0], [0, 1, 0]])


def test_shapes_scalars_lists_and_empty():
    assert jaxnn.one_hot(2, 3).tolist() == [0.0, 0.0, 1.0]
    np.testing.assert_array_equal(jaxnn.one_hot([0, 1], 2), np.eye(2))
    assert jaxnn.one_hot(jnp.zeros((0,), int), 5).shape == (0, 5)
    assert jaxnn.one_hot(jnp.arange(3), 0).shape == (3, 0)
    assert jaxnn.one_hot(jnp.zeros((2, 0), int), 3, axis=0).shape == (3, 2, 0)


def test_wide_class_counts_do_not_wrap():
    # uint8 indices with more than 256 classes: jax.nn compares in uint8, so
    # its iota wraps (class 300 is also "44"); jaxnn compares in int32.
    x = jnp.array([44, 255], dtype=jnp.uint8)
    got = jaxnn.one_hot(x, 301)
    assert got.shape == (2, 301)
    np.testing.assert_array_equal(jnp.argmax(got, axis=1), [44, 255])
    np.testing.assert_array_equal(jnp.sum(got, axis=1), [1.0, 1.0])
    # Large unsigned values are out of range, not negative indices.
    assert float(jnp.sum(jaxnn.one_hot(jnp.array([2**32 - 1], jnp.uint32), 3))) == 0


def test_jit_vmap_and_named_axis():
    x = jnp.array([0, 2, 1])
    f = jax.jit(jaxnn.one_hot, static_argnums=1, static_argnames=("axis",))
    np.testing.assert_array_equal(f(x, 3), jaxnn.one_hot(x, 3))
    np.testing.assert_array_equal(
        jax.vmap(lambda i: jaxnn.one_hot(i, 3))(x), np.eye(3)[[0, 2, 1]]
    )
    # A named axis: the class is the lane's index, num_classes its size.
    lanes = jax.vmap(lambda i: jaxnn.one_hot(i, 3, axis="b"), axis_name="b")(x)
    theirs = jax.vmap(lambda i: jax.nn.one_hot(i, 3, axis="b"), axis_name="b")(x)
    np.testing.assert_array_equal(lanes, theirs)
    np.testing.assert_array_equal(lanes, [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="must equal the size of axis 'b'"):
        jax.vmap(lambda i: jaxnn.one_hot(i, 4, axis="b"), axis_name="b")(x)


def test_floating_indices_are_deprecated_as_in_jax_nn():
    with pytest.warns(DeprecationWarning, match="indices should be integers"):
        got = jaxnn.one_hot(jnp.array([1.0, 2.5]), 3)
    np.testing.assert_array_equal(got, [[0, 1, 0], [0, 0, 0]])


def test_bad_input():
    with pytest.raises(TypeError, match="num_classes must be a concrete Python int"):
        jaxnn.one_hot(jnp.arange(3), 3.0)
    with pytest.raises(TypeError, match="num_classes must be a concrete Python int"):
        jax.jit(jaxnn.one_hot)(jnp.arange(3), 3)
    with pytest.raises(ValueError, match="num_classes must be >= 0"):
        jaxnn.one_hot(jnp.arange(3), -1)
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        jaxnn.one_hot(jnp.arange(3), 3, axis=2)
    with pytest.raises(TypeError, match="real integers"):
        jaxnn.one_hot(jnp.array([1j]), 3)
    with pytest.raises(TypeError, match="array of integer indices"):
        jaxnn.one_hot("0", 3)
