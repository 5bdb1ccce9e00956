"""Pytrees to and from ``.npz`` files, bit-exact and without pickle.

The archive holds one ``.npy`` member per array leaf (``leaf_0``, ``leaf_1``,
...) and a header ``__jaxnn__``, UTF-8 JSON stored as a ``uint8`` array, that
lists the tree's nodes and leaves in ``jax.tree_util`` flattening order, each
with its key path (the ``DictKey``, ``SequenceKey``, ``GetAttrKey`` and
``FlattenedIndexKey`` of :func:`jax.tree_util.tree_flatten_with_path`). So any
pytree can be saved: a whole Optax state, Flax NNX state, typed PRNG keys (as
their key data and the name of their implementation). Nothing named in a file
is imported or called: ``load(path, like=tree)`` puts the leaves into the
caller's tree after checking its key paths, shapes and dtypes; ``load(path)``
rebuilds dicts, lists, tuples, ``None`` and jaxnn's own NamedTuples, and any
other node as a dict of its fields or keys (a list if it has neither).

The extended dtypes JAX uses (``bfloat16``, the ``float8`` and ``int4`` kinds)
are stored as unsigned integers of the same width and viewed back, so every
bit, NaN payloads included, round-trips.
"""

import errno
import json
import os
import secrets
import stat
import zipfile
import zlib
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.tree_util import DictKey, FlattenedIndexKey, GetAttrKey, SequenceKey

from jaxnn._logistic_results import LogisticBootstrap, LogisticFit
from jaxnn._network import Dense

__all__ = ["load", "save"]

FORMAT, VERSION, MAX_DEPTH = "jaxnn.params", 2, 100
_HEADER = "__jaxnn__"
_OWN = {f"jaxnn.{c.__name__}": c for c in (Dense, LogisticFit, LogisticBootstrap)}
_KEY_IMPLS = ("threefry2x32", "rbg", "unsafe_rbg")
_SCALARS = {"bool": bool, "int": int, "float": float, "str": str}
_UINT: dict[int, np.dtype[Any]] = {1: np.dtype(np.uint8), 2: np.dtype(np.uint16)}
# The extended dtypes of jax.numpy (ml_dtypes), found by these fixed names.
_EXTENDED = {
    name: np.dtype(getattr(jnp, name))
    for name in dir(jnp)
    if name.startswith(("bfloat16", "float8_", "float4_", "int4", "uint4"))
}
Path = tuple[tuple[str, Any], ...]


def _keystr(path: Path) -> str:
    form = {"k": "[{!r}]", "i": "[{}]", "a": ".{}", "f": "[<flat index {}>]"}
    return "".join(form[tag].format(key) for tag, key in path)


def _entry(key: Any, where: str) -> tuple[str, Any]:
    """A key of a key path as ``(tag, key)``, a JSON pair in the file."""
    if isinstance(key, DictKey) and type(key.key) in (str, int):
        return ("k", key.key)
    if isinstance(key, SequenceKey):
        return ("i", key.idx)
    if isinstance(key, GetAttrKey):
        return ("a", key.name)
    if isinstance(key, FlattenedIndexKey):
        return ("f", key.key)
    raise TypeError(f"{where}: cannot save the key {key!r}; expected str or int keys")


def _flatten(tree: Any, arg: str) -> list[tuple[Path, Any, bool]]:
    """Every node and leaf of ``tree`` in flattening order: (path, value, is_leaf).

    One level at a time through ``jax.tree_util``, so every registered pytree
    node is followed, and a tree nested too deeply is an error, not a
    ``RecursionError``.
    """
    out: list[tuple[Path, Any, bool]] = []
    stack: list[tuple[Path, Any]] = [((), tree)]
    while stack:
        path, node = stack.pop()
        if len(path) > MAX_DEPTH:
            raise ValueError(
                f"{arg}: nested more than {MAX_DEPTH} levels deep, at "
                f"{arg}{_keystr(path[:6])}..."
            )
        kids, _ = jax.tree_util.tree_flatten_with_path(
            node, is_leaf=lambda x, node=node: x is not node
        )
        is_leaf = len(kids) == 1 and kids[0][0] == ()  # None has no children
        out.append((path, node, is_leaf))
        if not is_leaf:
            where = f"{arg}{_keystr(path)}"
            stack.extend(((*path, _entry(k, where)), v) for (k,), v in reversed(kids))
    return out


