"""Sphinx extension for jaxnn's documentation.

- The API reference is generated from the public namespaces (``jaxnn.__all__``
  and the ``__all__`` of the submodules in :data:`SUBMODULES`), grouped by
  topic, so a new public name appears without a docs edit, and the build
  fails when a public name has no docstring.
- Signatures read as a user writes them: public names instead of private
  module paths (``jaxnn.Dense``, not ``jaxnn._network.Dense``), defaults as
  written in the source (``activation=jaxnn.relu``, ``dtype=jnp.float32``),
  and the build fails when a signature still shows a private path or a repr.
- Every API page links to the pages that explain it: the pages that mention
  it with a cross-reference (``{func}`jaxnn.sigmoid```), found at build time.
- A small intersphinx inventory of the JAX and Optax names the pages use is
  written from the installed packages, so those names link to their upstream
  documentation without any network access.
"""

from __future__ import annotations

import importlib
import inspect
import re
import types
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.errors import SphinxError
from sphinx.util import logging

import jaxnn

logger = logging.getLogger(__name__)

API_DIR = "api/generated"
# Public submodules documented with their own ``__all__`` (those that exist).
SUBMODULES = ("jaxnn.initializers", "jaxnn.datasets")

# Topics of the API reference: (title, introduction, test on the defining
# module of a name). A name goes to the first topic whose test accepts it;
# names of a module no topic knows go to the last one, "More".
TOPICS: list[tuple[str, str, Callable[[str], bool]]] = [
    (
        "Activations",
        "Elementwise, any shape; floating inputs keep their dtype, integer "
        "and bool inputs are promoted to JAX's default float.",
        lambda m: "activation" in m,
    ),
    (
        "Over an axis",
        "Output-layer functions and normalisers over an axis (the last by default).",
        lambda m: "output" in m or "axis" in m,
    ),
    (
        "Looked up by name",
        "For command lines and configuration files.",
        lambda m: "registry" in m,
    ),
    ("Networks", "", lambda m: "network" in m),
    ("Initializers", "", lambda m: "initializer" in m),
    ("Diagnostics", "", lambda m: "diagnostic" in m),
    ("Parameters on disk", "", lambda m: m.endswith("_io") or "checkpoint" in m),
    (
        "The logistic model",
        "",
        lambda m: "logistic" in m or "solver" in m,
    ),
    ("Sharding", "", lambda m: "sharding" in m),
    (
        "From jax.nn",
        "JAX's own implementations, re-exported so that ``jaxnn`` is a "
        "drop-in for :mod:`jax.nn`.",
        lambda m: m.startswith("jax.") or m == "jax",
    ),
    ("More", "", lambda m: True),
]


class APIReferenceError(SphinxError):
    category = "API reference incomplete"


# -- the public surface --------------------------------------------------------
def submodules() -> list[types.ModuleType]:
    found = []
    for name in SUBMODULES:
        try:
            found.append(importlib.import_module(name))
        except ImportError:
            continue
    return found


def public_names() -> dict[str, Any]:
    """Every documented public name, fully qualified, in ``__all__`` order."""
    names: dict[str, Any] = {}
    modules = [jaxnn, *submodules()]
    for module in modules:
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, types.ModuleType):
                continue  # a submodule: documented under its own name
            names[f"{module.__name__}.{name}"] = obj
    return names


def _defining_module(obj: Any) -> str:
    return str(getattr(obj, "__module__", None) or "")


def _directive(obj: Any) -> str:
    if isinstance(obj, type) and issubclass(obj, BaseException):
        return "autoexception"
    if isinstance(obj, type):
        return "autoclass"
    if callable(obj):
        return "autofunction"
    return "autodata"


def _stub(qualified: str, obj: Any) -> str:
    module, name = qualified.rsplit(".", 1)
    directive = _directive(obj)
    lines = [qualified, "=" * len(qualified), "", f".. currentmodule:: {module}", ""]
    lines.append(f".. {directive}:: {name}")
    if directive in ("autoclass", "autoexception"):
        lines += ["   :members:", "   :show-inheritance:"]
    return "\n".join(lines) + "\n"


def _autosummary(qualified_names: Iterable[str]) -> list[str]:
    lines = [".. autosummary::", "   :toctree: generated", "   :nosignatures:", ""]
    lines += [f"   {name.rsplit('.', 1)[-1]}" for name in qualified_names]
    return [*lines, ""]


