"""Weight initialisers: the interface of :mod:`jax.nn.initializers`.

Factories such as :func:`he_normal` return ``init(key, shape, dtype=None)``;
pass one to :func:`jaxnn.init_mlp` (``initializer=he_normal()``), or use it
wherever code expects a :mod:`jax.nn.initializers` initialiser. The draws are
jax.nn's, bit for bit in float32; half precision is drawn in float32 and rounded
once (see ``jaxnn/_initializers.py``). ``zeros``, ``ones``, ``constant`` and
``Initializer`` are jax.nn's own.
"""

from jaxnn._initializers import Initializer as Initializer
from jaxnn._initializers import constant as constant
from jaxnn._initializers import delta_orthogonal as delta_orthogonal
from jaxnn._initializers import glorot_normal as glorot_normal
from jaxnn._initializers import glorot_uniform as glorot_uniform
from jaxnn._initializers import he_normal as he_normal
from jaxnn._initializers import he_uniform as he_uniform
from jaxnn._initializers import kaiming_normal as kaiming_normal
from jaxnn._initializers import kaiming_uniform as kaiming_uniform
from jaxnn._initializers import lecun_normal as lecun_normal
from jaxnn._initializers import lecun_uniform as lecun_uniform
from jaxnn._initializers import normal as normal
from jaxnn._initializers import ones as ones
from jaxnn._initializers import orthogonal as orthogonal
from jaxnn._initializers import truncated_normal as truncated_normal
from jaxnn._initializers import uniform as uniform
from jaxnn._initializers import variance_scaling as variance_scaling
from jaxnn._initializers import xavier_normal as xavier_normal
from jaxnn._initializers import xavier_uniform as xavier_uniform
from jaxnn._initializers import zeros as zeros

__all__ = [
    "Initializer",
    "constant",
    "delta_orthogonal",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_normal",
    "lecun_uniform",
    "normal",
    "ones",
    "orthogonal",
    "truncated_normal",
    "uniform",
    "variance_scaling",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]