def _node(node: Any) -> dict[str, str]:
    cls = type(node)
    if node is None or cls in (dict, list, tuple):
        return {"node": "none" if node is None else cls.__name__}
    if _OWN.get(f"jaxnn.{cls.__name__}") is cls:
        return {"node": f"jaxnn.{cls.__name__}"}
    # The name is for a reader of the file; it is never imported.
    return {"node": "other", "name": f"{cls.__module__}.{cls.__qualname__}"}


def _leaf(leaf: Any, where: str, arrays: list[np.ndarray]) -> dict[str, Any]:
    if type(leaf) in _SCALARS.values():
        return {
            "kind": type(leaf).__name__,
            "v": leaf.hex() if type(leaf) is float else leaf,
        }
    spec = {"kind": "jax"}
    if isinstance(leaf, jax.Array) and jax.dtypes.issubdtype(
        leaf.dtype, jax.dtypes.prng_key
    ):
        spec = {"kind": "key", "impl": str(jax.random.key_impl(leaf))}
        if spec["impl"] not in _KEY_IMPLS:
            raise TypeError(f"{where}: PRNG key implementation {spec['impl']!r}")
        leaf = jax.random.key_data(leaf)
    if isinstance(leaf, jax.Array):
        try:
            array = np.asarray(jax.device_get(leaf))
        except jax.errors.TracerArrayConversionError:
            raise TypeError(
                f"{where}: a traced value; save runs outside jit, on concrete arrays"
            ) from None
    elif isinstance(leaf, (np.ndarray, np.generic)):
        spec["kind"] = "numpy" if isinstance(leaf, np.ndarray) else "numpy_scalar"
        array = np.asarray(leaf)
    else:
        raise TypeError(
            f"{where}: cannot save a {type(leaf).__qualname__}; expected arrays, "
            "PRNG keys, or Python bool, int, float or str"
        )
    name = array.dtype.name
    if name in _EXTENDED and array.dtype == _EXTENDED[name]:
        array = array.view(_UINT[array.dtype.itemsize])
    elif array.dtype.kind not in "biufc":
        raise TypeError(
            f"{where}: dtype {array.dtype} cannot be saved; expected a bool, "
            "integer, floating or complex dtype"
        )
    arrays.append(np.asarray(array, array.dtype.newbyteorder("=")))  # native order
    return spec | {"dtype": name, "shape": list(array.shape)}


def save(path: str | os.PathLike[str], tree: Any) -> None:
    """Save a pytree to an ``.npz`` file, exactly and without pickle.

    The file is written to ``path`` as given (no ``.npz`` is appended), through
    a temporary file in the same directory that replaces it only once complete.
    A new file gets the permissions the umask allows (as ``open()`` and
    :func:`numpy.savez` give it), an existing file keeps its own, and a
    symbolic link is followed: its target is replaced.

    Args:
        path: the file to write.
        tree: any pytree (parameters; a training state with an Optax state;
            Flax NNX state) whose leaves are arrays (jax or NumPy; bool,
            integer, floating or complex, ``bfloat16`` included), typed PRNG
            keys, or Python ``bool``, ``int``, ``float`` or ``str``; dict keys
            are ``str`` or ``int``.

    Raises:
        TypeError: if the tree holds something that cannot be saved; the
            message gives its path in the tree.
        ValueError: if the tree is nested more than 100 levels deep.
        FileNotFoundError: if the directory to write into does not exist.

    Examples:
        >>> import os, tempfile
        >>> params = jaxnn.init_mlp(jax.random.key(0), [2, 3, 1])
        >>> path = os.path.join(tempfile.mkdtemp(), "params.npz")
        >>> jaxnn.save(path, params)
        >>> restored = jaxnn.load(path)
        >>> type(restored[0]).__name__, restored[0].weight.shape
        ('Dense', (2, 3))
    """
    arrays: list[np.ndarray] = []
    entries = [
        {"path": keys}
        | (_leaf(value, f"tree{_keystr(keys)}", arrays) if is_leaf else _node(value))
        for keys, value, is_leaf in _flatten(tree, "tree")
    ]
    header = {"format": FORMAT, "version": VERSION, "entries": entries}
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    members = {f"leaf_{i}": a for i, a in enumerate(arrays)}
    members[_HEADER] = np.frombuffer(raw, dtype=np.uint8)
    _write_atomic(os.fspath(path), members)


