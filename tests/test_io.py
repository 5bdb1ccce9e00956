"""Tests for save/load of parameter pytrees (jaxnn/_io.py)."""

import io
import json
import zipfile
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxnn
from jaxnn import _io


def _bits(leaf):
    a = np.asarray(leaf)
    return a.dtype, a.shape, a.tobytes()


def _assert_identical(a, b):
    """Same structure, same node types, and every leaf bit for bit."""
    assert jax.tree.structure(a) == jax.tree.structure(b)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        assert type(x) is type(y) or (
            isinstance(x, jax.Array) and isinstance(y, jax.Array)
        )
        assert _bits(x) == _bits(y)


def _special(dtype):
    """Values that catch sloppy conversions: signed zero, inf, NaN, tiny, huge."""
    finfo = jnp.finfo(dtype)
    values = [0.0, -0.0, 1.0, -2.5, float(finfo.tiny), float(finfo.max), np.inf]
    return jnp.concatenate(
        [jnp.array(values, dtype), jnp.full((1,), jnp.nan, dtype)]
    ).reshape(2, 4)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16, jnp.float16])
def test_round_trip_float_dtypes(tmp_path, dtype):
    params = (
        jaxnn.Dense(_special(dtype), jnp.arange(4, dtype=dtype)),
        jaxnn.Dense(
            jnp.linspace(-1, 1, 8, dtype=dtype).reshape(4, 2), jnp.ones(2, dtype)
        ),
    )
    path = tmp_path / "p.npz"
    jaxnn.save(path, params)
    restored = jaxnn.load(path)
    assert type(restored) is tuple and all(type(d) is jaxnn.Dense for d in restored)
    assert restored[0].weight.dtype == dtype
    _assert_identical(params, restored)


def test_round_trip_nan_payload(tmp_path):
    # A NaN with a non-default payload must come back with the same bits.
    bits = np.array([0x7FC00001, 0xFFC12345], dtype=np.uint32)
    w = jnp.asarray(bits.view(np.float32))
    jaxnn.save(tmp_path / "n.npz", {"w": w})
    out = jaxnn.load(tmp_path / "n.npz")["w"]
    np.testing.assert_array_equal(np.asarray(out).view(np.uint32), bits)


def test_round_trip_nested_and_mixed(tmp_path, key):
    net = jaxnn.init_mlp(key, [3, 4, 2])
    tree = {
        "encoder": net,
        "decoder": [net[1], (net[0], None)],
        "step": jnp.array(7, jnp.int32),
        "mask": jnp.array([True, False]),
        "counts": jnp.arange(5, dtype=jnp.int8),
        "table": np.arange(6, dtype=np.uint8).reshape(2, 3),
        "f64": np.array([1.0 / 3.0, np.pi]),  # NumPy float64 stays exact
        "scalar": np.float32(2.5),
        "meta": {"name": "xor", "epochs": 300, "lr": 0.1, "done": True, "none": None},
        "empty": jnp.zeros((0, 3)),
    }
    path = tmp_path / "tree.npz"
    jaxnn.save(path, tree)
    out = jaxnn.load(path)
    assert list(out) == list(tree)  # key order kept
    assert type(out["decoder"]) is list and type(out["decoder"][1]) is tuple
    assert isinstance(out["encoder"][0], jaxnn.Dense)
    assert isinstance(out["table"], np.ndarray) and not isinstance(
        out["table"], jax.Array
    )
    assert isinstance(out["step"], jax.Array)
    assert type(out["scalar"]) is np.float32
    assert out["meta"] == tree["meta"]
    assert type(out["meta"]["epochs"]) is int and type(out["meta"]["done"]) is bool
    assert out["f64"].dtype == np.float64
    _assert_identical(tree, out)


def test_round_trip_under_jit_outputs(tmp_path, key):
    # Parameters produced by a jitted update (as in training) round-trip too.
    net = jaxnn.init_mlp(key, [3, 4, 2])
    updated = jax.jit(lambda p: jax.tree.map(lambda w: w * 0.5 - 1.0, p))(net)
    jaxnn.save(tmp_path / "u.npz", updated)
    restored = jaxnn.load(tmp_path / "u.npz")
    _assert_identical(updated, restored)
    x = jnp.ones((2, 3))
    np.testing.assert_array_equal(jaxnn.mlp(restored, x), jaxnn.mlp(updated, x))


def test_path_is_used_as_given(tmp_path):
    path = tmp_path / "weights"  # no .npz suffix: np.savez would append one
    jaxnn.save(str(path), (jnp.ones(2),))
    assert path.exists() and not (tmp_path / "weights.npz").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["weights"]  # no temp file left
    _assert_identical(jaxnn.load(path), (jnp.ones(2),))


