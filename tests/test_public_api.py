"""The public surface: every name in ``jaxnn.__all__`` imports and is documented."""

from __future__ import annotations

import importlib
import inspect

import pytest

import jaxnn


def _is_namedtuple_or_exception(obj: object) -> bool:
    if not inspect.isclass(obj):
        return False
    return issubclass(obj, BaseException) or (
        issubclass(obj, tuple) and hasattr(obj, "_fields")
    )


def test_all_has_no_duplicates():
    assert len(jaxnn.__all__) == len(set(jaxnn.__all__))
    assert all(isinstance(name, str) for name in jaxnn.__all__)


@pytest.mark.parametrize("name", sorted(jaxnn.__all__))
def test_public_name_imports_and_is_documented(name):
    module = importlib.import_module("jaxnn")
    assert hasattr(module, name), f"jaxnn.__all__ lists {name!r}, which is missing"
    obj = getattr(module, name)
    # "from jaxnn import name" works too.
    namespace: dict[str, object] = {}
    exec(f"from jaxnn import {name}", namespace)  # a fixed, trusted statement
    assert namespace[name] is obj
    if not callable(obj):
        return
    doc = inspect.getdoc(obj)
    assert doc, f"jaxnn.{name} has no docstring"
    summary = doc.strip().splitlines()[0]
    assert summary.strip(), f"jaxnn.{name}'s docstring has no summary line"
    if not _is_namedtuple_or_exception(obj):
        assert "Examples:" in doc, f"jaxnn.{name}'s docstring has no Examples section"
        assert ">>>" in doc, f"jaxnn.{name}'s Examples section has no doctest"


def test_every_activation_and_jax_nn_name_is_public():
    # The activations are listed once (jaxnn/_activations/__init__.py) and
    # derived here; every activation name and every name of jax.nn is in
    # jaxnn.__all__.
    import jax.nn

    for name in jaxnn.activation_names():
        assert name in jaxnn.__all__, name
    for name in ("surrogate_step", "get_activation", "activation_names"):
        assert name in jaxnn.__all__
    for name in dir(jax.nn):
        if not name.startswith("_"):
            assert name in jaxnn.__all__, f"jax.nn.{name} is not in jaxnn.__all__"
