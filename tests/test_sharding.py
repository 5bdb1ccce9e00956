"""Tests of jaxnn/_sharding.py and of data-parallel jaxnn on many devices.

This pytest process already has jax started with one CPU device, so the
multi-device checks run in subprocesses that set ``XLA_FLAGS`` before jax
starts: ``tests/sharded/sharded_checks.py`` on 8 simulated CPU devices, and
two ``tests/sharded/multihost_worker.py`` processes of 4 devices each joined by
:func:`jax.distributed.initialize` (a two-host run on localhost).
"""

import os
import socket
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import Mesh, NamedSharding, PartitionSpec

import jaxnn

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TIMEOUT_S = 180


def _env(xla_flags: str) -> dict[str, str]:
    env = dict(os.environ)
    env["XLA_FLAGS"] = xla_flags
    env["JAX_PLATFORMS"] = "cpu"
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p
    )
    return env


def _report(what: str, proc: "subprocess.CompletedProcess[str]") -> str:
    return (
        f"{what} exited with {proc.returncode}\n--- stdout ---\n{proc.stdout}"
        f"\n--- stderr ---\n{proc.stderr[-6000:]}"
    )


# -- one device, in this process ---------------------------------------------


def test_data_mesh_defaults_to_all_devices() -> None:
    mesh = jaxnn.data_mesh()
    assert mesh.axis_names == ("data",)
    assert list(mesh.devices.flat) == jax.devices()
    assert jaxnn.data_mesh(jax.local_devices(), axis_name="rows").axis_names == (
        "rows",
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"devices": []}, ValueError, "devices: expected at least one device"),
        ({"devices": ["cpu:0"]}, TypeError, "devices: expected jax.Device"),
        ({"devices": jax.devices() * 2}, ValueError, "devices: expected distinct"),
        ({"axis_name": ""}, ValueError, "axis_name: expected a non-empty string"),
        ({"axis_name": 0}, ValueError, "axis_name: expected a non-empty string"),
    ],
    ids=["empty", "not-a-device", "repeated", "empty-axis", "int-axis"],
)
def test_data_mesh_rejects_bad_input(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        jaxnn.data_mesh(**kwargs)


def test_shard_batch_keeps_tree_values_and_dtypes() -> None:
    tree = {
        "x": np.arange(12, dtype=np.float32).reshape(4, 3),
        "y": jnp.array([1, 0, 1, 1], dtype=jnp.int32),
        "k": jax.random.split(jax.random.key(0), 4),
    }
    out = jaxnn.shard_batch(tree)
    assert jax.tree.structure(out) == jax.tree.structure(tree)
    spec = NamedSharding(jaxnn.data_mesh(), PartitionSpec("data"))
    for name in ("x", "y"):
        assert isinstance(out[name], jax.Array)
        assert out[name].dtype == tree[name].dtype
        assert out[name].sharding.is_equivalent_to(spec, out[name].ndim)
        np.testing.assert_array_equal(np.asarray(out[name]), np.asarray(tree[name]))
    assert jnp.array_equal(
        jax.random.key_data(out["k"]), jax.random.key_data(tree["k"])
    )


def test_shard_batch_names_the_bad_leaf() -> None:
    with pytest.raises(ValueError, match=r"tree\['b'\]: expected an array with a"):
        jaxnn.shard_batch({"a": jnp.ones(3), "b": jnp.float32(1.0)})


def test_shard_batch_rejects_foreign_mesh_and_axis() -> None:
    with pytest.raises(TypeError, match=r"mesh: expected a jax\.sharding\.Mesh"):
        jaxnn.shard_batch(jnp.ones(3), jax.devices())  # type: ignore[arg-type]
    mesh = Mesh(np.asarray(jax.devices()), ("batch",))
    with pytest.raises(ValueError, match=r"axis_name: 'data' is not an axis"):
        jaxnn.shard_batch(jnp.ones(3), mesh)
    x = jaxnn.shard_batch(jnp.ones(3), mesh, axis_name="batch")
    assert x.sharding.spec == PartitionSpec("batch")


def test_replicate_places_whole_leaves() -> None:
    params = (jnp.ones((3, 2)), jnp.arange(2.0))
    out = jaxnn.replicate(params)
    for a, b in zip(out, params, strict=True):
        assert a.sharding.is_fully_replicated
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    with pytest.raises(TypeError, match=r"mesh: expected a jax\.sharding\.Mesh"):
        jaxnn.replicate(params, "data")  # type: ignore[arg-type]


# -- 8 simulated devices, in a subprocess --------------------------------------


def test_data_parallel_on_8_devices(tmp_path: Path) -> None:
    """mlp, an Optax step, fit_logistic and bootstrap_logistic on 8 devices.

    The script asserts that the sharded results equal single-device ones, the
    output shardings, and that nothing is gathered (see its docstring).
    """
    flags = (
        "--xla_force_host_platform_device_count=8 "
        f"--xla_dump_to={tmp_path / 'hlo'} --xla_dump_hlo_as_text"
    )
    proc = subprocess.run(
        [sys.executable, "-W", "error", str(HERE / "sharded" / "sharded_checks.py")],
        env=_env(flags),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert proc.returncode == 0, _report("sharded_checks.py", proc)
    assert "ok   bootstrap over 8 devices == bootstrap on one device" in proc.stdout


# -- two processes of 4 devices: the multi-host recipe ------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_processes_with_a_global_mesh() -> None:
    port = _free_port()
    env = _env("--xla_force_host_platform_device_count=4")
    worker = str(HERE / "sharded" / "multihost_worker.py")
    procs = [
        subprocess.Popen(
            [sys.executable, "-W", "error", worker, str(i), "2", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    results = []
    try:
        for p in procs:
            stdout, stderr = p.communicate(timeout=TIMEOUT_S)
            results.append(
                subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr)
            )
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()
    for i, r in enumerate(results):
        assert r.returncode == 0, _report(f"multihost_worker.py process {i}", r)
        assert f"done [process {i}]" in r.stdout


def test_sharded_training_example_runs_on_8_devices() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            str(ROOT / "examples" / "sharded_training.py"),
            "--steps",
            "3",
            "--simulate-cpu-devices",
            "8",
        ],
        env=_env(""),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert proc.returncode == 0, _report("examples/sharded_training.py", proc)
    assert "8 device(s)" in proc.stdout
    assert "held-out accuracy" in proc.stdout
