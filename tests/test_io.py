"""Tests for save/load of pytrees and whole training states (jaxnn/_io.py)."""

import ast
import io
import json
import os
import pathlib
import stat
import subprocess
import sys
import textwrap
import zipfile
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxnn
from jaxnn import _io


def _bits(leaf):
    if isinstance(leaf, jax.Array) and jax.dtypes.issubdtype(
        leaf.dtype, jax.dtypes.prng_key
    ):
        return str(leaf.dtype), _bits(jax.random.key_data(leaf))
    if not isinstance(leaf, (jax.Array, np.ndarray, np.generic)):
        return type(leaf), leaf if leaf == leaf else "nan"
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


@pytest.mark.parametrize(
    "dtype", [jnp.float32, jnp.bfloat16, jnp.float16, jnp.float8_e4m3fn], ids=str
)
def test_round_trip_float_dtypes(tmp_path, dtype):
    special = (
        _special(dtype)
        if dtype != jnp.float8_e4m3fn
        else jnp.arange(8.0).astype(dtype).reshape(2, 4)
    )
    params = (
        jaxnn.Dense(special, jnp.arange(4, dtype=dtype)),
        jaxnn.Dense(
            jnp.linspace(-1, 1, 8).astype(dtype).reshape(4, 2), jnp.ones(2, dtype)
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
        "python": [float("inf"), -0.0, 2**70, float("nan"), ""],
        "empty": jnp.zeros((0, 3)),
        "nothing": (),
        "ints": {3: "three", 1: np.int16(1)},
    }
    path = tmp_path / "tree.npz"
    jaxnn.save(path, tree)
    out = jaxnn.load(path)
    # Keys come back in jax.tree_util's order (sorted), as jax.tree.map gives.
    assert set(out) == set(tree)
    assert type(out["decoder"]) is list and type(out["decoder"][1]) is tuple
    assert isinstance(out["encoder"][0], jaxnn.Dense)
    assert isinstance(out["table"], np.ndarray) and not isinstance(
        out["table"], jax.Array
    )
    assert isinstance(out["step"], jax.Array)
    assert type(out["scalar"]) is np.float32
    assert out["meta"] == tree["meta"] and out["ints"] == {1: 1, 3: "three"}
    assert type(out["meta"]["epochs"]) is int and type(out["meta"]["done"]) is bool
    assert out["f64"].dtype == np.float64
    assert np.signbit(out["python"][1]) and out["python"][2] == 2**70
    _assert_identical(tree, out)


def test_big_endian_arrays_come_back_in_native_order(tmp_path):
    jaxnn.save(tmp_path / "b.npz", {"x": np.arange(3, dtype=">i4")})
    out = jaxnn.load(tmp_path / "b.npz")["x"]
    assert out.dtype == np.dtype("=i4")
    np.testing.assert_array_equal(out, [0, 1, 2])


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


def test_logistic_results_round_trip(tmp_path):
    for cls in (jaxnn.LogisticFit, jaxnn.LogisticBootstrap):
        value = cls(*[jnp.full((2,), i, jnp.float32) for i in range(len(cls._fields))])
        jaxnn.save(tmp_path / "fit.npz", value)
        out = jaxnn.load(tmp_path / "fit.npz")
        assert type(out) is cls
        _assert_identical(value, out)


# --- whole training states ---------------------------------------------------

OPTIMIZERS = {
    "adam": lambda: optax.adam(1e-3),
    "adamw": lambda: optax.adamw(optax.cosine_decay_schedule(1e-2, 100)),
    "chain": lambda: optax.chain(
        optax.clip_by_global_norm(1.0), optax.sgd(0.1, momentum=0.9, nesterov=True)
    ),
    "masked": lambda: optax.masked(
        optax.adam(1e-3),
        (jaxnn.Dense(True, False), jaxnn.Dense(False, True)),
    ),
    "schedule_free": lambda: optax.contrib.schedule_free_adamw(1e-3, warmup_steps=5),
    "inject_hyperparams": lambda: optax.inject_hyperparams(optax.rmsprop)(1e-3),
    "multi_steps": lambda: optax.MultiSteps(optax.lion(1e-4), every_k_schedule=2),
}


def _train_state(key, optimizer):
    params = jaxnn.init_mlp(key, [3, 5, 2])
    opt_state = optimizer.init(params)
    # A few real updates, so that every moment is nonzero.
    for i in range(3):
        grads = jax.tree.map(lambda p, i=i: jnp.sin(p + i), params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
    return {"params": params, "opt_state": opt_state, "key": jax.random.key(7)}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optax_state_round_trip(tmp_path, key, name):
    state = _train_state(key, OPTIMIZERS[name]())
    path = tmp_path / "state.npz"
    jaxnn.save(path, state)
    # Into a template: every Optax type comes back, every leaf bit for bit.
    fresh = {
        "params": state["params"],
        "opt_state": OPTIMIZERS[name]().init(state["params"]),
        "key": jax.random.key(0),
    }
    restored = jaxnn.load(path, like=fresh)
    _assert_identical(state, restored)
    # Without one: every leaf is there, at the same keys, with the same bits.
    plain = jaxnn.load(path)
    assert isinstance(plain["params"][0], jaxnn.Dense)
    assert _by_keys(plain) == _by_keys(state)


def _by_keys(tree):
    """{raw keys of the path: bits}: a field name and a dict key are alike."""
    return {
        tuple(_io._entry(k, "")[1] for k in path): _bits(leaf)
        for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]
    }


def test_like_accepts_shape_dtype_structs(tmp_path, key):
    optimizer = OPTIMIZERS["adamw"]()
    state = _train_state(key, optimizer)
    jaxnn.save(tmp_path / "s.npz", state)
    template = jax.eval_shape(lambda: state)
    _assert_identical(state, jaxnn.load(tmp_path / "s.npz", like=template))


def test_flax_nnx_state_round_trip(tmp_path):
    nnx = pytest.importorskip("flax.nnx")

    def model(seed):
        return nnx.Sequential(
            nnx.Linear(3, 8, rngs=nnx.Rngs(seed)),
            nnx.relu,
            nnx.Linear(8, 2, rngs=nnx.Rngs(seed + 1)),
        )

    trained, fresh = model(0), model(10)
    state = nnx.state(trained)
    assert 0 in state["layers"]  # integer keys, as nnx.Sequential has them
    jaxnn.save(tmp_path / "nnx.npz", state)
    restored = jaxnn.load(tmp_path / "nnx.npz", like=nnx.state(fresh))
    _assert_identical(state, restored)
    nnx.update(fresh, restored)
    x = jnp.linspace(-1, 1, 12).reshape(4, 3)
    np.testing.assert_array_equal(fresh(x), trained(x))
    plain = jaxnn.load(tmp_path / "nnx.npz")
    np.testing.assert_array_equal(
        plain["layers"][0]["kernel"]["value"], state["layers"][0]["kernel"][...]
    )


@pytest.mark.parametrize("impl", ["threefry2x32", "rbg"])
def test_typed_prng_keys_round_trip(tmp_path, impl):
    k = jax.random.key(42, impl=impl)
    tree = {"key": k, "keys": jax.random.split(k, 3), "raw": jax.random.PRNGKey(1)}
    jaxnn.save(tmp_path / "k.npz", tree)
    out = jaxnn.load(tmp_path / "k.npz")
    assert out["key"].dtype == k.dtype and out["keys"].shape == (3,)
    _assert_identical(tree, out)
    # The restored key draws what the original draws.
    np.testing.assert_array_equal(
        jax.random.normal(out["keys"][1], (4,)),
        jax.random.normal(tree["keys"][1], (4,)),
    )


class _Affine(NamedTuple):
    scale: jax.Array
    shift: jax.Array


def test_user_namedtuple_without_registration(tmp_path):
    value = [_Affine(jnp.ones(2), jnp.zeros(2))]
    jaxnn.save(tmp_path / "a.npz", value)
    _assert_identical(value, jaxnn.load(tmp_path / "a.npz", like=value))
    # Without a template: a dict of its fields, every leaf kept.
    out = jaxnn.load(tmp_path / "a.npz")
    assert list(out[0]) == ["scale", "shift"]
    np.testing.assert_array_equal(out[0]["scale"], value[0].scale)


@pytest.mark.parametrize(
    "like, match",
    [
        ({"w": jnp.ones(2), "b": jnp.zeros(1)}, "holds 1 leaves, like 2"),
        ({"v": jnp.ones(2)}, r"file has \"\['w'\]\" where like has \"\['v'\]\""),
        ({"w": jnp.ones(3)}, r"float32\[2\] in the file, float32\[3\] in like"),
        ({"w": jnp.ones(2, jnp.bfloat16)}, r"float32\[2\] in the file, bfloat16"),
        ([jnp.ones(2)], "trees differ"),
    ],
    ids=["count", "path", "shape", "dtype", "container"],
)
def test_like_that_does_not_fit_is_an_error(tmp_path, like, match):
    jaxnn.save(tmp_path / "w.npz", {"w": jnp.ones(2)})
    with pytest.raises(ValueError, match=match):
        jaxnn.load(tmp_path / "w.npz", like=like)


RESUME = textwrap.dedent(
    """
    import sys
    import jax, jax.numpy as jnp, optax
    import jaxnn

    def setup():
        optimizer = optax.chain(
            optax.clip_by_global_norm(1.0),
            optax.adamw(optax.warmup_cosine_decay_schedule(0.0, 3e-2, 5, 40)),
        )
        params = jaxnn.init_mlp(jax.random.key(0), [4, 16, 3])
        state = {"params": params, "opt_state": optimizer.init(params),
                 "key": jax.random.key(1), "step": 0}

        @jax.jit
        def step(state):
            key, sub = jax.random.split(state["key"])
            x = jax.random.normal(sub, (32, 4))
            y = jnp.stack([x[:, 0] * x[:, 1], jnp.sin(x[:, 2]), x[:, 3]], axis=1)

            def loss(p):
                return jnp.mean((jaxnn.mlp(p, x, activation=jaxnn.gelu) - y) ** 2)

            grads = jax.grad(loss)(state["params"])
            updates, opt_state = optimizer.update(
                grads, state["opt_state"], state["params"])
            params = optax.apply_updates(state["params"], updates)
            return {"params": params, "opt_state": opt_state, "key": key,
                    "step": state["step"] + 1}

        return state, step

    def run(state, step, n):
        for _ in range(n):
            state = step(state)
        return state

    if __name__ == "__main__":
        checkpoint, out = sys.argv[1], sys.argv[2]
        template, step = setup()
        state = jaxnn.load(checkpoint, like=template)
        jaxnn.save(out, run(state, step, 20 - state["step"]))
    """
)


def test_training_resumed_in_a_fresh_process_is_bit_identical(tmp_path):
    script = tmp_path / "resume.py"
    script.write_text(RESUME)
    namespace = {"__name__": "resume"}
    exec(compile(RESUME, str(script), "exec"), namespace)  # this file's own code
    state, step = namespace["setup"]()
    uninterrupted = namespace["run"](state, step, 20)
    halfway = namespace["run"](state, step, 8)
    jaxnn.save(tmp_path / "ckpt.npz", halfway)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(pathlib.Path(jaxnn.__file__).parents[1]), env.get("PYTHONPATH", "")]
    )
    subprocess.run(
        [
            sys.executable,
            str(script),
            str(tmp_path / "ckpt.npz"),
            str(tmp_path / "end.npz"),
        ],
        check=True,
        env=env,
        timeout=300,
    )
    resumed = jaxnn.load(tmp_path / "end.npz", like=uninterrupted)
    assert resumed["step"] == 20
    _assert_identical(uninterrupted, resumed)
    # The run moved: a resumed run that did nothing would not match.
    assert not np.array_equal(halfway["params"][0].weight, resumed["params"][0].weight)


