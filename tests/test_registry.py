"""Tests for look-up by name (jaxnn/_registry.py)."""

from __future__ import annotations

import inspect

import jax.numpy as jnp
import numpy as np
import pytest

import jaxnn
from jaxnn import _activations


def test_names_are_the_activations_list_and_the_output_layer():
    # One list of names (jaxnn/_activations/__init__.py), less the factories,
    # plus softmax and log_softmax.
    expected = set(_activations.__all__) - set(_activations.FACTORIES)
    expected |= {"softmax", "log_softmax"}
    assert set(jaxnn.activation_names()) == expected
    assert list(jaxnn.activation_names()) == sorted(expected)
    new = ("log1mexp", "squareplus", "sparse_plus", "sparse_sigmoid", "hard_silu")
    for name in (*new, "hard_swish", "glu", "soft_sign", "softsign"):
        assert name in jaxnn.activation_names()


def test_get_activation():
    assert jaxnn.get_activation("relu") is jaxnn.relu
    assert jaxnn.get_activation("swish") is jaxnn.swish is jaxnn.silu
    f = jaxnn.get_activation("leaky_relu", negative_slope=0.2)
    np.testing.assert_allclose(f(jnp.array([-1.0, 1.0])), [-0.2, 1.0])
    g = jaxnn.get_activation("glu", axis=0)
    assert g(jnp.ones((4, 3))).shape == (2, 3)
    for name in jaxnn.activation_names():
        fn = jaxnn.get_activation(name)
        assert fn is getattr(jaxnn, name)
        x = jnp.array([0.5, 1.5]) if name == "log1mexp" else jnp.array([0.5, -0.5])
        assert fn(x).shape == ((1,) if name == "glu" else (2,))


def test_hyperparameters_are_checked_against_the_signature():
    for name in jaxnn.activation_names():
        params = list(inspect.signature(getattr(jaxnn, name)).parameters)[1:]
        for p in params:
            if p == "approximate":
                value: object = False
            elif p == "axis":
                value = -1
            elif p == "where":
                value = None
            else:
                value = 0.5
            jaxnn.get_activation(name, **{p: value})


def test_get_activation_errors():
    with pytest.raises(ValueError, match="unknown activation 'rleu'") as info:
        jaxnn.get_activation("rleu")
    for name in ("relu", "sigmoid", "gelu", "softmax", "squareplus"):
        assert name in str(info.value)
    with pytest.raises(ValueError, match="negative_slop"):
        jaxnn.get_activation("leaky_relu", negative_slop=0.2)
    with pytest.raises(TypeError, match="string"):
        jaxnn.get_activation(jaxnn.relu)
