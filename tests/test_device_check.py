"""Tests of ``benchmarks/device_check.sh``'s parts that can be checked quickly:
the output checker, the source stamp, and that the script fails loudly.

The whole dry run (``bash benchmarks/device_check.sh OUT --dry-run``, about
a minute) runs in CI, not here.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

from benchmarks import _check, _env

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "device_check.sh"


def _write_good_outputs(out: Path) -> None:
    (out / "env.json").write_text(
        json.dumps({"devices": ["cuda:0"], "versions": {"jax": "0.11.2"}})
    )
    (out / "accuracy.json").write_text(json.dumps([{"function": "sigmoid"}]))
    (out / "accuracy.md").write_text("| function |\n|---|\n| sigmoid |\n")
    bench = {
        "device": {},
        "versions": {},
        "targets": [],
        "headlines": [],
        "run": {"workers": [{"suite": "mlp", "side": "xla", "complete": True}]},
        "results": [{"case": "one fit", "implementation": "jaxnn"}],
    }
    (out / "benchmarks.json").write_text(json.dumps(bench))
    (out / "benchmarks.md").write_text("| a |\n|---|\n")
    (out / "benchmarks.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(8))
    (out / "tests.xml").write_text(
        '<testsuites><testsuite tests="3" failures="0" errors="0"/></testsuites>'
    )
    (out / "log.txt").write_text("== 0 failed step(s)\n")


def test_checker_accepts_well_formed_outputs(tmp_path):
    _write_good_outputs(tmp_path)
    assert _check.problems(tmp_path) == []
    assert _check.main([str(tmp_path)]) == 0


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda out: (out / "tests.xml").unlink(), "missing tests.xml"),
        (lambda out: (out / "extra.txt").write_text("x"), "unexpected file extra.txt"),
        (lambda out: (out / "accuracy.md").write_text(""), "accuracy.md is empty"),
        (lambda out: (out / "env.json").write_text("{"), "env.json: not JSON"),
        (
            lambda out: (out / "tests.xml").write_text(
                '<testsuite tests="3" failures="1" errors="0"/>'
            ),
            "tests.xml: {'tests': 3, 'failures': 1, 'errors': 0}",
        ),
        (
            lambda out: (out / "benchmarks.png").write_bytes(b"GIF89a"),
            "benchmarks.png: not a PNG",
        ),
    ],
    ids=["missing", "extra", "empty", "bad-json", "failed-test", "not-png"],
)
def test_checker_names_each_problem(tmp_path, damage, problem):
    _write_good_outputs(tmp_path)
    damage(tmp_path)
    assert any(p.startswith(problem) for p in _check.problems(tmp_path))
    assert _check.main([str(tmp_path)]) == 1


def test_checker_reports_failed_workers_and_error_rows(tmp_path):
    _write_good_outputs(tmp_path)
    bench = json.loads((tmp_path / "benchmarks.json").read_text())
    bench["run"]["workers"][0]["complete"] = False
    bench["results"].append(
        {"case": "relu/forward", "implementation": "jaxnn", "note": "error: boom"}
    )
    (tmp_path / "benchmarks.json").write_text(json.dumps(bench))
    assert _check.problems(tmp_path) == [
        "benchmarks: worker mlp/xla failed",
        "benchmarks: relu/forward jaxnn: error: boom",
    ]


def test_the_script_records_every_failed_step_and_exits_non_zero(tmp_path):
    # An interpreter that always fails: every step fails, none is skipped.
    env = os.environ | {"PYTHON": "false"}
    done = subprocess.run(
        ["bash", str(SCRIPT), str(tmp_path / "out"), "--dry-run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    steps = ("env", "accuracy", "benchmarks", "tests", "check")
    assert done.returncode == len(steps)
    log = (tmp_path / "out" / "log.txt").read_text()
    for name in steps:
        assert f"== {name}: exit 1 after" in log
    assert f"== {len(steps)} failed step(s)" in log


def test_the_script_rejects_an_unknown_option(tmp_path):
    done = subprocess.run(
        ["bash", str(SCRIPT), str(tmp_path), "--fast"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--dry-run" in done.stderr


def test_source_digest_follows_the_code_not_the_results(tmp_path, monkeypatch):
    monkeypatch.setattr(_env, "ROOT", tmp_path)
    (tmp_path / "jaxnn").mkdir()
    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    (tmp_path / "jaxnn" / "a.py").write_text("x = 1\n")
    first = _env.source_sha256()
    (tmp_path / "benchmarks" / "results" / "gpu.json").write_text("{}")
    assert _env.source_sha256() == first
    (tmp_path / "jaxnn" / "a.py").write_text("x = 2\n")
    assert _env.source_sha256() != first


def test_commit_stamp_without_git(tmp_path, monkeypatch):
    monkeypatch.setattr(_env, "ROOT", tmp_path)  # not a git checkout
    monkeypatch.delenv("JAXNN_COMMIT", raising=False)
    assert _env.commit() is None
    monkeypatch.setenv("JAXNN_COMMIT", "0123abc")
    assert _env.stamp()["commit"] == "0123abc"
