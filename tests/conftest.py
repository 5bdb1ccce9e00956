"""Strict test configuration: rank promotion raises, warnings are errors."""

import jax
import pytest

jax.config.update("jax_numpy_rank_promotion", "raise")


@pytest.fixture
def key() -> jax.Array:
    """A fresh PRNG key for each test."""
    return jax.random.key(0)