def _summary(names: dict[str, Any]) -> str:
    """The body of the API reference: one section per topic, then submodules."""
    groups: dict[str, list[str]] = {title: [] for title, _, _ in TOPICS}
    modules = {m.__name__ for m in submodules()}
    by_submodule: dict[str, list[str]] = {m: [] for m in modules}
    for qualified, obj in names.items():
        owner = qualified.rsplit(".", 1)[0]
        if owner in by_submodule:
            by_submodule[owner].append(qualified)
            continue
        home = _defining_module(obj)
        for title, _, accepts in TOPICS:
            if accepts(home):
                groups[title].append(qualified)
                break
    lines = []
    for title, intro, _ in TOPICS:
        if not groups[title]:
            continue
        lines += [title, "-" * len(title), "", ".. currentmodule:: jaxnn", ""]
        if intro:
            lines += [intro, ""]
        lines += _autosummary(groups[title])
    for module_name, members in by_submodule.items():
        if not members:
            continue
        module = importlib.import_module(module_name)
        title = f"``{module_name}``"
        doc = (inspect.getdoc(module) or "").split("\n\n")[0]
        lines += [title, "-" * len(title), "", f".. module:: {module_name}", ""]
        if doc:
            lines += [doc, ""]
        lines += _autosummary(members)
    return "\n".join(lines)


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def generate_api_pages(app: Sphinx) -> None:
    """Write one stub page per public name, and the grouped summary.

    The summary goes to ``api/generated/summary.rst.inc``, which
    ``api/index.rst`` includes; the stubs are read by autodoc.
    """
    out = Path(app.srcdir) / API_DIR
    out.mkdir(parents=True, exist_ok=True)
    names = public_names()
    wanted = {f"{q}.rst" for q in names}
    for old in out.glob("*.rst"):
        if old.name not in wanted:
            old.unlink()
    for qualified, obj in names.items():
        _write_if_changed(out / f"{qualified}.rst", _stub(qualified, obj))
    _write_if_changed(out / "summary.rst.inc", _summary(names))


def check_api_reference(app: Sphinx, env: BuildEnvironment) -> None:
    """Fail the build when a public name is undocumented.

    A name counts as documented when autodoc described it (it is an object of
    the Python domain) and it has a docstring of its own.
    """
    documented = set(env.get_domain("py").objects)  # type: ignore[attr-defined]
    names = public_names()
    missing = sorted(n for n in names if n not in documented)
    bare = sorted(
        q for q, obj in names.items() if not (inspect.getdoc(obj) or "").strip()
    )
    problems = []
    if missing:
        problems.append(f"public names autodoc did not document: {', '.join(missing)}")
    if bare:
        problems.append(f"public names without a docstring: {', '.join(bare)}")
    if problems:
        raise APIReferenceError("; ".join(problems))


# -- signatures ----------------------------------------------------------------
_DTYPE_LIKE = re.compile(
    r"str \| type\[~?typing\.Any\] \| ~?numpy\.dtype"
    r" \| ~?jax\._src\.typing\.SupportsDType"
)
_ARRAY_LIKE = re.compile(
    r"~?(?:[\w.]*\.)?Array \| ~?(?:numpy\.)?ndarray \| ~?(?:numpy\.)?bool"
    r" \| ~?(?:numpy\.)?number \| bool \| int \| float \| complex"
)
_PRIVATE_JAXNN = re.compile(r"~?jaxnn((?:\.\w+)*)\._\w+((?:\.\w+)*)\.(\w+)")
_DEFAULT_NAME = re.compile(r"(=\s*)([A-Za-z_]\w*)(?=\s*[,)\]]|$)")
# What a signature must never show after rewriting.
FORBIDDEN_IN_SIGNATURES = ("_src", "jaxnn._", "<function", "<class", " at 0x", "<jax")


def _public_home(name: str) -> str | None:
    for module in (jaxnn, *submodules()):
        if name in getattr(module, "__all__", ()):
            return f"{module.__name__}.{name}"
    return None


def _public_type(match: re.Match[str]) -> str:
    home = _public_home(match.group(3))
    return f"~{home}" if home else match.group(3)


def _public_default(match: re.Match[str], namespace: dict[str, Any] | None) -> str:
    prefix, name = match.groups()
    if name in ("None", "True", "False"):
        return match.group(0)
    home = _public_home(name)
    if home:
        return f"{prefix}{home}"
    value = (namespace or {}).get(name, match)
    if isinstance(value, str | int | float | bool):
        return f"{prefix}{value!r}"
    return match.group(0)