# --- what cannot be saved, and where files go -------------------------------


@pytest.mark.parametrize(
    "tree, match",
    [
        (
            {1.5: jnp.ones(1)},
            r"cannot save the key DictKey\(key=1.5\); expected str or int keys",
        ),
        ({"a": {1, 2}}, r"tree\['a'\]: cannot save a set"),
        ((jnp.ones(1), object()), r"tree\[1\]: cannot save a object"),
        ((1 + 2j,), r"tree\[0\]: cannot save a complex"),
        (np.array(["a", "b"]), "dtype <U1 cannot be saved"),
        (np.array([1, None], dtype=object), "dtype object cannot be saved"),
    ],
    ids=["float-key", "set", "object", "complex", "str-array", "object-array"],
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


def _nested(depth):
    tree = jnp.ones(1)
    for _ in range(depth):
        tree = [tree]
    return tree


def test_deep_tree_is_a_value_error(tmp_path):
    jaxnn.save(tmp_path / "ok.npz", _nested(100))
    assert len(jax.tree.leaves(jaxnn.load(tmp_path / "ok.npz"))) == 1
    for depth in (101, 5000):
        with pytest.raises(ValueError, match="nested more than 100 levels deep"):
            jaxnn.save(tmp_path / "deep.npz", _nested(depth))
    with pytest.raises(ValueError, match="like: nested more than 100 levels"):
        jaxnn.load(tmp_path / "ok.npz", like=_nested(5000))


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_new_file_honours_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        jaxnn.save(tmp_path / "p.npz", {"w": jnp.ones(2)})
        np.savez(tmp_path / "reference.npz", w=np.ones(2))
    finally:
        os.umask(old)
    mode = stat.S_IMODE(os.stat(tmp_path / "p.npz").st_mode)
    assert mode == 0o666 & ~umask
    assert mode == stat.S_IMODE(os.stat(tmp_path / "reference.npz").st_mode)


def test_existing_file_keeps_its_mode(tmp_path):
    path = tmp_path / "p.npz"
    jaxnn.save(path, {"w": jnp.ones(2)})
    os.chmod(path, 0o640)
    jaxnn.save(path, {"w": jnp.zeros(2)})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    np.testing.assert_array_equal(jaxnn.load(path)["w"], np.zeros(2))


def test_symlink_is_written_through(tmp_path):
    (tmp_path / "store").mkdir()
    target = tmp_path / "store" / "weights.npz"
    jaxnn.save(target, {"w": jnp.ones(2)})
    link = tmp_path / "latest.npz"
    link.symlink_to(target)
    jaxnn.save(link, {"w": jnp.full(2, 3.0)})
    assert link.is_symlink() and os.readlink(link) == str(target)
    np.testing.assert_array_equal(jaxnn.load(target)["w"], [3.0, 3.0])
    assert sorted(p.name for p in (tmp_path / "store").iterdir()) == ["weights.npz"]


def test_missing_directory_is_named(tmp_path):
    missing = tmp_path / "no" / "such"
    with pytest.raises(FileNotFoundError) as info:
        jaxnn.save(missing / "p.npz", {"w": jnp.ones(2)})
    assert info.value.filename == str(missing)
    assert str(missing) in str(info.value) and ".tmp" not in str(info.value)


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


def _header_bytes(raw, members, path):
    members = dict(members)
    members["__jaxnn__.npy"] = _npy_bytes(np.frombuffer(raw, np.uint8))
    _rewrite(path, members)
    return path


def _with_header(path, tmp_path, edit):
    members = _members(path)
    header = json.loads(
        np.load(io.BytesIO(members["__jaxnn__.npy"]), allow_pickle=False).tobytes()
    )
    edit(header)
    return _header_bytes(json.dumps(header).encode(), members, tmp_path / "edited.npz")


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
    weight_bytes = _members(good_file)["leaf_0.npy"][-8:]
    data[bytes(data).index(weight_bytes)] ^= 0xFF
    bad = tmp_path / "flipped.npz"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="corrupt"):
        jaxnn.load(bad)


