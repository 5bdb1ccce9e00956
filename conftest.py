"""Doctest namespace: docstring examples may use ``jax``, ``jnp``, ``np``, ``jaxnn``."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxnn

jax.config.update("jax_numpy_rank_promotion", "raise")


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace: dict) -> None:
    doctest_namespace.update(jax=jax, jnp=jnp, np=np, jaxnn=jaxnn)