def test_logistic_fit_round_trip(tmp_path):
    cls = getattr(jaxnn, "LogisticFit", None)
    if cls is None:
        pytest.skip("jaxnn.LogisticFit does not exist yet")
    fit = cls(*[jnp.full((2,), i, jnp.float32) for i in range(len(cls._fields))])
    jaxnn.save(tmp_path / "fit.npz", fit)
    out = jaxnn.load(tmp_path / "fit.npz")
    assert type(out) is cls
    _assert_identical(fit, out)


class _Affine(NamedTuple):
    scale: jax.Array
    shift: jax.Array


def test_registered_namedtuple(tmp_path, monkeypatch):
    monkeypatch.setattr(_io, "_REGISTRY", {})
    value = _Affine(jnp.ones(2), jnp.zeros(2))
    with pytest.raises(TypeError, match="not registered"):
        jaxnn.save(tmp_path / "a.npz", value)
    assert jaxnn.register_namedtuple(_Affine, name="tests.Affine") is _Affine
    jaxnn.save(tmp_path / "a.npz", [value])
    out = jaxnn.load(tmp_path / "a.npz")
    assert type(out[0]) is _Affine
    _assert_identical([value], out)

    # A loading process that has not registered the type refuses it by name.
    monkeypatch.setattr(_io, "_REGISTRY", {})
    with pytest.raises(ValueError, match=r"'tests\.Affine' that is not registered"):
        jaxnn.load(tmp_path / "a.npz")


def test_register_namedtuple_errors(monkeypatch):
    monkeypatch.setattr(_io, "_REGISTRY", {})
    with pytest.raises(TypeError, match="expected a NamedTuple class"):
        jaxnn.register_namedtuple(dict)
    with pytest.raises(ValueError, match="reserved"):
        jaxnn.register_namedtuple(_Affine, name="jaxnn.Affine")
    jaxnn.register_namedtuple(_Affine, name="x.Affine")

    class Other(NamedTuple):
        a: int

    with pytest.raises(ValueError, match="already registered"):
        jaxnn.register_namedtuple(Other, name="x.Affine")


@pytest.mark.parametrize(
    "tree, match",
    [
        ({1: jnp.ones(1)}, "dict keys must be str"),
        ({"a": {1, 2}}, r"tree\['a'\]: cannot save a set"),
        ((jnp.ones(1), object()), r"tree\[1\]: cannot save a object"),
        (np.array(["a", "b"]), "dtype <U1 cannot be saved"),
        ((jax.random.key(0),), "typed PRNG keys"),
    ],
    ids=["int-key", "set", "object", "str-array", "prng-key"],
)
def test_save_rejects_unsupported(tmp_path, tree, match):
    with pytest.raises(TypeError, match=match):
        jaxnn.save(tmp_path / "bad.npz", tree)
    assert list(tmp_path.iterdir()) == []


def test_save_under_jit_is_a_clear_error(tmp_path):
    def f(w):
        jaxnn.save(tmp_path / "t.npz", (w,))
        return w

    with pytest.raises(TypeError, match=r"tree\[0\]: a traced value"):
        jax.jit(f)(jnp.ones(2))


# --- bad files ---------------------------------------------------------------


@pytest.fixture
def good_file(tmp_path, key):
    path = tmp_path / "good.npz"
    jaxnn.save(path, jaxnn.init_mlp(key, [3, 4, 2]))
    return path