@pytest.mark.parametrize(
    "content, match",
    [
        (b"", "the file is empty"),
        (b"hello, world", r"not an .npz \(zip\) archive"),
        (_npy_bytes(np.ones(3)), r"not an .npz \(zip\) archive \(b'\\x93NUMPY"),
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
    head = {
        "format": "jaxnn.params",
        "version": 2,
        "entries": [{"path": [], "kind": "jax", "dtype": "float32", "shape": []}],
    }
    archive = _header_bytes(
        json.dumps(head).encode(), {"leaf_0.npy": npy}, tmp_path / "obj.npz"
    )
    with pytest.raises(ValueError, match="corrupt archive member 'leaf_0'"):
        jaxnn.load(archive)
    assert not marker.exists()


def test_nothing_named_in_a_file_is_imported(tmp_path):
    # A node names a module that is not imported; loading leaves it unimported.
    name = "jaxnn_test_never_imported_module"

    def edit(h):
        h["entries"][1].update(node="other", name=f"{name}.Evil")

    bad = _with_header(_good(tmp_path), tmp_path, edit)
    out = jaxnn.load(bad)
    assert name not in sys.modules
    assert sorted(out[0]) == ["bias", "weight"]


def _good(tmp_path):
    path = tmp_path / "g.npz"
    jaxnn.save(path, (jaxnn.Dense(jnp.ones((2, 3)), jnp.zeros(3)),))
    return path


E = "entries"
TAMPER = {
    "format": (lambda h: h.update(format="other.format"), "expected format 'jaxnn"),
    "newer-version": (
        lambda h: h.update(version=99),
        "version 99 was written by a newer",
    ),
    "old-version": (lambda h: h.update(version=1), "an earlier development jaxnn"),
    "version-type": (lambda h: h.update(version="2"), "bad format version"),
    "no-entries": (lambda h: h.pop(E), "has no 'entries'"),
    "shape": (lambda h: h[E][2].update(shape=[4, 3]), "leaf_0 .* is float32"),
    "dtype": (lambda h: h[E][2].update(dtype="float64"), "leaf_0 .* is float32"),
    "object-dtype": (lambda h: h[E][2].update(dtype="object"), "unknown dtype"),
    "struct-dtype": (lambda h: h[E][2].update(dtype="i4,i4"), "unknown dtype"),
    "bad-kind": (lambda h: h[E][2].update(kind="module"), "malformed description"),
    "missing-leaf": (
        lambda h: h[E].append(dict(h[E][2], path=[["i", 1]])),
        "no member 'leaf_4'",
    ),
    "extra-member": (lambda h: h[E].pop(), "unexpected members"),
    "node-type": (lambda h: h[E][0].update(node="eval"), "malformed node 'eval'"),
    "node-not-str": (lambda h: h[E][0].update(node=["x"]), "malformed header entry"),
    "path-type": (lambda h: h[E][2].update(path="x"), "malformed header entry"),
    "path-key": (lambda h: h[E][2].update(path=[["i", -1]]), "malformed header entry"),
    "two-roots": (lambda h: h[E][1].update(path=[]), "malformed tree"),
    "orphan": (
        lambda h: h[E][2].update(path=[["k", "x"], ["a", "y"]]),
        "malformed tree",
    ),
    "duplicate": (lambda h: h[E][3].update(path=h[E][2]["path"]), "malformed tree"),
    "key-impl": (
        lambda h: h[E][2].update(kind="key", impl="os.system"),
        "not a valid PRNG",
    ),
    "bad-float": (
        lambda h: h[E][2].update(kind="float", v="0x1.5q"),
        "a float leaf holds",
    ),
    "entry-type": (lambda h: h[E].append(3), "malformed header entry"),
}


@pytest.mark.parametrize("edit, match", TAMPER.values(), ids=TAMPER.keys())
def test_tampered_header(good_file, tmp_path, edit, match):
    bad = _with_header(good_file, tmp_path, edit)
    with pytest.raises(ValueError, match=match):
        jaxnn.load(bad)


def test_header_not_json(good_file, tmp_path):
    members = _members(good_file)
    bad = _header_bytes(b"{not json", members, tmp_path / "h.npz")
    with pytest.raises(ValueError, match="not valid JSON"):
        jaxnn.load(bad)
    # Deeply nested JSON is refused with the same error, not a RecursionError.
    deep = _header_bytes(b"[" * 100_000 + b"]" * 100_000, members, tmp_path / "d.npz")
    with pytest.raises(ValueError, match="not valid JSON: nested too deeply"):
        jaxnn.load(deep)
    members["__jaxnn__.npy"] = _npy_bytes(np.ones(3))
    _rewrite(bad, members)
    with pytest.raises(ValueError, match="not a uint8 byte string"):
        jaxnn.load(bad)


def test_deep_key_path_in_a_header(good_file, tmp_path):
    def edit(h):
        h[E][2]["path"] = [["i", 0]] * 5000

    with pytest.raises(ValueError, match="malformed header entry"):
        jaxnn.load(_with_header(good_file, tmp_path, edit))


def test_float64_jax_leaf_needs_x64(good_file, tmp_path):
    # A float64 jax leaf (saved with x64 on) cannot be held with x64 off.
    with jax.enable_x64(True):
        jaxnn.save(tmp_path / "f64.npz", {"w": jnp.ones(3, jnp.float64)})
        assert jaxnn.load(tmp_path / "f64.npz")["w"].dtype == jnp.float64
    with pytest.raises(ValueError, match="jax_enable_x64 is off"):
        jaxnn.load(tmp_path / "f64.npz")


def test_io_module_imports_no_pickle_and_not_the_package():
    tree = ast.parse(pathlib.Path(_io.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    assert "pickle" not in imported
    # Only jaxnn's private modules, never the package that imports this one.
    ours = {m for m in imported if m.split(".")[0] == "jaxnn"}
    assert ours and all(m.startswith("jaxnn._") for m in ours), ours
    source = pathlib.Path(_io.__file__).read_text(encoding="utf-8")
    assert "allow_pickle=False" in source and "allow_pickle=True" not in source
