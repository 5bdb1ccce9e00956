r"""Elementwise activation functions with accurate values and derivatives.

Each family lives in its own module: ``_sigmoid`` (sigmoid, log_sigmoid,
softplus, log1mexp, tanh, soft_sign, squareplus), ``_piecewise`` (step, the
ReLU family, the hard and sparse functions), ``_elu`` (elu, celu, selu) and
``_gated`` (gelu, silu, mish, glu). ``_core`` assembles each public function
(checks, dtypes, ``custom_jvp``) and ``jaxnn/_numerics.py`` holds the
numerical kernels. The names below are the one list of activations: the
package's ``__all__`` and :func:`jaxnn.activation_names` derive from it.

Every function here has ``jax.nn``'s signature (same parameter names, kinds
and defaults), accepts what ``jax.nn`` accepts and returns the same dtypes
(see ``_core``). Conventions shared by all of them:

* **Kinks.** At a kink the derivative is taken from the piece *outside* the
  open interval where the function is the identity-like piece:
  ``relu'(0) = 0``, ``leaky_relu'(0) = negative_slope``, ``elu'(0) = alpha``,
  ``selu'(0) = scale * alpha``, ``relu6'(0) = relu6'(6) = 0``,
  ``hard_tanh'(±1) = 0``, ``hard_sigmoid'(±3) = 0``, ``hard_silu'(-3) = 0``,
  ``hard_silu'(3) = 1``, ``sparse_sigmoid'(±1) = 0``. This matches PyTorch,
  and makes ``relu`` the ``negative_slope = 0`` case of ``leaky_relu``.
* **NaN.** NaN propagates through every value and every derivative: the
  derivative of a piecewise function at NaN is NaN, not the slope of one of
  its pieces.
* **Accuracy.** In ``float32`` every smooth function and its derivative is
  within 4 ulp of the exact value for ``|x| <= 200`` wherever that value is a
  normal float (within ``4 * eps`` absolutely next to the single root of the
  derivatives of ``silu``, ``gelu`` and ``mish``, where the derivative's two
  terms cancel by at least half; ``python -m tools.accuracy`` prints the
  table, on its grid and between its points, and ``--exhaustive`` checks
  every float32 with ``1/256 <= |x| < 128``: 3.94 ulp at worst, ``mish``'s
  derivative near ``x = -3.77``). ``tanh``'s value is jaxnn's own, within
  1.5 ulp (jax.nn's is XLA's ``tanh``, off by up to 4.9 ulp). These figures
  are XLA's CPU backend's: the kernels use XLA's ``exp`` and ``log1p``, whose
  accuracy other backends may not match (``tools.accuracy`` measures any
  backend). Derivatives come from ``jax.custom_jvp`` rules with their own
  accurate formulas, so ``sigmoid'(87) = 1.6e-38``
  rather than 0, and no derivative is NaN for finite input (except
  ``log1mexp``'s below 0, where the function is NaN too).
* **Extremes.** ``±inf`` maps to the function's limit (``silu(-inf) = 0``).

How jaxnn differs from ``jax.nn`` (the full list, with numbers, is the table
``jaxnn._jax_nn.DIFFERENCES``, which the docs render and
``tests/test_jax_nn_compat.py`` checks row by row):

* kink derivatives: ``leaky_relu'(0)`` (jax.nn: 1), ``hard_tanh'(±1)``
  (jax.nn: 1), ``sparse_sigmoid'(±1)`` (jax.nn: 1/4);
* derivatives at NaN: NaN (jax.nn: 0 or 1 for ``relu``, ``leaky_relu``,
  ``relu6``, ``hard_*``, ``sparse_*``);
* tails, where jaxnn keeps the bits and jax.nn rounds to 0 or cancels: the
  derivatives of sigmoid, tanh, softplus, elu, selu, silu, mish; the values
  and derivatives of gelu (both forms), silu and mish far below 0; the
  derivative of log_sigmoid and squareplus' left tail;
* inputs jax.nn rejects and jaxnn accepts (integers for sigmoid, silu, glu;
  bool for log_sigmoid, log1mexp), ``hard_tanh`` of unsigned integers (jax.nn
  maps 0 to the largest value), the derivative of ``log1mexp`` below 0 (NaN),
  and ``gelu(x, approximate="tanh")`` (a ``TypeError``; jax.nn takes any
  truthy value).
"""

from jaxnn._activations import _elu, _gated, _piecewise, _sigmoid
from jaxnn._activations._elu import *  # noqa: F403
from jaxnn._activations._gated import *  # noqa: F403
from jaxnn._activations._piecewise import *  # noqa: F403
from jaxnn._activations._sigmoid import *  # noqa: F403

# Functions that build an activation rather than being one.
FACTORIES = ("surrogate_step",)

__all__: list[str] = []
__all__ += _elu.__all__
__all__ += _gated.__all__
__all__ += _piecewise.__all__
__all__ += _sigmoid.__all__