def rewrite_signature(
    text: str | None, namespace: dict[str, Any] | None = None
) -> str | None:
    """A signature as a user writes it: public names, no private paths.

    ``namespace`` holds the globals of the function's module, so a default
    written as a private constant (``axis_name=DATA_AXIS``) shows its value.
    """
    if text is None:
        return None
    text = _DTYPE_LIKE.sub("~jax.typing.DTypeLike", text)
    text = _ARRAY_LIKE.sub("~jax.typing.ArrayLike", text)
    text = re.sub(r"~?jax\.jaxlib\._jax\.Array", "~jax.Array", text)
    text = re.sub(r"~?jax\._src\.mesh\.Mesh", "~jax.sharding.Mesh", text)
    text = re.sub(r"~?jaxlib\._jax\.(\w+)", r"~jax.\1", text)
    # A JAX-internal type in a re-exported jax.nn signature: its bare name.
    text = re.sub(r"~?jax\._src\.[\w.]*\.(\w+)", r"\1", text)
    text = _PRIVATE_JAXNN.sub(_public_type, text)
    text = text.replace("Callable[[...], ", "Callable[..., ")
    return _DEFAULT_NAME.sub(lambda m: _public_default(m, namespace), text)


def process_signature(
    app: Sphinx,
    what: str,
    name: str,
    obj: Any,
    options: Any,
    signature: str | None,
    return_annotation: str | None,
) -> tuple[str | None, str | None]:
    namespace = getattr(inspect.unwrap(obj), "__globals__", None)
    signature = rewrite_signature(signature, namespace)
    return_annotation = rewrite_signature(return_annotation, namespace)
    shown = f"{signature or ''} -> {return_annotation or ''}"
    bad = [token for token in FORBIDDEN_IN_SIGNATURES if token in shown]
    if bad:
        logger.warning(
            "the signature of %s shows %s: %s (teach "
            "docs/_ext/jaxnn_docs.py:rewrite_signature its public spelling)",
            name,
            " and ".join(repr(b) for b in bad),
            shown,
        )
    return signature, return_annotation


def skip_fields(
    app: Sphinx, what: str, name: str, obj: Any, skip: bool, options: Any
) -> bool | None:
    """Skip NamedTuple field accessors: the class's Attributes section has them."""
    if (getattr(obj, "__doc__", None) or "").startswith("Alias for field number"):
        return True
    return None


def _documents_jax_object(docname: str) -> bool:
    if not docname.startswith(f"{API_DIR}/"):
        return False
    obj = public_names().get(docname.rsplit("/", 1)[-1])
    return _defining_module(obj).startswith("jax.")


def resolve_public_names(
    app: Sphinx, env: BuildEnvironment, node: Any, contnode: Any
) -> Any:
    """Resolve ``Dense`` or ``jaxnn._network.Dense`` to the public ``jaxnn.Dense``.

    Type hints name a class by its defining module, and docstrings of other
    modules (``jaxnn.datasets``) by its bare name; both mean the public object.
    """
    if node.get("refdomain") != "py":
        return None
    if _documents_jax_object(str(node.get("refdoc", ""))):
        # The page of a function re-exported from jax.nn: its docstring and
        # signature may name JAX internals, which are shown as plain text.
        return contnode
    target = node.get("reftarget", "")
    name = target.rsplit(".", 1)[-1]
    if target.startswith(("jax.jaxlib._jax.", "jaxlib._jax.")):
        # jax.Array's defining module, as annotations of properties name it.
        from sphinx.ext import intersphinx

        node = node.deepcopy()
        node["reftarget"] = f"jax.{name}"
        return intersphinx.missing_reference(app, env, node, contnode)
    if target not in (name, f"jaxnn.{name}") and not target.startswith("jaxnn._"):
        return None
    home = _public_home(name)
    if home is None:
        return None
    node = node.deepcopy()
    node["reftarget"] = home
    return env.get_domain("py").resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], home, node, contnode
    )


# -- code that fits the column -------------------------------------------------
# The widest code line that the theme's text column shows without scrolling
# sideways (checked in a browser by tests/test_docs_browser.py).
MAX_CODE_COLUMNS = 80


def _in_output(node: nodes.Node) -> bool:
    parent = node.parent
    while parent is not None:
        if "cell_output" in parent.get("classes", []):
            return True
        parent = parent.parent
    return False