def _rewrite(path, members):
    """Write an npz (zip) with the given raw member bytes."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _npy_bytes(array):
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def _members(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _with_header(path, tmp_path, edit):
    members = _members(path)
    header = json.loads(
        np.load(io.BytesIO(members["__jaxnn__.npy"]), allow_pickle=False).tobytes()
    )
    edit(header)
    raw = json.dumps(header).encode()
    members["__jaxnn__.npy"] = _npy_bytes(np.frombuffer(raw, np.uint8))
    out = tmp_path / "edited.npz"
    _rewrite(out, members)
    return out


def test_truncated_file(good_file, tmp_path):
    data = good_file.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 30):
        bad = tmp_path / f"cut{cut}.npz"
        bad.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="corrupt or truncated"):
            jaxnn.load(bad)


def test_corrupt_bytes(good_file, tmp_path):
    data = bytearray(good_file.read_bytes())
    # Flip a byte inside the stored weights: the zip CRC catches it.
    members = _members(good_file)
    weight_bytes = members["leaf_0.npy"][-8:]
    at = bytes(data).index(weight_bytes)
    data[at] ^= 0xFF
    bad = tmp_path / "flipped.npz"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="corrupt"):
        jaxnn.load(bad)


@pytest.mark.parametrize(
    "content, match",
    [
        (b"", "the file is empty"),
        (b"hello, world", r"not an .npz \(zip\) archive"),
        (_npy_bytes(np.ones(3)), "a single .npy array"),
    ],
    ids=["empty", "text", "npy"],
)
def test_not_an_archive(tmp_path, content, match):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        jaxnn.load(bad)


def test_foreign_npz(tmp_path):
    path = tmp_path / "foreign.npz"
    np.savez(path, W1=np.ones((2, 2)), b1=np.zeros(2))
    with pytest.raises(ValueError, match="without a jaxnn header"):
        jaxnn.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        jaxnn.load(tmp_path / "nope.npz")


def test_pickle_is_never_run(tmp_path):
    # A protocol-0 pickle that would create a file if it were ever unpickled.
    marker = tmp_path / "pwned"
    payload = f"cos\nsystem\n(S'touch {marker}'\ntR.".encode()
    raw = tmp_path / "raw.npz"
    raw.write_bytes(payload)
    with pytest.raises(ValueError):
        jaxnn.load(raw)
    # The same pickle as an object array inside an otherwise valid archive.
    header = b"{'descr': '|O', 'fortran_order': False, 'shape': (), }"
    header += b" " * (63 - len(header)) + b"\n"
    npy = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + payload
    head = json.dumps(
        {
            "format": "jaxnn.params",
            "version": 1,
            "leaves": [{"dtype": "float32", "shape": [], "kind": "jax"}],
            "tree": {"t": "array", "i": 0},
        }
    ).encode()
    archive = tmp_path / "obj.npz"
    _rewrite(
        archive,
        {"__jaxnn__.npy": _npy_bytes(np.frombuffer(head, np.uint8)), "leaf_0.npy": npy},
    )
    with pytest.raises(ValueError, match="corrupt archive"):
        jaxnn.load(archive)
    assert not marker.exists()


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda h: h.update(format="other.format"), "expected format 'jaxnn.params'"),
        (lambda h: h.update(version=99), "format version 99 was written by a newer"),
        (lambda h: h.update(version="1"), "bad format version"),
        (lambda h: h.pop("tree"), "lacks 'leaves' or 'tree'"),
        (lambda h: h["leaves"][0].update(shape=[4, 3]), "leaf 0 is float32"),
        (lambda h: h["leaves"][0].update(dtype="float64"), "leaf 0 is float32"),
        (lambda h: h["leaves"][0].update(dtype="object"), "unknown dtype"),
        (lambda h: h["leaves"][0].update(kind="module"), "malformed description"),
        (lambda h: h["leaves"].append(h["leaves"][0]), "leaf 4 is missing"),
        (lambda h: h["leaves"].pop(), "unexpected entries"),
        (lambda h: h["tree"].update(t="eval"), "unknown node type 'eval'"),
        (lambda h: h["tree"]["c"][0].update(name="os.system"), "'os.system' that is"),
        (lambda h: h["tree"]["c"][0]["c"][0].update(i=17), "leaf index 17 out of"),
        (lambda h: h["tree"]["c"][0].update(fields=["a", "b"]), "has fields"),
    ],
    ids=[
        "format",
        "newer-version",
        "version-type",
        "no-tree",
        "shape",
        "dtype",
        "bad-dtype",
        "bad-kind",
        "missing-leaf",
        "extra-entry",
        "node-type",
        "unregistered-type",
        "leaf-index",
        "fields",
    ],
)
def test_tampered_header(good_file, tmp_path, edit, match):
    bad = _with_header(good_file, tmp_path, edit)
    with pytest.raises(ValueError, match=match):
        jaxnn.load(bad)


def test_header_not_json(good_file, tmp_path):
    members = _members(good_file)
    members["__jaxnn__.npy"] = _npy_bytes(np.frombuffer(b"{not json", np.uint8))
    bad = tmp_path / "h.npz"
    _rewrite(bad, members)
    with pytest.raises(ValueError, match="not valid JSON"):
        jaxnn.load(bad)
    members["__jaxnn__.npy"] = _npy_bytes(np.ones(3))
    _rewrite(bad, members)
    with pytest.raises(ValueError, match="not a uint8 byte string"):
        jaxnn.load(bad)


def test_float64_jax_leaf_needs_x64(good_file, tmp_path):
    # A float64 jax leaf (saved with x64 on) cannot be held with x64 off.
    def edit(h):
        h["leaves"][0].update(dtype="float64", shape=[3, 2])

    members = _members(good_file)
    bad = _with_header(good_file, tmp_path, edit)
    members = _members(bad)
    members["leaf_0.npy"] = _npy_bytes(np.ones((3, 2)))
    _rewrite(bad, members)
    if jax.config.read("jax_enable_x64"):
        pytest.skip("x64 is on")
    with pytest.raises(ValueError, match="jax_enable_x64 is off"):
        jaxnn.load(bad)


def test_no_pickle_in_source():
    with open(_io.__file__, encoding="utf-8") as f:
        source = f.read()
    assert "allow_pickle=False" in source
    assert "import pickle" not in source and "allow_pickle=True" not in source
