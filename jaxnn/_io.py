"""Parameter pytrees to and from ``.npz`` files, bit-exact and without pickle.

The archive holds one array per leaf (``leaf_0``, ``leaf_1``, ...) and a header
``__jaxnn__``: a UTF-8 JSON document stored as a ``uint8`` array, with a format
tag, a version, each leaf's dtype and shape, and the tree's structure. The
structure is written by jaxnn itself, node by node (tuples, lists, dicts with
string keys, ``None``, Python scalars, strings, and registered NamedTuples),
never as a pickle, and loading it imports and calls nothing named by the file:
a NamedTuple is rebuilt only when its name is in a registry that this process
filled (:func:`register_namedtuple`), or names one of jaxnn's own NamedTuple
types (``jaxnn.Dense``, ``jaxnn.LogisticFit`` when present).

dtypes NumPy stores natively are stored as they are; the extended ones JAX uses
(``bfloat16``, the ``float8`` kinds) are stored as unsigned integers of the same
width and viewed back, so every bit, NaN payloads included, round-trips.
"""

import json
import keyword
import os
import tempfile
import zipfile
import zlib
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["load", "register_namedtuple", "save"]

FORMAT = "jaxnn.params"
VERSION = 1
_HEADER = "__jaxnn__"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_NPY_MAGIC = b"\x93NUMPY"

_NATIVE_DTYPES = frozenset(
    {
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float16",
        "float32",
        "float64",
        "complex64",
        "complex128",
    }
)
# Extended dtypes (ml_dtypes, as exposed by jax.numpy), looked up by these fixed
# names only; a name read from a file is matched against this table.
_EXTENDED_NAMES = (
    "bfloat16",
    "float8_e4m3fn",
    "float8_e4m3fnuz",
    "float8_e4m3b11fnuz",
    "float8_e5m2",
    "float8_e5m2fnuz",
    "float8_e3m4",
    "float8_e4m3",
    "float8_e8m0fnu",
)
_EXTENDED_DTYPES: dict[str, np.dtype[Any]] = {
    name: np.dtype(getattr(jnp, name))
    for name in _EXTENDED_NAMES
    if getattr(jnp, name, None) is not None
}
_UINT_OF_WIDTH: dict[int, np.dtype[Any]] = {
    1: np.dtype(np.uint8),
    2: np.dtype(np.uint16),
}

_REGISTRY: dict[str, type] = {}


def _is_namedtuple_class(cls: Any) -> bool:
    return (
        isinstance(cls, type)
        and issubclass(cls, tuple)
        and isinstance(getattr(cls, "_fields", None), tuple)
    )


def register_namedtuple(cls: type, *, name: str | None = None) -> type:
    """Allow :func:`load` to rebuild a NamedTuple type by name.

    :func:`save` records a NamedTuple node by its registered name; :func:`load`
    rebuilds it only if the same name is registered in the loading process, so
    a file can never make jaxnn import or call anything. jaxnn's own types
    (``jaxnn.Dense``, and ``jaxnn.LogisticFit`` when it exists) need no
    registration. Usable as a class decorator.

    Args:
        cls: a :class:`typing.NamedTuple` (or :func:`collections.namedtuple`)
            class.
        name: the name to record; default ``"module.QualName"`` of ``cls``.

    Returns:
        ``cls``, unchanged.

    Raises:
        ValueError: if ``name`` is already registered for another class.

    Examples:
        >>> from typing import NamedTuple
        >>> class Affine(NamedTuple):
        ...     scale: jax.Array
        ...     shift: jax.Array
        >>> _ = jaxnn.register_namedtuple(Affine, name="example.Affine")
    """
    if not _is_namedtuple_class(cls):
        raise TypeError(f"cls: expected a NamedTuple class, got {cls!r}")
    if name is None:
        name = f"{cls.__module__}.{cls.__qualname__}"
    if not isinstance(name, str) or not name:
        raise ValueError(f"name: expected a non-empty string, got {name!r}")
    if name.startswith("jaxnn."):
        raise ValueError(f"name: the 'jaxnn.' prefix is reserved, got {name!r}")
    other = _REGISTRY.get(name)
    if other is not None and other is not cls:
        raise ValueError(
            f"name: {name!r} is already registered for {other.__module__}."
            f"{other.__qualname__}"
        )
    _REGISTRY[name] = cls
    return cls


