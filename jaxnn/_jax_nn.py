"""jaxnn beside jax.nn: the kernels re-exported from it, and every difference.

``DIFFERENCES`` lists every behaviour of a jaxnn function that differs from
the ``jax.nn`` function of the same name (the docs' "Coming from jax.nn" page
renders it). The attention and scaled-matmul kernels below are jax.nn's own.

Those kernels are outside jaxnn's subject (elementwise functions and small
networks): jaxnn re-exports them so that ``import jaxnn as nn`` keeps working
in code that calls them. Each is a thin wrapper that calls ``jax.nn``'s function with
the arguments as given and has its signature (read from the installed JAX, so
it follows JAX's releases); ``jax.nn``'s documentation is the reference.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax

__all__ = [
    "DIFFERENCES",
    "Difference",
    "dot_product_attention",
    "get_scaled_dot_general_config",
    "scaled_dot_general",
    "scaled_matmul",
]


def _signature_of(target: Callable[..., Any]) -> Callable[[Callable[..., Any]], Any]:
    """Gives the decorated wrapper ``target``'s signature and a link back to it."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.__signature__ = inspect.signature(target)  # type: ignore[attr-defined]
        fn.__wrapped__ = target  # type: ignore[attr-defined]
        return fn

    return decorate


@_signature_of(jax.nn.dot_product_attention)
def dot_product_attention(*args: Any, **kwargs: Any) -> Any:
    """Scaled dot-product attention: ``jax.nn.dot_product_attention`` itself.

    jaxnn re-exports JAX's kernel (XLA, or cuDNN's fused attention on NVIDIA
    GPUs) unchanged, with its signature; see ``jax.nn.dot_product_attention``
    for the arguments. Shapes are ``(batch, length, heads, head_dim)``.

    Examples:
        >>> q = jnp.ones((1, 3, 2, 4))
        >>> jaxnn.dot_product_attention(q, q, q).shape
        (1, 3, 2, 4)
    """
    return jax.nn.dot_product_attention(*args, **kwargs)


@_signature_of(jax.nn.scaled_matmul)
def scaled_matmul(*args: Any, **kwargs: Any) -> Any:
    """Block-scaled matrix product: ``jax.nn.scaled_matmul`` itself.

    jaxnn re-exports JAX's kernel unchanged, with its signature; see
    ``jax.nn.scaled_matmul``. It runs where JAX implements it (cuDNN on
    NVIDIA GPUs; not on the CPU).

    Examples:
        >>> a = jax.ShapeDtypeStruct((1, 8, 32), jnp.float8_e4m3fn)
        >>> s = jax.ShapeDtypeStruct((1, 8, 1), jnp.float8_e8m0fnu)
        >>> jax.eval_shape(jaxnn.scaled_matmul, a, a, s, s).shape
        (1, 8, 8)
    """
    return jax.nn.scaled_matmul(*args, **kwargs)


@_signature_of(jax.nn.scaled_dot_general)
def scaled_dot_general(*args: Any, **kwargs: Any) -> Any:
    """Block-scaled ``dot_general``: ``jax.nn.scaled_dot_general`` itself.

    jaxnn re-exports JAX's function unchanged, with its signature; see
    ``jax.nn.scaled_dot_general``.

    Examples:
        >>> dims = (((1,), (0,)), ((), ()))
        >>> jaxnn.scaled_dot_general(jnp.ones((32, 64)), jnp.ones((64, 16)), dims).shape
        (32, 16)
    """
    return jax.nn.scaled_dot_general(*args, **kwargs)


@_signature_of(jax.nn.get_scaled_dot_general_config)
def get_scaled_dot_general_config(*args: Any, **kwargs: Any) -> Any:
    """Block-scaling configuration: ``jax.nn.get_scaled_dot_general_config`` itself.

    jaxnn re-exports JAX's function unchanged, with its signature; see
    ``jax.nn.get_scaled_dot_general_config``.

    Examples:
        >>> jaxnn.get_scaled_dot_general_config("mxfp8").block_size
        32
    """
    return jax.nn.get_scaled_dot_general_config(*args, **kwargs)


