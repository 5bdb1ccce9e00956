"""The benchmark data, read with NumPy alone (the BLAS-side workers import no JAX).

The files are the ones jaxnn ships in ``jaxnn/datasets/data`` (see its
NOTICE.md): the book's trained MNIST network, the MNIST test set and GBSG2.
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent.parent / "jaxnn" / "datasets" / "data"


def book_weights() -> dict[str, np.ndarray]:
    """The book's chapter 3 network: W1, b1, W2, b2, W3, b3 (float32)."""
    with np.load(DATA / "sample_weight.npz", allow_pickle=False) as npz:
        return {name: np.asarray(npz[name], np.float32) for name in npz.files}


def _idx(path: Path, header: int) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    return np.frombuffer(raw, np.uint8, offset=header)


def mnist_test() -> tuple[np.ndarray, np.ndarray]:
    """MNIST's 10,000 test images as float32 in [0, 1], shape (10000, 784),
    and their labels (int64), normalised as the book does (``/ 255``)."""
    images = _idx(DATA / "t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784)
    labels = _idx(DATA / "t10k-labels-idx1-ubyte.gz", 8).astype(np.int64)
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"MNIST files disagree: {images.shape[0]} images, {labels.shape[0]} labels"
        )
    return images.astype(np.float32) / np.float32(255.0), labels


def tumor() -> tuple[np.ndarray, np.ndarray]:
    """GBSG2 as jaxnn's default example reads it: tumour size in cm
    (``tsize / 10``) and 1.0 where ``pnodes >= 4`` else 0.0 (float32)."""
    with (DATA / "gbsg2.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    size = np.array([float(r["tsize"]) / 10.0 for r in rows], np.float32)
    spread = np.array([float(float(r["pnodes"]) >= 4) for r in rows], np.float32)
    return size, spread