def _write_atomic(path: str, members: dict[str, Any]) -> None:
    target = os.path.realpath(path)  # through a symbolic link to its target
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            errno.ENOENT, f"cannot save {path!r}: no such directory", directory
        )
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    tmp = os.path.join(directory, f".{os.path.basename(target)}.{secrets.token_hex(4)}")
    # Created 0o666 less the umask, as open() creates a new file.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **members)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _member(path: str, z: Any, name: str) -> np.ndarray:
    if name not in z.files:
        raise ValueError(f"{path}: the archive has no member {name!r}")
    try:
        return np.asarray(z[name])
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as e:
        raise ValueError(f"{path}: corrupt archive member {name!r}: {e}") from None


def _read_header(path: str, z: Any) -> list[dict[str, Any]]:
    if _HEADER not in z.files:
        raise ValueError(
            f"{path}: an .npz archive without a jaxnn header ({_HEADER!r}); not "
            f"written by jaxnn.save (it holds {sorted(z.files)[:8]!r})"
        )
    raw = _member(path, z, _HEADER)
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ValueError(f"{path}: the jaxnn header is not a uint8 byte string")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        why = "nested too deeply" if isinstance(e, RecursionError) else e
        raise ValueError(f"{path}: the jaxnn header is not valid JSON: {why}") from None
    fmt = header.get("format") if isinstance(header, dict) else None
    if fmt != FORMAT:
        raise ValueError(f"{path}: expected format {FORMAT!r}, got {fmt!r:.40}")
    version = header.get("version")
    if type(version) is not int or version < 1:
        raise ValueError(f"{path}: bad format version {version!r:.40}")
    if version != VERSION:
        raise ValueError(
            f"{path}: format version {version} was written by "
            f"{'a newer' if version > VERSION else 'an earlier development'} "
            f"jaxnn; this one reads version {VERSION}"
        )
    entries = header.get("entries")
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path}: the jaxnn header has no 'entries'")
    for spec in entries:
        keys = spec.get("path") if isinstance(spec, dict) else None
        if (
            not isinstance(keys, list)
            or len(keys) > MAX_DEPTH
            or not all(_is_key(k) for k in keys)
            or not isinstance(spec.get("node", ""), str)
        ):
            raise ValueError(f"{path}: malformed header entry {spec!r:.120}")
        spec["path"] = tuple((tag, key) for tag, key in keys)
    return entries


def _is_key(entry: Any) -> bool:
    if not isinstance(entry, list) or len(entry) != 2:
        return False
    tag, key = entry
    if tag in ("i", "f"):
        return type(key) is int and key >= 0
    return (tag == "a" and type(key) is str) or (tag == "k" and type(key) in (str, int))