def _jaxnn_own(attr: str) -> type | None:
    """jaxnn's public NamedTuple type called ``attr``, if there is one."""
    if not attr.isidentifier() or attr.startswith("_") or keyword.iskeyword(attr):
        return None
    import jaxnn  # deferred: jaxnn imports this module

    cls = getattr(jaxnn, attr, None)
    if _is_namedtuple_class(cls) and str(cls.__module__).split(".")[0] == "jaxnn":
        return cls
    return None


def _name_of(cls: type) -> str | None:
    if _jaxnn_own(cls.__name__) is cls:
        return f"jaxnn.{cls.__name__}"
    for name, registered in _REGISTRY.items():
        if registered is cls:
            return name
    return None


def _class_of(name: str) -> type | None:
    if name.startswith("jaxnn."):
        return _jaxnn_own(name.removeprefix("jaxnn."))
    return _REGISTRY.get(name)


def _dtype_name(dt: np.dtype) -> str | None:
    if dt.name in _NATIVE_DTYPES:
        return dt.name
    for name, ext in _EXTENDED_DTYPES.items():
        if dt == ext:
            return name
    return None


def _encode(
    node: Any, path: str, leaves: list[np.ndarray], specs: list[dict[str, Any]]
) -> dict[str, Any]:
    if node is None:
        return {"t": "none"}
    if isinstance(node, bool):
        return {"t": "bool", "v": node}
    if type(node) is int:
        return {"t": "int", "v": node}
    if type(node) is float:
        return {"t": "float", "v": node}
    if type(node) is str:
        return {"t": "str", "v": node}
    if isinstance(node, (jax.Array, np.ndarray, np.generic)):
        if isinstance(node, jax.Array):
            if jax.dtypes.issubdtype(node.dtype, jax.dtypes.prng_key):
                raise TypeError(
                    f"tree{path}: typed PRNG keys are not saved; save "
                    "jax.random.key_data(key) instead"
                )
            kind = "jax"
            try:
                array = np.asarray(jax.device_get(node))
            except jax.errors.TracerArrayConversionError:
                raise TypeError(
                    f"tree{path}: a traced value; save runs outside jit, on "
                    "concrete arrays"
                ) from None
        else:
            kind = "numpy" if isinstance(node, np.ndarray) else "numpy_scalar"
            array = np.asarray(node)
        name = _dtype_name(array.dtype)
        if name is None:
            raise TypeError(
                f"tree{path}: dtype {array.dtype} cannot be saved; expected a bool, "
                "integer, floating or complex dtype"
            )
        if name in _EXTENDED_DTYPES:
            array = array.view(_UINT_OF_WIDTH[array.dtype.itemsize])
        specs.append({"dtype": name, "shape": list(array.shape), "kind": kind})
        leaves.append(array)
        return {"t": "array", "i": len(leaves) - 1}
    if _is_namedtuple_class(type(node)):
        name = _name_of(type(node))
        if name is None:
            raise TypeError(
                f"tree{path}: NamedTuple type {type(node).__qualname__} is not "
                "registered; call jaxnn.register_namedtuple on it first"
            )
        fields = list(type(node)._fields)
        return {
            "t": "namedtuple",
            "name": name,
            "fields": fields,
            "c": [
                _encode(v, f"{path}.{f}", leaves, specs)
                for f, v in zip(fields, node, strict=True)
            ],
        }
    if type(node) is tuple or type(node) is list:
        return {
            "t": type(node).__name__,
            "c": [
                _encode(v, f"{path}[{i}]", leaves, specs) for i, v in enumerate(node)
            ],
        }
    if type(node) is dict:
        keys = list(node)
        for k in keys:
            if type(k) is not str:
                raise TypeError(
                    f"tree{path}: dict keys must be str to be saved, got {k!r}"
                )
        return {
            "t": "dict",
            "k": keys,
            "c": [_encode(node[k], f"{path}[{k!r}]", leaves, specs) for k in keys],
        }
    raise TypeError(
        f"tree{path}: cannot save a {type(node).__qualname__}; expected arrays, "
        "Python scalars, None, str, tuples, lists, dicts with str keys, or "
        "registered NamedTuples"
    )


