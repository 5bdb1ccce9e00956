"""jaxnn: the first building blocks of neural networks, done properly in JAX.

Everything public is re-exported here; the implementation lives in private
modules, one topic each (see the README's "Architecture" section).
"""

# [activations] elementwise activations (jaxnn/_activations.py)
from jaxnn._activations import identity as identity
from jaxnn._activations import relu as relu
from jaxnn._activations import sigmoid as sigmoid
from jaxnn._activations import step as step

# [outputs] output-layer functions over an axis (jaxnn/_outputs.py)
from jaxnn._outputs import log_softmax as log_softmax
from jaxnn._outputs import softmax as softmax

# [networks] Dense, init_mlp, mlp, collapse, initializers, diagnostics, io

# [logistic] the logistic model (jaxnn/_logistic.py)

# [sharding] data-parallel placement (jaxnn/_sharding.py)
from jaxnn._sharding import data_mesh as data_mesh
from jaxnn._sharding import replicate as replicate
from jaxnn._sharding import shard_batch as shard_batch

__version__ = "0.1.0"

__all__ = [
    # [activations]
    "identity",
    "relu",
    "sigmoid",
    "step",
    # [outputs]
    "log_softmax",
    "softmax",
    # [networks]
    # [logistic]
    # [sharding]
    "data_mesh",
    "replicate",
    "shard_batch",
]
