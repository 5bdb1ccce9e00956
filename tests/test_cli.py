"""Tests of the ``jaxnn fit`` command (jaxnn/_cli.py, jaxnn/__main__.py).

A few runs go through a real subprocess (``python -m jaxnn fit``), as a user
would; the error paths call ``main`` in this process, which is the same code
without paying for a new interpreter each time. statsmodels is the reference
for the numbers printed.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm

from jaxnn._cli import main
from jaxnn.datasets import gbsg2, tumor

ROOT = Path(__file__).resolve().parent.parent


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p
    )
    env["JAXNN_CACHE_DIR"] = "off"
    env["JAX_PLATFORMS"] = "cpu"
    return env


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jaxnn", *args],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=ROOT,
        timeout=120,
        check=False,
    )


@pytest.fixture(autouse=True)
def _no_compilation_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    # main() run in this process must not switch on JAX's persistent cache.
    monkeypatch.setenv("JAXNN_CACHE_DIR", "off")


@pytest.fixture(scope="module")
def reference():
    size, spread = tumor()
    return sm.Logit(spread, sm.add_constant(size)).fit(disp=0, tol=1e-12)


def _csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    lines = [",".join(header)] + [",".join(str(v) for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- through a subprocess ------------------------------------------------------


def test_default_run_prints_the_tumour_fit(reference) -> None:
    proc = _run("fit")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    b, m = reference.params
    row = next(line for line in out.splitlines() if line.startswith("size_cm"))
    cells = row.split()
    assert float(cells[1]) == pytest.approx(m, abs=2e-4)
    assert float(cells[2]) == pytest.approx(reference.bse[1], abs=2e-4)
    assert float(cells[3]) == pytest.approx(reference.tvalues[1], abs=0.01)
    assert f"log-likelihood = {reference.llf:.3f}" in out
    assert "iterations = " in out and "(converged)" in out
    # The fitted chance of spread at 3 and 6 cm, beside the source's curve:
    # sigmoid(1.87 x - 5.47) is 0.535 at 3 cm and 0.997 at 6 cm.
    for x, source in ((3, 0.535), (6, 0.997)):
        line = next(s for s in out.splitlines() if f"size_cm = {x} " in s)
        fitted = 1 / (1 + np.exp(-(m * x + b)))
        assert float(line.split()[4]) == pytest.approx(fitted, abs=6e-4)
        assert line.split()[-1] == f"{source:.3f}"
    assert proc.stderr == ""


def test_csv_json_float64_several_columns(tmp_path: Path) -> None:
    t = gbsg2()
    status = np.where(t["pnodes"] >= 4, "yes", "no")
    path = _csv(
        tmp_path / "gbsg2.csv",
        ["size", "age", "status"],
        [[a, b, c] for a, b, c in zip(t["tsize"], t["age"], status, strict=True)],
    )
    proc = _run(
        "fit", str(path), "--x", "size", "age", "--y", "status",
        "--positive", "yes", "--json", "--float64",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)
    x = np.stack([t["tsize"], t["age"]], axis=1).astype(float)
    ref = sm.Logit((status == "yes").astype(float), sm.add_constant(x)).fit(
        disp=0, tol=1e-12
    )
    assert res["dtype"] == "float64" and res["n"] == 686
    assert [c["name"] for c in res["coefficients"]] == ["size", "age", "intercept"]
    est = [c["estimate"] for c in res["coefficients"]]
    se = [c["stderr"] for c in res["coefficients"]]
    np.testing.assert_allclose(est, ref.params[[1, 2, 0]], rtol=1e-6)
    np.testing.assert_allclose(se, ref.bse[[1, 2, 0]], rtol=1e-6)
    np.testing.assert_allclose(res["log_likelihood"], ref.llf, rtol=1e-9)
    p = [c["p"] for c in res["coefficients"]]
    np.testing.assert_allclose(p, ref.pvalues[[1, 2, 0]], rtol=1e-5)


def test_missing_file_is_one_line_without_traceback(tmp_path: Path) -> None:
    proc = _run("fit", str(tmp_path / "nope.csv"), "--x", "a", "--y", "b")
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "cannot read" in lines[0] and "nope.csv" in lines[0]
    assert "No such file" in lines[0]


@pytest.mark.skipif(shutil.which("jaxnn") is None, reason="jaxnn is not installed")
def test_console_script_prints_usage() -> None:
    proc = subprocess.run(
        ["jaxnn", "fit", "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and "--bootstrap" in proc.stdout


# -- in this process -------------------------------------------------------------


def test_default_json_predictions(capsys, reference) -> None:
    assert main(["fit", "--json", "--at", "3", "6", "12"]) == 0
    res = json.loads(capsys.readouterr().out)
    b, m = reference.params
    assert [p["x"] for p in res["predictions"]] == [3.0, 6.0, 12.0]
    for p in res["predictions"]:
        assert p["p"] == pytest.approx(1 / (1 + np.exp(-(m * p["x"] + b))), rel=1e-4)
        assert p["ci"][0] < p["p"] < p["ci"][1]
        assert p["source"] == pytest.approx(1 / (1 + np.exp(-(1.87 * p["x"] - 5.47))))
    assert res["source_curve"] == {"m": 1.87, "b": -5.47}
    ci = res["coefficients"][0]["ci"]
    np.testing.assert_allclose(ci, reference.conf_int()[1], rtol=1e-3)


def test_bootstrap_draws_a_progress_bar(capsys) -> None:
    assert main(["fit", "--bootstrap", "4000", "--json"]) == 0
    captured = capsys.readouterr()
    assert "bootstrap [" in captured.err and "4000/4000" in captured.err
    assert captured.err.count("\r") >= 20
    res = json.loads(captured.out)
    lo, hi = res["coefficients"][0]["bootstrap_ci"]
    assert lo < res["coefficients"][0]["estimate"] < hi
    assert res["bootstrap"]["n_resamples"] == 4000


def test_plot_writes_a_png(tmp_path: Path, capsys) -> None:
    out = tmp_path / "fit.png"
    assert main(["fit", "--plot", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 10_000
    assert "plot written to" in capsys.readouterr().out


def test_plot_without_matplotlib_says_how_to_install(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main(["fit", "--plot", str(tmp_path / "fit.png")]) == 1
    err = capsys.readouterr().err
    assert "--plot needs matplotlib" in err and "jaxnn[plot]" in err
    assert not (tmp_path / "fit.png").exists()


def _error(capsys, argv: list[str]) -> str:
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 1, captured
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    return lines[0]


def test_missing_column_lists_the_available_ones(tmp_path: Path, capsys) -> None:
    path = _csv(tmp_path / "d.csv", ["size", "spread"], [[1, 0], [2, 1]])
    msg = _error(capsys, ["fit", str(path), "--x", "tsize", "--y", "spread"])
    assert "no column 'tsize'" in msg and "available: size, spread" in msg


def test_non_numeric_cell_names_line_and_column(tmp_path: Path, capsys) -> None:
    rows = [[1.5, 0], [2.5, 1], ["big", 1], [3.0, 0]]
    path = _csv(tmp_path / "d.csv", ["size", "spread"], rows)
    msg = _error(capsys, ["fit", str(path), "--x", "size", "--y", "spread"])
    assert "line 4, column 'size'" in msg and "'big'" in msg


def test_text_labels_need_positive(tmp_path: Path, capsys) -> None:
    rows = [[1.5, "no"], [2.5, "yes"]]
    path = _csv(tmp_path / "d.csv", ["size", "spread"], rows)
    msg = _error(capsys, ["fit", str(path), "--x", "size", "--y", "spread"])
    assert "line 2, column 'spread'" in msg and "--positive" in msg
    msg = _error(
        capsys,
        ["fit", str(path), "--x", "size", "--y", "spread", "--positive", "Yes"],
    )
    assert "matches no cell" in msg and "no, yes" in msg


def test_separated_data_suggest_l2(tmp_path: Path, capsys) -> None:
    rows = [[x, int(x >= 3)] for x in range(6)]
    path = _csv(tmp_path / "d.csv", ["x", "y"], rows)
    msg = _error(capsys, ["fit", str(path), "--x", "x", "--y", "y"])
    assert "perfectly separated" in msg and "--l2" in msg
    assert main(["fit", str(path), "--x", "x", "--y", "y", "--l2", "1"]) == 0
    assert "l2 = 1" in capsys.readouterr().out


def test_value_errors_from_the_fit_are_one_line(tmp_path: Path, capsys) -> None:
    rows = [[x, 1] for x in range(6)]
    path = _csv(tmp_path / "d.csv", ["x", "y"], rows)
    msg = _error(capsys, ["fit", str(path), "--x", "x", "--y", "y"])
    assert "every label is 1" in msg


def test_option_errors(tmp_path: Path, capsys) -> None:
    assert "need a CSV" in _error(capsys, ["fit", "--x", "a"])
    path = _csv(tmp_path / "d.csv", ["a", "b", "y"], [[1, 2, 0], [2, 1, 1]])
    assert "name the columns" in _error(capsys, ["fit", str(path)])
    msg = _error(capsys, ["fit", str(path), "--x", "a", "b", "--y", "y", "--at", "3"])
    assert "--at needs exactly one --x column" in msg
    assert "--bootstrap: expected a positive" in _error(
        capsys, ["fit", "--bootstrap", "0"]
    )
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    assert "empty" in _error(capsys, ["fit", str(empty), "--x", "a", "--y", "y"])


def test_usage_errors_are_one_line(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["fit", "--nonsense"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unrecognized arguments: --nonsense" in err[0]