def _read_leaf(path: str, z: Any, spec: dict[str, Any], n: int) -> Any:
    kind, where = spec.get("kind"), f"leaf {_keystr(spec['path'])!r}"
    if kind in _SCALARS:
        value = spec.get("v")
        if kind == "float" and type(value) is str:
            try:
                return float.fromhex(value)
            except ValueError:
                pass
        elif type(value) is _SCALARS[kind]:
            return value
        raise ValueError(f"{path}: {where}: a {kind} leaf holds {value!r:.80}")
    name, shape = spec.get("dtype"), spec.get("shape")
    if kind not in ("jax", "numpy", "numpy_scalar", "key") or not (
        isinstance(shape, list) and all(type(d) is int and d >= 0 for d in shape)
    ):
        raise ValueError(f"{path}: malformed description of {where}: {spec!r:.120}")
    dtype = _EXTENDED.get(name) if isinstance(name, str) else None
    if dtype is None:
        try:
            dtype = np.dtype(name)
        except TypeError:
            dtype = None
        if dtype is None or dtype.kind not in "biufc" or dtype.name != name:
            raise ValueError(f"{path}: {where} has an unknown dtype {name!r:.40}")
    stored = _UINT[dtype.itemsize] if name in _EXTENDED else dtype
    array = _member(path, z, f"leaf_{n}")
    if array.dtype != stored or list(array.shape) != shape:
        raise ValueError(
            f"{path}: leaf_{n} ({where}) is {array.dtype}{list(array.shape)}, but "
            f"the header says {stored}{shape}"
        )
    array = array.view(dtype)
    if kind in ("numpy", "numpy_scalar"):
        return array if kind == "numpy" else array[()]
    if jax.dtypes.canonicalize_dtype(dtype) != dtype:
        raise ValueError(
            f"{path}: {where} is a {name} jax array, which jax cannot hold while "
            "jax_enable_x64 is off; enable it to load this file exactly"
        )
    if kind == "jax":
        return jnp.asarray(array)
    try:
        if spec.get("impl") not in _KEY_IMPLS:
            raise ValueError(f"unknown implementation {spec.get('impl')!r:.40}")
        return jax.random.wrap_key_data(jnp.asarray(array), impl=spec["impl"])
    except (TypeError, ValueError) as e:
        raise ValueError(f"{path}: {where} is not a valid PRNG key: {e}") from None


def _build(path: str, entries: list[dict[str, Any]], leaves: list[Any]) -> Any:
    """The tree from its entries in flattening order (parents before children)."""
    nodes: dict[Path, tuple[str, dict[Any, Any]]] = {}
    values = iter(leaves)
    root: Any = None
    for i, spec in enumerate(entries):
        keys = spec["path"]
        parent = nodes.get(keys[:-1]) if keys else None
        bad_parent = bool(keys) and (parent is None or keys[-1] in parent[1])
        if (i == 0) != (keys == ()) or bad_parent:
            raise ValueError(f"{path}: malformed tree at {_keystr(keys)!r}")
        value = next(values) if "node" not in spec else None
        if "node" in spec:
            nodes[keys] = (spec["node"], {})
        if parent is not None:
            parent[1][keys[-1]] = value
        else:
            root = value
    for keys in reversed(nodes):  # children before their parents
        value = _finish(path, keys, *nodes[keys])
        if keys:
            nodes[keys[:-1]][1][keys[-1]] = value
        else:
            root = value
    return root


def _finish(path: str, keys: Path, node: str, children: dict[Any, Any]) -> Any:
    tags, names = {tag for tag, _ in children}, [key for _, key in children]
    values = list(children.values())
    cls = _OWN.get(node)
    if cls is not None and names == list(cls._fields):
        return cls(*values)
    if node == "none" and not children:
        return None
    if node in ("list", "tuple") and tags <= {"i"}:
        return values if node == "list" else tuple(values)
    if node == "other" and children and tags <= {"i", "f"}:
        return values
    if node in ("dict", "other") or cls is not None:  # a changed NamedTuple too
        return dict(zip(names, values, strict=True))
    raise ValueError(f"{path}: malformed node {node!r:.40} at {_keystr(keys)!r}")


