"""jaxnn: the first building blocks of neural networks, done properly in JAX.

Everything public is re-exported here; the implementation lives in private
modules, one topic each (see the README's "Architecture" section).
"""

# [activations] elementwise activations (jaxnn/_activations.py)
from jaxnn._activations import celu as celu
from jaxnn._activations import elu as elu
from jaxnn._activations import gelu as gelu
from jaxnn._activations import hard_sigmoid as hard_sigmoid
from jaxnn._activations import hard_tanh as hard_tanh
from jaxnn._activations import identity as identity
from jaxnn._activations import leaky_relu as leaky_relu
from jaxnn._activations import log_sigmoid as log_sigmoid
from jaxnn._activations import mish as mish
from jaxnn._activations import relu as relu
from jaxnn._activations import relu6 as relu6
from jaxnn._activations import selu as selu
from jaxnn._activations import sigmoid as sigmoid
from jaxnn._activations import silu as silu
from jaxnn._activations import softplus as softplus
from jaxnn._activations import softsign as softsign
from jaxnn._activations import step as step
from jaxnn._activations import surrogate_step as surrogate_step
from jaxnn._activations import swish as swish
from jaxnn._activations import tanh as tanh

# [outputs] output-layer functions over an axis (jaxnn/_outputs.py)
from jaxnn._outputs import log_softmax as log_softmax
from jaxnn._outputs import softmax as softmax
from jaxnn._registry import activation_names as activation_names
from jaxnn._registry import get_activation as get_activation

# [networks] Dense, init_mlp, mlp, collapse, initializers, diagnostics, io
# isort: split
from jaxnn._diagnostics import dead_unit_fraction as dead_unit_fraction
from jaxnn._diagnostics import layer_grad_norms as layer_grad_norms
from jaxnn._initializers import default_initializer as default_initializer
from jaxnn._initializers import glorot_normal as glorot_normal
from jaxnn._initializers import glorot_uniform as glorot_uniform
from jaxnn._initializers import he_normal as he_normal
from jaxnn._initializers import he_uniform as he_uniform
from jaxnn._initializers import lecun_normal as lecun_normal
from jaxnn._initializers import lecun_uniform as lecun_uniform
from jaxnn._io import load as load
from jaxnn._io import register_namedtuple as register_namedtuple
from jaxnn._io import save as save
from jaxnn._network import Dense as Dense
from jaxnn._network import collapse as collapse
from jaxnn._network import init_mlp as init_mlp
from jaxnn._network import mlp as mlp

# [logistic] the logistic model (jaxnn/_logistic*.py, jaxnn/_solvers.py)
from jaxnn._logistic import SeparationError as SeparationError
from jaxnn._logistic import fit_logistic as fit_logistic
from jaxnn._logistic_mle import logistic_mle as logistic_mle
from jaxnn._logistic_bootstrap import bootstrap_logistic as bootstrap_logistic
from jaxnn._logistic_results import LogisticBootstrap as LogisticBootstrap
from jaxnn._logistic_results import LogisticFit as LogisticFit

# [sharding] data-parallel placement (jaxnn/_sharding.py)
from jaxnn._sharding import data_mesh as data_mesh
from jaxnn._sharding import replicate as replicate
from jaxnn._sharding import shard_batch as shard_batch

# [datasets] the embedded data sets, as jaxnn.datasets
from jaxnn import datasets as datasets

__version__ = "0.1.0"

__all__ = [
    # [activations]
    "activation_names",
    "celu",
    "elu",
    "gelu",
    "get_activation",
    "hard_sigmoid",
    "hard_tanh",
    "identity",
    "leaky_relu",
    "log_sigmoid",
    "mish",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "softplus",
    "softsign",
    "step",
    "surrogate_step",
    "swish",
    "tanh",
    # [outputs]
    "log_softmax",
    "softmax",
    # [networks]
    "Dense",
    "collapse",
    "dead_unit_fraction",
    "default_initializer",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "init_mlp",
    "layer_grad_norms",
    "lecun_normal",
    "lecun_uniform",
    "load",
    "mlp",
    "register_namedtuple",
    "save",
    # [logistic]
    "LogisticBootstrap",
    "LogisticFit",
    "SeparationError",
    "bootstrap_logistic",
    "fit_logistic",
    "logistic_mle",
    # [sharding]
    "data_mesh",
    "replicate",
    "shard_batch",
]