def check_code_width(app: Sphinx, doctree: nodes.document) -> None:
    """Warn (an error under -W) about shown code wider than the column."""
    if app.env.docname.startswith("api/"):
        return  # docstring examples are checked by the doctests
    for block in doctree.findall(nodes.literal_block):
        if _in_output(block):
            continue  # outputs wrap (docs/_static/jaxnn.css)
        for i, line in enumerate(block.astext().splitlines(), start=1):
            if len(line) > MAX_CODE_COLUMNS:
                logger.warning(
                    "code line %d is %d characters wide, over %d: %s",
                    i,
                    len(line),
                    MAX_CODE_COLUMNS,
                    line.strip()[:60],
                    location=block,
                )


# -- API page <-> the pages that explain it ------------------------------------
def _mentioned_name(node: addnodes.pending_xref) -> str | None:
    if node.get("refdomain") != "py":
        return None
    target = str(node.get("reftarget", "")).lstrip("~.")
    names = public_names()
    if target in names:
        return target
    if target.startswith("jaxnn."):
        home = _public_home(target.rsplit(".", 1)[-1])
        return home if home in names else None
    return None


def _section_of(node: nodes.Node) -> tuple[str, str]:
    """The id and title of the innermost section holding ``node``."""
    parent = node.parent
    while parent is not None and not isinstance(parent, nodes.section):
        parent = parent.parent
    if parent is None:
        return "", ""
    title = parent.next_node(nodes.title)
    return (parent["ids"][0] if parent["ids"] else "", title.astext() if title else "")


def collect_mentions(app: Sphinx, doctree: nodes.document) -> None:
    """Record which narrative page (and section) cross-references which name."""
    env = app.env
    docname = env.docname
    if docname.startswith("api/"):
        return
    if not hasattr(env, "jaxnn_mentions"):
        env.jaxnn_mentions = {}  # type: ignore[attr-defined]
    mentions = env.jaxnn_mentions  # type: ignore[attr-defined]
    for node in doctree.findall(addnodes.pending_xref):
        name = _mentioned_name(node)
        if name is None:
            continue
        anchor, title = _section_of(node)
        places = mentions.setdefault(name, {})
        places.setdefault(docname, (anchor, title))