def _into(path: str, like: Any, mine: list[tuple[Path, Any]]) -> Any:
    """The file's leaves in the structure of ``like``, after checking they fit."""
    theirs = [(keys, v) for keys, v, is_leaf in _flatten(like, "like") if is_leaf]
    if len(mine) != len(theirs):
        raise ValueError(
            f"{path}: the file holds {len(mine)} leaves, like {len(theirs)}"
        )
    for (keys, value), (their_keys, leaf) in zip(mine, theirs, strict=True):
        if keys != their_keys:
            raise ValueError(
                f"{path}: the trees differ: the file has {_keystr(keys)!r} where "
                f"like has {_keystr(their_keys)!r}"
            )
        if hasattr(leaf, "dtype") and hasattr(leaf, "shape"):
            got = (tuple(np.shape(value)), getattr(value, "dtype", type(value)))
            if (tuple(leaf.shape), leaf.dtype) != got:
                raise ValueError(
                    f"{path}: leaf {_keystr(keys)!r} is {got[1]}{list(got[0])} in "
                    f"the file, {leaf.dtype}{list(leaf.shape)} in like"
                )
    values = [value for _, value in mine]
    return jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(like), values)


def load(path: str | os.PathLike[str], *, like: Any = None) -> Any:
    """Load a pytree written by :func:`save`.

    Nothing in the file is executed or imported: the archive is read with
    ``allow_pickle=False``, and the structure is rebuilt from jaxnn's own JSON
    description. Leaves come back bit for bit, with their dtypes: jax arrays as
    jax arrays, NumPy arrays as NumPy arrays, PRNG keys as typed keys.

    Args:
        path: a file written by :func:`save`.
        like: a tree of the structure saved (for example a fresh
            ``{"params": params, "opt_state": optimizer.init(params)}``), whose
            leaves may be arrays or :class:`jax.ShapeDtypeStruct`. The loaded
            leaves take their places, so every node type (Optax states, NNX
            ``State``, your own classes) comes back. Without it, dicts, lists,
            tuples, ``None`` and jaxnn's own NamedTuples (:class:`jaxnn.Dense`)
            are rebuilt, and any other node becomes a dict of its fields or
            keys (a list if it has neither), with every leaf.

    Returns:
        The pytree.

    Raises:
        FileNotFoundError: if there is no file at ``path``.
        ValueError: if the file is not an ``.npz`` archive, is corrupt or
            truncated, was not written by :func:`save`, comes from another
            format version, or does not fit ``like`` (other key paths, shapes
            or dtypes); the message says which.

    Examples:
        >>> import os, tempfile, optax
        >>> path = os.path.join(tempfile.mkdtemp(), "state.npz")
        >>> params = {"w": jnp.arange(3, dtype=jnp.bfloat16)}
        >>> state = {"params": params, "opt": optax.adam(1e-3).init(params)}
        >>> jaxnn.save(path, state)
        >>> jaxnn.load(path)["params"]
        {'w': Array([0, 1, 2], dtype=bfloat16)}
        >>> type(jaxnn.load(path, like=state)["opt"][0]).__name__
        'ScaleByAdamState'
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        head = f.read(8)
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        what = "empty" if not head else f"not an .npz (zip) archive ({head!r})"
        raise ValueError(f"{path}: the file is {what}; not written by jaxnn.save")
    try:
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as z:
            entries = _read_header(path, z)
            leaves, n = [], 0
            for spec in entries:
                if "node" not in spec:
                    leaves.append((spec["path"], _read_leaf(path, z, spec, n)))
                    n += spec["kind"] not in _SCALARS
            extra = set(z.files) - {_HEADER, *(f"leaf_{i}" for i in range(n))}
            if extra:
                raise ValueError(f"{path}: unexpected members {sorted(extra)[:8]!r}")
    except (zipfile.BadZipFile, zlib.error, EOFError) as e:
        raise ValueError(f"{path}: corrupt or truncated archive: {e}") from None
    if like is not None:
        return _into(path, like, leaves)
    return _build(path, entries, [value for _, value in leaves])
