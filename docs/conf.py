"""Sphinx configuration for the jaxnn documentation.

Build with ``python -m sphinx -W -n -E -j auto docs docs/_build/html``. Every
Markdown page is executed by MyST-NB on every build, and a cell that raises
fails the build. The build needs no network: MathJax is vendored in
``_static/mathjax``, and the JAX and Optax inventories that link their names
are written from the installed packages (``_ext/jaxnn_docs.py``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE / "_ext"))
# The pages' kernels import jaxnn from the source tree too. (They draw with
# matplotlib's inline backend, which renders with Agg: no display needed.)
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
)
# The pages run in the kernel spec of docs/_kernels/python3: this Python, with
# the kernel's own log quiet (its "running over TCP without encryption"
# warning, on a kernel that only listens on localhost, is noise in the log).
os.environ["JUPYTER_PATH"] = os.pathsep.join(
    [str(HERE / "_kernels"), *filter(None, [os.environ.get("JUPYTER_PATH")])]
)

import jaxnn_docs

import jaxnn

project = "jaxnn"
author = "The jaxnn authors"
copyright = "2026, The jaxnn authors"
release = jaxnn.__version__
version = release

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "sphinx_copybutton",
    "jaxnn_docs",
]

exclude_patterns = [
    "_build",
    "_ext",
    "_kernels",
    "jupyter_execute",
    "Thumbs.db",
    ".DS_Store",
]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
master_doc = "index"

# -- MyST and MyST-NB ---------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
# Execute every page on every build (no cache to go stale), and fail the build
# when a cell raises: a page's assertions are its claims.
nb_execution_mode = "force"
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_timeout = 240
nb_merge_streams = True
# Markdown that a cell displays is parsed as MyST, so a page can compute a
# list of cross-references (the accuracy page's list of measured functions).
nb_render_markdown_format = "myst"
# Cells that only hold a page's checks are collapsed ("hide-cell", with the
# cell-level prompt "Show the checks"); the reader opens them on demand.
nb_code_prompt_show = "Show code cell {type}"
nb_code_prompt_hide = "Hide code cell {type}"

# -- autodoc / autosummary / napoleon ------------------------------------------
# The API pages are written by jaxnn_docs.generate_api_pages from __all__.
autosummary_generate = False
autodoc_default_options = {"members": True, "undoc-members": False}
autodoc_typehints = "signature"
# Defaults as written in the source (``activation=relu``, which jaxnn_docs
# then spells ``jaxnn.relu``), not their reprs (``<function relu>``).
autodoc_preserve_defaults = True
autodoc_member_order = "bysource"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
# NamedTuples document their fields in an "Attributes:" section, which napoleon
# turns into attribute entries; jaxnn_docs.skip_fields drops autodoc's
# duplicates.
napoleon_use_ivar = False
# Attribute types come from the docstrings, not from the (verbose) annotations.
napoleon_attr_annotations = False
add_module_names = False

# -- cross-references to JAX and Optax, offline --------------------------------
intersphinx_mapping = jaxnn_docs.offline_inventories(HERE / "_build" / "inventories")
intersphinx_timeout = 1

# -- nitpicky ------------------------------------------------------------------
nitpicky = True  # as -n, so Read the Docs builds with the same strictness
# Names outside the two inventories (typing, numpy, the standard library, JAX
# internals that signatures mention, such as the BlockScaleConfig of
# jax.nn.get_scaled_dot_general_config) cannot be linked; only those are
# ignored.
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|jnp|scipy|collections|os|typing|jaxlib)(\..*)?"),
    (r"py:.*", r"jax\.(Device|_src\..*|stages\..*)"),
    (
        r"py:class",
        r"(Array|ArrayLike|DTypeLike|Device|Mesh|NamedSharding|Sequence|Callable"
        r"|PathLike|ndarray|dtype|Any|BlockScaleConfig)",
    ),
]
# Private names that appear in public signatures: the Initializer protocol
# (documented in prose as "init(key, shape, dtype) -> Array") and a TypeVar.
nitpick_ignore = [
    ("py:class", "Initializer"),
    ("py:class", "T"),
]

# -- HTML ----------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = f"jaxnn {release}"
html_static_path = ["_static"]
html_css_files = ["jaxnn.css"]
# After the MathJax configuration (priority 500), before MathJax runs.
html_js_files = [("jaxnn-math.js", {"priority": 510})]
html_favicon = "_static/favicon.svg"
html_context = {"default_mode": "auto"}
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
}
html_last_updated_fmt = None

# MathJax 3.2.2 (Apache-2.0), the single-file SVG build with every TeX
# extension, shipped with the docs: formulas render with networking off.
mathjax_path = "mathjax/tex-svg-full.js"
mathjax3_config = {
    "tex": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processEscapes": True,
    },
}

copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
