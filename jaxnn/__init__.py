"""jaxnn: the first building blocks of neural networks, done properly in JAX.

Everything public is re-exported here; the implementation lives in private
modules, one topic each (see the README's "Architecture" section).
"""

# [activations] elementwise activations, one list of names in
# jaxnn/_activations/__init__.py (added to __all__ below)
from jaxnn import _activations
from jaxnn._activations import *  # noqa: F403
from jaxnn._jax_nn import dot_product_attention as dot_product_attention
from jaxnn._jax_nn import get_scaled_dot_general_config as get_scaled_dot_general_config
from jaxnn._jax_nn import scaled_dot_general as scaled_dot_general
from jaxnn._jax_nn import scaled_matmul as scaled_matmul

# [outputs] functions over an axis (jaxnn/_outputs.py, _logsumexp.py,
# _standardize.py, _one_hot.py)
from jaxnn._logsumexp import logmeanexp as logmeanexp
from jaxnn._logsumexp import logsumexp as logsumexp
from jaxnn._one_hot import one_hot as one_hot
from jaxnn._outputs import log_softmax as log_softmax
from jaxnn._outputs import softmax as softmax
from jaxnn._standardize import standardize as standardize
from jaxnn._registry import activation_names as activation_names
from jaxnn._registry import get_activation as get_activation

# [networks] Dense, init_mlp, mlp, collapse, initializers, diagnostics, io
# isort: split
from jaxnn._diagnostics import dead_unit_fraction as dead_unit_fraction
from jaxnn._diagnostics import layer_grad_norms as layer_grad_norms
from jaxnn._network import default_initializer as default_initializer
from jaxnn._io import load as load
from jaxnn._io import save as save
from jaxnn._network import Dense as Dense
from jaxnn._network import collapse as collapse
from jaxnn._network import init_mlp as init_mlp
from jaxnn._network import mlp as mlp
from jaxnn import initializers as initializers

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
    # [activations] (and every name of jaxnn/_activations/__init__.py, below)
    "activation_names",
    "get_activation",
    "dot_product_attention",
    "get_scaled_dot_general_config",
    "scaled_dot_general",
    "scaled_matmul",
    # [outputs]
    "log_softmax",
    "logmeanexp",
    "logsumexp",
    "one_hot",
    "softmax",
    "standardize",
    # [networks]
    "Dense",
    "collapse",
    "dead_unit_fraction",
    "default_initializer",
    "init_mlp",
    "initializers",
    "layer_grad_norms",
    "load",
    "mlp",
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
__all__ += _activations.__all__


def __getattr__(name: str) -> object:
    # Any other public name of the installed jax.nn resolves to jax.nn's own
    # object, so that `import jaxnn as nn` keeps working when a JAX release
    # adds a name before jaxnn defines it. Every name of the JAX version jaxnn
    # is tested with is defined above (tests/test_jax_nn_compat.py).
    import jax.nn

    if not name.startswith("_") and hasattr(jax.nn, name):
        return getattr(jax.nn, name)
    raise AttributeError(f"module 'jaxnn' has no attribute {name!r}")
