"""Weight initialisers: the interface of :mod:`jax.nn.initializers`.

Factories such as :func:`he_normal` return ``init(key, shape, dtype=None)``;
pass one to :func:`jaxnn.init_mlp` (``initializer=he_normal()``), or use it
wherever code expects a :mod:`jax.nn.initializers` initialiser. The draws are
jax.nn's, bit for bit in float32; half precision is drawn in float32 and rounded
once (see ``jaxnn/_initializers.py``). ``zeros``, ``ones``, ``constant`` and
``Initializer`` are jax.nn's own.
"""

# The names are written once, as jaxnn._initializers.__all__.
from jaxnn._initializers import *  # noqa: F403
from jaxnn._initializers import __all__ as __all__