class Difference(NamedTuple):
    """One behaviour in which a jaxnn function differs from jax.nn's.

    Attributes:
        function: the function as called, e.g. ``"gelu"`` or
            ``"gelu(approximate=False)"`` (jax.nn's name, with a non-default
            argument where the row is about one).
        quantity: ``"value"``, ``"derivative"`` (with respect to ``x``) or
            ``"input"`` (which inputs are accepted, and what comes out).
        where: the inputs concerned, in words.
        interval: for value and derivative rows, the closed interval of
            float32 inputs ``x`` where the two may differ (``±inf`` and NaN
            rows use ``(v, v)``); ``None`` for input rows.
        example: an input that shows the difference (``None`` for some input
            rows).
        jaxnn: what jaxnn computes there.
        jax_nn: what jax.nn computes there.
        kind: ``"accuracy"`` (jaxnn is within its documented bound of the
            exact value and jax.nn is not), ``"kink"`` (a derivative
            convention at a kink), ``"nan"`` (the derivative at NaN),
            ``"limit"`` (the value or derivative at ``±inf``, where jaxnn
            returns the limit and jax.nn NaN), or ``"input"``.
    """

    function: str
    quantity: str
    where: str
    interval: tuple[float, float] | None
    example: float | None
    jaxnn: str
    jax_nn: str
    kind: str


_INF = math.inf
_NAN = math.nan
_ALL = (-_INF, _INF)
_D = "derivative"