def save(path: str | os.PathLike[str], tree: Any) -> None:
    """Save a parameter pytree to an ``.npz`` file, exactly and without pickle.

    The file is written to ``path`` as given (no ``.npz`` is appended), through
    a temporary file in the same directory that replaces ``path`` only once
    complete.

    Args:
        path: the file to write.
        tree: a pytree of arrays (jax or NumPy, any bool, integer, floating or
            complex dtype, ``bfloat16`` included) built from tuples, lists,
            dicts with ``str`` keys, ``None``, Python scalars, strings and
            NamedTuples (:class:`jaxnn.Dense`, jaxnn's own, or those registered
            with :func:`register_namedtuple`).

    Raises:
        TypeError: if the tree holds something that cannot be saved; the
            message gives its path in the tree.

    Examples:
        >>> import os, tempfile
        >>> params = jaxnn.init_mlp(jax.random.key(0), [2, 3, 1])
        >>> path = os.path.join(tempfile.mkdtemp(), "params.npz")
        >>> jaxnn.save(path, params)
        >>> restored = jaxnn.load(path)
        >>> type(restored[0]).__name__, restored[0].weight.shape
        ('Dense', (2, 3))
    """
    leaves: list[np.ndarray] = []
    specs: list[dict[str, Any]] = []
    structure = _encode(tree, "", leaves, specs)
    header = {"format": FORMAT, "version": VERSION, "leaves": specs, "tree": structure}
    arrays: dict[str, Any] = {f"leaf_{i}": leaf for i, leaf in enumerate(leaves)}
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    arrays[_HEADER] = np.frombuffer(header_bytes, dtype=np.uint8)
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".jaxnn-", suffix=".npz.tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


class _Malformed(Exception):
    pass


def _decode(node: Any, leaves: list[Any]) -> Any:
    if not isinstance(node, dict) or not isinstance(node.get("t"), str):
        raise _Malformed(f"expected a node object, got {node!r:.80}")
    t = node["t"]
    if t == "none":
        return None
    if t in ("bool", "int", "float", "str"):
        value = node.get("v")
        expected = {"bool": bool, "int": int, "float": float, "str": str}[t]
        if type(value) is not expected and not (t == "float" and type(value) is int):
            raise _Malformed(f"a {t} node holds {value!r:.80}")
        return expected(value)
    if t == "array":
        i = node.get("i")
        if type(i) is not int or not 0 <= i < len(leaves):
            raise _Malformed(f"leaf index {i!r} out of range")
        return leaves[i]
    children = node.get("c")
    if not isinstance(children, list):
        raise _Malformed(f"a {t} node without a list of children")
    values = [_decode(c, leaves) for c in children]
    if t == "tuple":
        return tuple(values)
    if t == "list":
        return values
    if t == "dict":
        keys = node.get("k")
        if (
            not isinstance(keys, list)
            or len(keys) != len(values)
            or not all(type(k) is str for k in keys)
            or len(set(keys)) != len(keys)
        ):
            raise _Malformed("a dict node with bad keys")
        return dict(zip(keys, values, strict=True))
    if t == "namedtuple":
        name = node.get("name")
        if not isinstance(name, str):
            raise _Malformed("a NamedTuple node without a name")
        cls = _class_of(name)
        if cls is None:
            raise ValueError(
                f"the file holds a NamedTuple {name!r} that is not registered; "
                "call jaxnn.register_namedtuple on that class before loading"
            )
        fields = list(cls._fields)  # type: ignore[attr-defined]
        if len(values) != len(fields):
            raise _Malformed(f"{name} has {len(fields)} fields, got {len(values)}")
        if node.get("fields") != fields:
            raise ValueError(
                f"the file's {name} has fields {node.get('fields')!r}, but the "
                f"registered class has {fields!r}"
            )
        return cls(*values)
    raise _Malformed(f"unknown node type {t!r:.40}")


def _check_magic(path: str) -> None:
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(_ZIP_MAGIC):
        return
    if head.startswith(_NPY_MAGIC):
        raise ValueError(
            f"{path}: a single .npy array, not a jaxnn parameter archive (.npz)"
        )
    if not head:
        raise ValueError(f"{path}: the file is empty, not a jaxnn parameter archive")
    raise ValueError(
        f"{path}: not an .npz (zip) archive (starts with {head!r}); not written by "
        "jaxnn.save"
    )


