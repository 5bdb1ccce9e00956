"""Sphinx configuration for the jaxnn documentation.

Build with ``sphinx-build -W -n -E docs docs/_build/html``. Every Markdown page
is executed by MyST-NB on every build, and a cell that raises fails the build.
The build needs no network: MathJax is vendored in ``_static/mathjax`` and no
intersphinx inventory is downloaded.
"""

from __future__ import annotations

import inspect
import os
import re
import sys
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.errors import SphinxError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The pages' kernels import jaxnn from the source tree too. (They draw with
# matplotlib's inline backend, which renders with Agg: no display needed.)
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
)

import jaxnn
import jaxnn.datasets

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
    "sphinx_copybutton",
]

exclude_patterns = ["_build", "jupyter_execute", "Thumbs.db", ".DS_Store"]
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

# -- autodoc / autosummary / napoleon ------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "undoc-members": False}
autodoc_typehints = "signature"
autodoc_member_order = "bysource"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
# NamedTuples document their fields in an "Attributes:" section, which napoleon
# turns into attribute entries; _skip_fields drops autodoc's duplicate entries.
napoleon_use_ivar = False
# Attribute types come from the docstrings, not from the (verbose) annotations.
napoleon_attr_annotations = False
# Show JAX's public names for its types, not their expansion or private home.
_TYPE_REWRITES = [
    (
        re.compile(
            r"~?jax\.jaxlib\._jax\.Array \| ~?numpy\.ndarray \| ~?numpy\.bool"
            r" \| ~?numpy\.number \| bool \| int \| float \| complex"
        ),
        "~jax.typing.ArrayLike",
    ),
    (re.compile(r"~?jax\.jaxlib\._jax\.Array"), "~jax.Array"),
]
add_module_names = False

# -- nitpicky ------------------------------------------------------------------
nitpicky = True  # as -n, so Read the Docs builds with the same strictness
# No intersphinx (no network at build time), so the types of other packages
# cannot be linked. Only those genuinely external names are ignored.
nitpick_ignore_regex = [
    (r"py:.*", r"(jax|jaxlib|optax|numpy|np|collections|os|typing)(\..*)?"),
    (r"py:class", r"(Array|ArrayLike|DTypeLike|Mesh|NamedSharding|Sequence|Callable)"),
]
# Private names that appear in public signatures: the Initializer protocol
# (documented in prose as "init(key, shape, dtype) -> Array") and a TypeVar.
nitpick_ignore = [
    ("py:class", "jaxnn._initializers.Initializer"),
    ("py:class", "jaxnn._sharding.T"),
]

# -- HTML ----------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = f"jaxnn {release}"
html_static_path = ["_static"]
templates_path = ["_templates"]
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


# -- every public name must be in the API reference ----------------------------
class APIReferenceError(SphinxError):
    category = "API reference incomplete"


def _skip_fields(
    app: Sphinx, what: str, name: str, obj: Any, skip: bool, options: Any
) -> bool | None:
    """Skip NamedTuple field accessors: the class's Attributes section has them."""
    if (getattr(obj, "__doc__", None) or "").startswith("Alias for field number"):
        return True
    return None


def _public_names() -> dict[str, Any]:
    names: dict[str, Any] = {}
    for module in (jaxnn, jaxnn.datasets):
        for name in module.__all__:
            names[f"{module.__name__}.{name}"] = getattr(module, name)
    return names


def _short_type_names(
    app: Sphinx,
    what: str,
    name: str,
    obj: Any,
    options: Any,
    signature: str | None,
    return_annotation: str | None,
) -> tuple[str | None, str | None]:
    """Write ``jax.typing.ArrayLike`` and ``jax.Array`` as users spell them."""

    def rewrite(text: str | None) -> str | None:
        if text is None:
            return None
        for pattern, replacement in _TYPE_REWRITES:
            text = pattern.sub(replacement, text)
        return text

    return rewrite(signature), rewrite(return_annotation)


def _resolve_public_names(
    app: Sphinx, env: BuildEnvironment, node: Any, contnode: Any
) -> Any:
    """Resolve ``Dense`` or ``jaxnn._network.Dense`` to the public ``jaxnn.Dense``.

    Type hints name a class by its defining module, and docstrings of other
    modules (``jaxnn.datasets``) by its bare name; both mean the public object.
    """
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    name = target.rsplit(".", 1)[-1]
    if target not in (name, f"jaxnn.{name}") and not target.startswith("jaxnn._"):
        return None
    for module in (jaxnn, jaxnn.datasets):
        if name in module.__all__:
            node = node.deepcopy()
            node["reftarget"] = f"{module.__name__}.{name}"
            domain = env.get_domain("py")
            return domain.resolve_xref(
                env,
                node["refdoc"],
                app.builder,
                node["reftype"],
                node["reftarget"],
                node,
                contnode,
            )
    return None


def _check_api_reference(app: Sphinx, env: BuildEnvironment) -> None:
    """Fail the build when a public name is missing from the API reference.

    A name counts as documented when autodoc described it (it is an object of
    the Python domain) and it has a docstring of its own.
    """
    documented = set(env.get_domain("py").objects)  # type: ignore[attr-defined]
    missing = sorted(n for n in _public_names() if n not in documented)
    bare = sorted(
        qualified
        for qualified, obj in _public_names().items()
        if not (inspect.getdoc(obj) or "").strip()
    )
    problems = []
    if missing:
        problems.append(
            "public names missing from the API reference (add them to "
            f"docs/api/index.md): {', '.join(missing)}"
        )
    if bare:
        problems.append(f"public names without a docstring: {', '.join(bare)}")
    if problems:
        raise APIReferenceError("; ".join(problems))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("autodoc-skip-member", _skip_fields)
    app.connect("autodoc-process-signature", _short_type_names)
    app.connect("missing-reference", _resolve_public_names)
    app.connect("env-check-consistency", _check_api_reference)
    return {"parallel_read_safe": True}