# Every behaviour that differs, on the JAX version jaxnn is tested with;
# tests/test_jax_nn_compat.py checks each row (accuracy rows against mpmath,
# the others against the stated values) and that nothing else differs.
DIFFERENCES: tuple[Difference, ...] = (
    # Kinks: the derivative is taken from the outer piece.
    Difference("leaky_relu", _D, "x = 0", (0.0, 0.0), 0.0,
               "negative_slope", "1", "kink"),
    Difference("hard_tanh", _D, "x = -1", (-1.0, -1.0), -1.0, "0", "1", "kink"),
    Difference("hard_tanh", _D, "x = 1", (1.0, 1.0), 1.0, "0", "1", "kink"),
    Difference("sparse_sigmoid", _D, "x = -1", (-1.0, -1.0), -1.0,
               "0", "1/4 (clip's tie rule)", "kink"),
    Difference("sparse_sigmoid", _D, "x = 1", (1.0, 1.0), 1.0,
               "0", "1/4 (clip's tie rule)", "kink"),
    # The derivative at NaN is NaN, not the slope of one piece.
    Difference("relu", _D, "x = NaN", (_NAN, _NAN), _NAN, "NaN", "0", "nan"),
    Difference("leaky_relu", _D, "x = NaN", (_NAN, _NAN), _NAN,
               "NaN", "negative_slope", "nan"),
    Difference("relu6", _D, "x = NaN", (_NAN, _NAN), _NAN, "NaN", "0", "nan"),
    Difference("hard_sigmoid", _D, "x = NaN", (_NAN, _NAN), _NAN, "NaN", "0", "nan"),
    Difference("hard_tanh", _D, "x = NaN", (_NAN, _NAN), _NAN, "NaN", "1", "nan"),
    Difference("sparse_sigmoid", _D, "x = NaN", (_NAN, _NAN), _NAN,
               "NaN", "0", "nan"),
    # Accuracy: jaxnn within its bound of the exact value, jax.nn not.
    Difference("sigmoid", _D, "|x| >= 1", _ALL, 20.0,
               "e^-|x| / (1 + e^-|x|)^2", "s (1 - s): cancels; 0 from |x| = 17",
               "accuracy"),
    Difference("tanh", "value", "all x", _ALL, 5.907902717590332,
               "1 - 2e / (1 + e), e = e^-2|x|; a polynomial near 0: within 1.5 ulp",
               "XLA's tanh: up to 4.9 ulp", "accuracy"),
    Difference("tanh", _D, "x != 0", _ALL, 10.0,
               "4 e^-2|x| / (1 + e^-2|x|)^2", "1 - tanh^2: cancels; 0 from |x| = 9",
               "accuracy"),
    Difference("softplus", _D, "all x", _ALL, 11.0,
               "sigmoid, within 1.6 ulp", "up to 8 ulp", "accuracy"),
    Difference("log_sigmoid", _D, "all x", _ALL, -8.44,
               "sigmoid(-x), within 2.1 ulp", "up to 8 ulp", "accuracy"),
    Difference("elu", _D, "x <= -1", (-_INF, -1.0), -30.0,
               "alpha e^x", "alpha (expm1(x) + 1): cancels; 0 from x = -17",
               "accuracy"),
    Difference("celu", _D, "x <= -1", (-_INF, -1.0), -30.0,
               "e^(x / alpha)", "expm1(x / alpha) + 1: cancels; 0 from x = -17",
               "accuracy"),
    Difference("selu", _D, "x <= -1", (-_INF, -1.0), -30.0,
               "scale alpha e^x", "cancels like elu's; 0 from x = -17", "accuracy"),
    Difference("gelu", "value", "x <= -1", (-_INF, -1.0), -6.0,
               "x sigmoid(2u), 2u split in two parts", "x (1 + tanh u) / 2: cancels; 0 "
               "from x = -5.4", "accuracy"),
    Difference("gelu", _D, "all x", _ALL, -5.0,
               "within 4 ulp (4 eps at the root)",
               "1 - tanh^2 cancels; 0 or NaN in the tails", "accuracy"),
    Difference("gelu(approximate=False)", "value", "x <= -1", (-_INF, -1.0), -13.1,
               "Gaussian tail from an exact exponent", "erfc rounds x^2 / 2: ~100 "
               "ulp; 0 from x = -13", "accuracy"),
    Difference("gelu(approximate=False)", _D, "x <= -0.5", (-_INF, -0.5), -13.0,
               "within 4 ulp (4 eps at the root)", "~100 ulp; 0 from x = -13",
               "accuracy"),
    Difference("silu", "value", "x <= -80", (-_INF, -80.0), -88.4,
               "x e^x / (1 + e^x)", "0 from x = -88.4", "accuracy"),
    Difference("silu", _D, "all x", _ALL, -91.15,
               "within 2.3 ulp (4 eps at the root)", "s + x s (1 - s): cancels",
               "accuracy"),
    Difference("mish", "value", "x <= -80", (-_INF, -80.0), -88.4,
               "one exponential, no cancellation", "0 from x = -88.4", "accuracy"),
    Difference("mish", _D, "all x", _ALL, -91.15,
               "within 4 ulp (4 eps at the root)", "cancels; 0 in the tail",
               "accuracy"),
    Difference("soft_sign", _D, "x != 0", _ALL, -182.0,
               "1 / (1 + |x|)^2", "autodiff of x / (1 + |x|): up to 270 ulp",
               "accuracy"),
    Difference("squareplus", "value", "x < 0", (-_INF, 0.0), -177.0,
               "b / (2 (sqrt(x^2 + b) - x))", "(x + sqrt(x^2 + b)) / 2: cancels",
               "accuracy"),
    Difference("squareplus", _D, "x < 0", (-_INF, 0.0), -191.75,
               "b / (2 (b + |x| (|x| + s)))", "(1 + x / s) / 2: cancels", "accuracy"),
    Difference("hard_silu", _D, "x near -3/2, the root", (-1.6, -1.4), -1.5,
               "(2x + 3) / 6: 0 at -1.5", "x / 6 + hard_sigmoid(x): 7.5e-9 at -1.5",
               "accuracy"),
    Difference("log1mexp", _D, "0 < x <= 1", (0.0, 1.0), 0.03218763321638107,
               "e^-x / -expm1(-x), accurate expm1", "1 / expm1(x): up to 5 ulp",
               "accuracy"),
    # ±inf: jaxnn returns the limit, jax.nn NaN (0 * inf or inf / inf).
    Difference("gelu", "value", "x = -inf", (-_INF, -_INF), -_INF, "0", "NaN", "limit"),
    Difference("gelu", _D, "x = -inf", (-_INF, -_INF), -_INF, "0", "NaN", "limit"),
    Difference("gelu", _D, "x = +inf", (_INF, _INF), _INF, "1", "NaN", "limit"),
    Difference("silu", "value", "x = -inf", (-_INF, -_INF), -_INF, "0", "NaN", "limit"),
    Difference("silu", _D, "x = -inf", (-_INF, -_INF), -_INF, "0", "NaN", "limit"),
    Difference("silu", _D, "x = +inf", (_INF, _INF), _INF, "1", "NaN", "limit"),
    Difference("mish", "value", "x = -inf", (-_INF, -_INF), -_INF, "0", "NaN", "limit"),
    Difference("mish", _D, "x = -inf", (-_INF, -_INF), -_INF, "0", "NaN", "limit"),
    Difference("mish", _D, "x = +inf", (_INF, _INF), _INF, "1", "NaN", "limit"),
    Difference("soft_sign", "value", "x = -inf", (-_INF, -_INF), -_INF,
               "-1", "NaN", "limit"),
    Difference("soft_sign", "value", "x = +inf", (_INF, _INF), _INF,
               "1", "NaN", "limit"),
    Difference("soft_sign", _D, "x = -inf", (-_INF, -_INF), -_INF, "0", "NaN", "limit"),
    Difference("soft_sign", _D, "x = +inf", (_INF, _INF), _INF, "0", "NaN", "limit"),
    Difference("squareplus", "value", "x = -inf", (-_INF, -_INF), -_INF,
               "0", "NaN", "limit"),
    Difference("squareplus", _D, "x = -inf", (-_INF, -_INF), -_INF,
               "0", "NaN", "limit"),
    Difference("squareplus", _D, "x = +inf", (_INF, _INF), _INF, "1", "NaN", "limit"),
    Difference("sparse_plus", _D, "x = -inf", (-_INF, -_INF), -_INF,
               "0", "NaN", "limit"),
    Difference("sparse_plus", _D, "x = +inf", (_INF, _INF), _INF, "1", "NaN", "limit"),
    Difference("hard_silu", "value", "x = -inf", (-_INF, -_INF), -_INF,
               "0", "NaN", "limit"),
    # Inputs.
    Difference("log1mexp", _D, "x < 0 (where the value is NaN)", (-_INF, -1e-45),
               -1.0, "NaN", "1 / expm1(x)", "input"),
    Difference("sigmoid", "input", "integer or bool x", None, None,
               "float32 (float64 for 64-bit integers)", "TypeError", "input"),
    Difference("silu", "input", "integer or bool x", None, None,
               "float32 (float64 for 64-bit integers)", "TypeError", "input"),
    Difference("glu", "input", "integer or bool x", None, None,
               "float32 (float64 for 64-bit integers)", "TypeError", "input"),
    Difference("log_sigmoid", "input", "bool x", None, None, "float32", "TypeError",
               "input"),
    Difference("log1mexp", "input", "bool x", None, None, "float32", "TypeError",
               "input"),
    Difference("hard_tanh", "input", "unsigned integer x = 0", None, 0.0,
               "0", "the dtype's largest value (-1 wraps around)", "input"),
    Difference("gelu", "input", "approximate not a bool or int (e.g. 'tanh')",
               None, None, "TypeError", "any truthy value means True", "input"),
    Difference("glu", "input", "scalar x, or an odd size along axis", None, None,
               "ValueError naming the shape", "IndexError or AssertionError",
               "input"),
    Difference("sparse_sigmoid", "input", "complex x", None, None,
               "TypeError", "ValueError from clip", "input"),
    Difference("squareplus", _D, "x = 0 with b = 0 (relu)", None, 0.0,
               "0 (relu's convention)", "NaN", "input"),
    # The output layer: reductions over an axis, so no interval or example;
    # tests/test_jax_nn_compat.py checks each row by its `where`.
    Difference("logsumexp", "value", "one term dominates: the others sum "
               "below eps of it", None, None,
               "m + log1p(rest), within 3 ulp: [0, -20] gives 2.06e-9",
               "m + log(sum): the small terms are lost, 0", "accuracy"),
    Difference("log_softmax", "value", "the largest entry, when the others "
               "sum below eps of it", None, None,
               "-log1p(rest): [0, -20] gives -2.06e-9 at 0",
               "0: the small terms are lost", "accuracy"),
    Difference("standardize", "value", "mean large against the spread",
               None, None,
               "shifted two-pass: 1e4 + [1, 2, 3] gives [-1.22, 0, 1.22]",
               "mean(x^2) - mean(x)^2 cancels: [-316, 0, 316]", "accuracy"),
    Difference("standardize", "value", "|x| above 1.8e19 in float32 (x^2 "
               "overflows)", None, None,
               "scaled by a power of two: [1e20, -1e20, 0] gives [1.22, -1.22, 0]",
               "0", "accuracy"),
    Difference("softmax", "value", "a row whose entries are all -inf", None,
               None, "0, as for a row that where= masks entirely", "NaN",
               "limit"),
    Difference("log_softmax", "value", "a row whose entries are all -inf",
               None, None, "-inf, as for a row that where= masks entirely",
               "NaN", "limit"),
)  # fmt: skip