def _read_header(path: str, z: Any) -> dict[str, Any]:
    if _HEADER not in z.files:
        raise ValueError(
            f"{path}: an .npz archive without a jaxnn header ({_HEADER!r}); not "
            f"written by jaxnn.save (it holds {sorted(z.files)[:8]!r})"
        )
    raw = z[_HEADER]
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ValueError(f"{path}: the jaxnn header is not a uint8 byte string")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: the jaxnn header is not valid JSON: {e}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        fmt = header.get("format") if isinstance(header, dict) else None
        raise ValueError(f"{path}: expected format {FORMAT!r}, got {fmt!r}")
    version = header.get("version")
    if type(version) is not int or version < 1:
        raise ValueError(f"{path}: bad format version {version!r}")
    if version > VERSION:
        raise ValueError(
            f"{path}: format version {version} was written by a newer jaxnn; this "
            f"one reads versions up to {VERSION}"
        )
    if not isinstance(header.get("leaves"), list) or "tree" not in header:
        raise ValueError(f"{path}: the jaxnn header lacks 'leaves' or 'tree'")
    return header


def _read_leaf(path: str, z: Any, i: int, spec: Any) -> Any:
    name = spec.get("dtype") if isinstance(spec, dict) else None
    shape = spec.get("shape") if isinstance(spec, dict) else None
    kind = spec.get("kind") if isinstance(spec, dict) else None
    if (
        not isinstance(name, str)
        or not isinstance(shape, list)
        or not all(type(n) is int and n >= 0 for n in shape)
        or kind not in ("jax", "numpy", "numpy_scalar")
    ):
        raise ValueError(f"{path}: malformed description of leaf {i}: {spec!r:.120}")
    if name in _NATIVE_DTYPES:
        dtype, stored = np.dtype(name), np.dtype(name)
    elif name in _EXTENDED_DTYPES:
        dtype = _EXTENDED_DTYPES[name]
        stored = _UINT_OF_WIDTH[dtype.itemsize]
    else:
        raise ValueError(f"{path}: leaf {i} has an unknown dtype {name!r:.40}")
    member = f"leaf_{i}"
    if member not in z.files:
        raise ValueError(f"{path}: leaf {i} is missing from the archive")
    array = z[member]
    if array.dtype != stored or list(array.shape) != shape:
        raise ValueError(
            f"{path}: leaf {i} is {array.dtype}{list(array.shape)}, but the header "
            f"says {stored}{shape}"
        )
    if dtype != stored:
        array = array.view(dtype)
    if kind == "numpy_scalar":
        return array[()]
    if kind == "numpy":
        return array
    if jax.dtypes.canonicalize_dtype(dtype) != dtype:
        raise ValueError(
            f"{path}: leaf {i} is a {name} jax array, which jax cannot hold while "
            "jax_enable_x64 is off; enable it to load this file exactly"
        )
    return jnp.asarray(array)


def load(path: str | os.PathLike[str]) -> Any:
    """Load a parameter pytree written by :func:`save`.

    Nothing in the file is executed or imported: the archive is read with
    ``allow_pickle=False``, and the structure is rebuilt from jaxnn's own JSON
    description. Leaves come back as they were saved (jax arrays as jax arrays,
    NumPy arrays as NumPy arrays), bit for bit, with their dtypes.

    Args:
        path: a file written by :func:`save`.

    Returns:
        The pytree, with the same structure and NamedTuple types as saved.

    Raises:
        FileNotFoundError: if there is no file at ``path``.
        ValueError: if the file is not an ``.npz`` archive, is corrupt or
            truncated, was not written by :func:`save`, comes from a newer
            format version, or names a NamedTuple type that is not registered;
            the message says which.

    Examples:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "tree.npz")
        >>> jaxnn.save(path, {"w": jnp.arange(3, dtype=jnp.bfloat16), "n": 7})
        >>> jaxnn.load(path)
        {'w': Array([0, 1, 2], dtype=bfloat16), 'n': 7}
    """
    path = os.fspath(path)
    _check_magic(path)
    try:
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as z:
            header = _read_header(path, z)
            specs = header["leaves"]
            expected = {_HEADER} | {f"leaf_{i}" for i in range(len(specs))}
            extra = sorted(set(z.files) - expected)
            if extra:
                raise ValueError(
                    f"{path}: unexpected entries {extra[:8]!r} in a jaxnn archive"
                )
            leaves = [_read_leaf(path, z, i, spec) for i, spec in enumerate(specs)]
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise ValueError(f"{path}: corrupt or truncated archive: {e}") from None
    except ValueError as e:
        if str(e).startswith(f"{path}: "):
            raise
        raise ValueError(f"{path}: corrupt archive: {e}") from None
    try:
        return _decode(header["tree"], leaves)
    except (_Malformed, RecursionError) as e:
        raise ValueError(f"{path}: malformed tree structure: {e}") from None
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
