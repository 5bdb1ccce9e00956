"""The book's MNIST network and the MNIST test set (jaxnn/datasets/_book.py)."""

import gzip
import importlib.resources

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxnn
import jaxnn.datasets
from jaxnn.datasets import _book

# The label counts of the MNIST test set (LeCun et al.), digits 0 to 9.
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def mnist():
    return jaxnn.datasets.mnist_test()


@pytest.fixture(scope="module")
def network():
    return jaxnn.datasets.book_network()


def test_mnist_test_set(mnist):
    images, labels = mnist
    assert images.shape == (10000, 784) and images.dtype == jnp.float32
    assert labels.shape == (10000,) and labels.dtype == jnp.int32
    assert float(images.min()) == 0.0 and float(images.max()) == 1.0
    np.testing.assert_array_equal(labels[:10], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
    np.testing.assert_array_equal(np.bincount(labels, minlength=10), MNIST_TEST_COUNTS)


def test_mnist_raw_and_unflattened(mnist):
    raw, labels = jaxnn.datasets.mnist_test(normalize=False, flatten=False)
    assert raw.shape == (10000, 28, 28) and raw.dtype == jnp.uint8
    np.testing.assert_array_equal(labels, mnist[1])
    np.testing.assert_allclose(
        np.asarray(raw, np.float32).reshape(10000, 784) / 255.0, mnist[0]
    )


def test_mnist_matches_an_independent_read():
    # Skip the first 16 header bytes by hand, as the book's mnist.py does.
    data = importlib.resources.files("jaxnn.datasets").joinpath("data")
    raw = gzip.decompress(data.joinpath("t10k-images-idx3-ubyte.gz").read_bytes())
    assert len(raw) == 16 + 10000 * 784
    expected = np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 784)
    images, _ = jaxnn.datasets.mnist_test(normalize=False)
    np.testing.assert_array_equal(images, expected)


def test_book_network_shapes(network):
    assert len(network) == 3 and all(isinstance(d, jaxnn.Dense) for d in network)
    assert [d.weight.shape for d in network] == [(784, 50), (50, 100), (100, 10)]
    assert [d.bias.shape for d in network] == [(50,), (100,), (10,)]
    assert all(d.weight.dtype == jnp.float32 for d in network)


def _book_predict(network, x):
    """The book's predict() in float64 NumPy: sigmoid, sigmoid, softmax."""
    (w1, b1), (w2, b2), (w3, b3) = [
        (np.asarray(d.weight, np.float64), np.asarray(d.bias, np.float64))
        for d in network
    ]
    a1 = 1.0 / (1.0 + np.exp(-(x @ w1 + b1)))
    a2 = 1.0 / (1.0 + np.exp(-(a1 @ w2 + b2)))
    a3 = a2 @ w3 + b3
    e = np.exp(a3 - a3.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _forward(params, x):
    return jaxnn.mlp(params, x, activation=jaxnn.sigmoid, output=jaxnn.softmax)


def test_book_accuracy_batched_under_jit(mnist, network):
    # The book prints "Accuracy:0.9352" (batch_size = 100).
    images, labels = mnist

    @jax.jit
    def correct(params, x, t):
        y = jax.lax.map(lambda xb: _forward(params, xb), x.reshape(100, 100, 784))
        return jnp.sum(jnp.argmax(y, axis=-1).reshape(-1) == t)

    assert int(correct(network, images, labels)) == 9352


def test_book_accuracy_eager_and_probabilities(mnist, network):
    images, labels = mnist
    probs = _forward(network, images)
    assert probs.shape == (10000, 10)
    assert int(jnp.sum(jnp.argmax(probs, axis=-1) == labels)) == 9352
    reference = _book_predict(network, np.asarray(images[:500], np.float64))
    np.testing.assert_allclose(probs[:500], reference, atol=2e-6)


# --- IDX parsing -------------------------------------------------------------


def _idx(type_code, shape, payload):
    head = bytes([0, 0, type_code, len(shape)])
    return head + b"".join(n.to_bytes(4, "big") for n in shape) + payload


def test_parse_idx_types():
    data = _idx(0x0B, (2, 3), np.arange(6, dtype=">i2").tobytes())
    out = _book._parse_idx(data, source="t")
    np.testing.assert_array_equal(out, np.arange(6).reshape(2, 3))
    assert out.dtype == np.int16 and out.dtype.isnative
    floats = _idx(0x0D, (2,), np.array([1.5, -2.0], ">f4").tobytes())
    np.testing.assert_array_equal(_book._parse_idx(floats, source="t"), [1.5, -2.0])


@pytest.mark.parametrize(
    "data, match",
    [
        (b"\x00\x00", "too short"),
        (b"\x01\x00\x08\x01" + b"\x00" * 8, "must start with two zero bytes"),
        (b"\x00\x00\x07\x01" + b"\x00" * 8, "unknown IDX data type 0x07"),
        (b"\x00\x00\x08\x00", "declares 0 dimensions"),
        (b"\x00\x00\x08\x03" + b"\x00" * 4, "truncated IDX header"),
        (_idx(0x08, (2, 2), b"\x00" * 3), r"\(4 bytes of data\), but the file holds 3"),
        (_idx(0x08, (2,), b"\x00" * 5), r"\(2 bytes of data\), but the file holds 5"),
        (_idx(0x0C, (2,), b"\x00" * 4), r"\(8 bytes of data\)"),
    ],
    ids=[
        "short",
        "magic",
        "type",
        "ndim",
        "header",
        "truncated",
        "trailing",
        "int32",
    ],
)
def test_parse_idx_errors(data, match):
    with pytest.raises(ValueError, match=match):
        _book._parse_idx(data, source="labels.idx")


def test_bad_gzip_is_reported(monkeypatch):
    monkeypatch.setattr(_book, "_data_bytes", lambda name: b"not gzip at all")
    with pytest.raises(ValueError, match="not a readable gzip file"):
        _book._read_gzip_idx("t10k-labels-idx1-ubyte.gz")
