"""Doctest namespace: docstring examples may use ``jax``, ``jnp``, ``np``, ``jaxnn``."""

import gc
from collections.abc import Iterator

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxnn

jax.config.update("jax_numpy_rank_promotion", "raise")


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace: dict) -> None:
    doctest_namespace.update(jax=jax, jnp=jnp, np=np, jaxnn=jaxnn)


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_programs() -> Iterator[None]:
    """Drops JAX's compiled programs after each test module.

    Every program XLA compiles for the CPU keeps memory mappings of its own
    (about 17 per test here). A process that kept the programs of the whole
    suite would pass Linux's default limit of 65,530 mappings
    (vm.max_map_count), and XLA's compiler then crashes with SIGSEGV instead
    of failing cleanly: it did so, near the end of a single-process run.
    """
    yield
    jax.clear_caches()
    gc.collect()