def purge_mentions(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    for places in getattr(env, "jaxnn_mentions", {}).values():
        places.pop(docname, None)


def merge_mentions(
    app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment
) -> None:
    if not hasattr(env, "jaxnn_mentions"):
        env.jaxnn_mentions = {}  # type: ignore[attr-defined]
    for name, places in getattr(other, "jaxnn_mentions", {}).items():
        mine = env.jaxnn_mentions.setdefault(name, {})  # type: ignore[attr-defined]
        for docname, place in places.items():
            if docname in docnames:
                mine.setdefault(docname, place)


def _reading_order(env: BuildEnvironment) -> list[str]:
    order: list[str] = []

    def visit(doc: str) -> None:
        if doc in order:
            return
        order.append(doc)
        for child in env.toctree_includes.get(doc, []):
            visit(child)

    visit(env.config.root_doc)
    return order


def add_explained_on(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Open every API page with links to the pages that explain its name."""
    if not docname.startswith(f"{API_DIR}/"):
        return
    name = docname.rsplit("/", 1)[-1]
    env = app.env
    places = dict(getattr(env, "jaxnn_mentions", {}).get(name, {}))
    short = name.rsplit(".", 1)[-1]
    import jax.nn

    if not places and "jax_nn" in env.found_docs and hasattr(jax.nn, short):
        places["jax_nn"] = ("", "")
    if not places:
        logger.info("jaxnn: no page explains %s", name)
        return
    order = _reading_order(env)
    ranked = sorted(places, key=lambda d: order.index(d) if d in order else len(order))
    paragraph = nodes.paragraph(classes=["jaxnn-explained"])
    paragraph += nodes.strong(text="Explained on: ")
    for i, target in enumerate(ranked):
        anchor, section = places[target]
        page = env.titles[target].astext() if target in env.titles else target
        text = f"{page} › {section}" if section and section != page else page
        uri = app.builder.get_relative_uri(docname, target)
        if anchor:
            uri += f"#{anchor}"
        if i:
            paragraph += nodes.Text(" · ")
        paragraph += nodes.reference("", text, internal=True, refuri=uri)
    desc = next(doctree.findall(addnodes.desc), None)
    if desc is None:
        return
    content = next(desc.findall(addnodes.desc_content), None)
    if content is not None:
        content.insert(0, paragraph)


# -- an offline inventory of the JAX and Optax names ---------------------------
_JAX_MODULES = (
    "jax",
    "jax.nn",
    "jax.nn.initializers",
    "jax.numpy",
    "jax.random",
    "jax.lax",
    "jax.tree",
    "jax.distributed",
    "jax.experimental.multihost_utils",
)
_OPTAX_PAGES = (
    ("optax._src.alias", "api/optimizers.html", "optax"),
    ("optax._src.update", "api/apply_updates.html", "optax"),
    ("optax._src.base", "api/transformations.html", "optax"),
    ("optax.losses", "api/losses.html", "optax.losses"),
    ("optax._src.loss", "api/losses.html", "optax.losses"),
)


def _entry(name: str, role: str, uri: str) -> str:
    return f"{name} py:{role} 1 {uri} -"


def _role(obj: Any) -> str:
    return "class" if isinstance(obj, type) else "function"


def _public_members(module: types.ModuleType) -> Iterable[tuple[str, Any]]:
    for attr in sorted(getattr(module, "__all__", None) or dir(module)):
        if attr.startswith("_"):
            continue
        obj = getattr(module, attr, None)
        if obj is None or isinstance(obj, types.ModuleType) or not callable(obj):
            continue
        yield attr, obj


def _jax_entries() -> list[str]:
    entries = []
    for module_name in _JAX_MODULES:
        module = importlib.import_module(module_name)
        for attr, obj in _public_members(module):
            full = f"{module_name}.{attr}"
            entries.append(_entry(full, _role(obj), f"_autosummary/{full}.html"))
    for attr in ("Mesh", "NamedSharding", "PartitionSpec", "Sharding"):
        full = f"jax.sharding.{attr}"
        entries.append(_entry(full, "class", f"jax.sharding.html#{full}"))
    for attr in ("ArrayLike", "DTypeLike"):
        full = f"jax.typing.{attr}"
        entries.append(_entry(full, "class", f"jax.typing.html#{full}"))
    entries.append(_entry("jax.typing", "module", "jax.typing.html"))
    entries.append(_entry("jax", "module", "jax.html"))
    for module_name in (
        "jax.nn",
        "jax.nn.initializers",
        "jax.numpy",
        "jax.random",
        "jax.sharding",
    ):
        entries.append(_entry(module_name, "module", f"{module_name}.html"))
    return entries


def _optax_entries() -> list[str]:
    import optax

    entries = [_entry("optax", "module", "index.html")]
    for attr, obj in _public_members(optax):
        home = _defining_module(obj)
        for prefix, page, documented_as in _OPTAX_PAGES:
            if home.startswith(prefix):
                anchor = f"{documented_as}.{attr}"
                role = _role(obj)
                entries.append(_entry(f"optax.{attr}", role, f"{page}#{anchor}"))
                if documented_as != "optax":
                    entries.append(_entry(anchor, role, f"{page}#{anchor}"))
                break
    return entries


def write_inventory(path: Path, project: str, version: str, entries: list[str]) -> None:
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    body = "\n".join(sorted(set(entries))) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header.encode() + zlib.compress(body.encode()))


def offline_inventories(directory: Path) -> dict[str, tuple[str, str]]:
    """Inventories of the installed JAX and Optax, for ``intersphinx_mapping``.

    The addresses are those of the upstream documentation; only the list of
    names comes from the installed packages, so nothing is downloaded.
    """
    import jax
    import optax

    jax_inv = directory / "jax.inv"
    optax_inv = directory / "optax.inv"
    write_inventory(jax_inv, "JAX", jax.__version__, _jax_entries())
    write_inventory(optax_inv, "Optax", optax.__version__, _optax_entries())
    return {
        "jax": ("https://docs.jax.dev/en/latest/", str(jax_inv)),
        "optax": ("https://optax.readthedocs.io/en/latest/", str(optax_inv)),
    }


def setup(app: Sphinx) -> dict[str, Any]:
    # Before autosummary (priority 500) reads the stubs.
    app.connect("builder-inited", generate_api_pages, priority=400)
    app.connect("autodoc-skip-member", skip_fields)
    app.connect("autodoc-process-signature", process_signature)
    app.connect("missing-reference", resolve_public_names)
    app.connect("env-check-consistency", check_api_reference)
    app.connect("doctree-read", collect_mentions)
    app.connect("doctree-read", check_code_width)
    app.connect("env-purge-doc", purge_mentions)
    app.connect("env-merge-info", merge_mentions)
    app.connect("doctree-resolved", add_explained_on)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
