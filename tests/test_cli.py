"""Tests of the ``jaxnn fit`` command (jaxnn/_cli.py, jaxnn/__main__.py).

A few runs go through a real subprocess (``python -m jaxnn fit``), as a user
would; the other paths call ``main`` in this process, which is the same code
without paying for a new interpreter each time. statsmodels is the reference
for the numbers printed, and the Python API (``jaxnn.bootstrap_logistic``)
for the bootstrap intervals. The CSV reader has its own file,
tests/test_cli_csv.py, and the compile cache tests/test_cli_cache.py.
"""

import importlib.metadata
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import statsmodels.api as sm

import jaxnn
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


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jaxnn", *args],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=cwd,
        timeout=300,
        check=False,
    )


def _strict_json(text: str) -> dict:
    """Parse JSON as a strict parser (JavaScript's) does: no NaN, no Infinity."""

    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


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


def _error(capsys, argv: list[str]) -> str:
    """The one line a user error prints; its exit status is 2."""
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2, captured
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    assert "internal error" not in captured.err
    return lines[0]


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


def test_the_readme_example_runs(tmp_path: Path) -> None:
    # The README's command, word for word, on a CSV with its columns.
    rng = np.random.default_rng(3)
    n = 300
    age = rng.uniform(30, 80, n).round(1)
    size = rng.gamma(2.0, 1.2, n).round(2)
    p = 1 / (1 + np.exp(-(0.04 * (age - 55) + 0.6 * (size - 2.4))))
    outcome = np.where(rng.uniform(size=n) < p, "yes", "no")
    _csv(
        tmp_path / "data.csv",
        ["age", "size", "outcome"],
        [[a, s, o] for a, s, o in zip(age, size, outcome, strict=True)],
    )
    command = (
        "jaxnn fit data.csv --x age size --y outcome --positive yes --l2 0.1 "
        "--bootstrap 1000 --plot fit.png --json"
    )
    proc = _run(*command.split()[1:], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    res = _strict_json(proc.stdout)
    assert [c["name"] for c in res["coefficients"]] == ["age", "size", "intercept"]
    assert res["n"] == n and res["l2"] == 0.1 and res["y"] == "outcome = yes"
    assert res["bootstrap"]["n_resamples"] == 1000
    assert res["plot"] == "fit.png"
    png = (tmp_path / "fit.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    # The CSV reached the fit intact: the same fit from the arrays themselves.
    x = np.stack([age, size], axis=1)
    fit = jaxnn.fit_logistic(x, (outcome == "yes").astype(float), l2=0.1)
    est = [c["estimate"] for c in res["coefficients"]]
    np.testing.assert_allclose(est, [*fit.weight.tolist(), float(fit.bias)])
    for c in res["coefficients"]:
        assert c["bootstrap_ci"][0] < c["estimate"] < c["bootstrap_ci"][1]


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
    res = _strict_json(proc.stdout)
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
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "cannot read" in lines[0] and "nope.csv" in lines[0]
    assert "No such file" in lines[0]


def test_version_names_the_running_package() -> None:
    proc = _run("--version")
    assert proc.returncode == 0, proc.stderr
    # This checkout runs through PYTHONPATH; an installed jaxnn elsewhere has
    # metadata that do not describe it, so the package's own number is used.
    assert proc.stdout.split()[:2] == ["jaxnn", jaxnn.__version__]
    assert f"jax {jax.__version__}" in proc.stdout


def test_version_of_an_installed_package_is_its_metadata(
    capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Dist:
        version = "9.8.7"

        def locate_file(self, name: str) -> str:
            return str(Path(jaxnn.__file__).parent.parent / name)

    monkeypatch.setattr(importlib.metadata, "distribution", lambda name: Dist())
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("jaxnn 9.8.7 ")


@pytest.mark.skipif(shutil.which("jaxnn") is None, reason="jaxnn is not installed")
def test_console_script_prints_usage() -> None:
    proc = subprocess.run(
        ["jaxnn", "fit", "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and "--bootstrap" in proc.stdout


# -- in this process -------------------------------------------------------------


def test_default_json_predictions(capsys, reference) -> None:
    assert main(["fit", "--json", "--at", "3", "6", "12"]) == 0
    res = _strict_json(capsys.readouterr().out)
    b, m = reference.params
    assert [p["x"] for p in res["predictions"]] == [3.0, 6.0, 12.0]
    for p in res["predictions"]:
        assert p["p"] == pytest.approx(1 / (1 + np.exp(-(m * p["x"] + b))), rel=1e-4)
        assert p["ci"][0] < p["p"] < p["ci"][1]
        assert p["source"] == pytest.approx(1 / (1 + np.exp(-(1.87 * p["x"] - 5.47))))
    assert res["source_curve"] == {"m": 1.87, "b": -5.47}
    ci = res["coefficients"][0]["ci"]
    np.testing.assert_allclose(ci, reference.conf_int()[1], rtol=1e-3)


def test_json_writes_null_for_non_finite_values(
    capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fit whose standard errors are not finite (as for a design the
    # information matrix cannot invert): the JSON must still be strict.
    real = jaxnn.fit_logistic

    def fit_without_stderr(*args, **kwargs):
        fit = real(*args, **kwargs)
        nan = jnp.full_like(fit.weight_stderr, jnp.nan)
        return fit._replace(weight_stderr=nan, bias_stderr=jnp.float32(jnp.inf))

    monkeypatch.setattr(jaxnn, "fit_logistic", fit_without_stderr)
    assert main(["fit", "--json"]) == 0
    res = _strict_json(capsys.readouterr().out)
    size_cm, intercept = res["coefficients"]
    assert size_cm["stderr"] is None and size_cm["z"] is None
    assert size_cm["ci"] == [None, None] and intercept["stderr"] is None
    assert size_cm["estimate"] == pytest.approx(0.4243, abs=1e-4)
    assert main(["fit"]) == 0
    assert "size_cm       0.4243       nan" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["nan", "inf", "Infinity", "1_5"])
def test_at_refuses_what_is_not_a_finite_number(capsys, value) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["fit", "--at", "3", value])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert f"argument --at: expected a finite number, got {value!r}" in err[0]


def test_at_beyond_float32_suggests_float64(capsys) -> None:
    msg = _error(capsys, ["fit", "--at", "3", "1e39"])
    assert "--at 1e+39 is beyond the range of float32" in msg and "--float64" in msg


def test_bootstrap_is_the_python_api_with_the_same_seed(capsys) -> None:
    # One seed, one answer, through both doors.
    assert main(["fit", "--bootstrap", "300", "--seed", "7", "--json"]) == 0
    res = _strict_json(capsys.readouterr().out)
    size, spread = tumor()
    boot = jaxnn.bootstrap_logistic(jax.random.key(7), size, spread, n_resamples=300)
    assert res["coefficients"][0]["bootstrap_ci"] == boot.weight_ci()[0].tolist()
    assert res["coefficients"][1]["bootstrap_ci"] == boot.bias_ci().tolist()
    assert res["bootstrap"]["n_failed"] == 300 - int(boot.ok.sum())
    assert res["bootstrap"]["seed"] == 7
    lo, hi = res["coefficients"][0]["bootstrap_ci"]
    assert lo < res["coefficients"][0]["estimate"] < hi


def test_no_progress_output_unless_stderr_is_a_terminal(
    capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["fit", "--bootstrap", "100", "--json"]) == 0
    assert capsys.readouterr().err == ""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["fit", "--bootstrap", "100", "--json"]) == 0
    shown = terminal.getvalue()
    assert shown.startswith("bootstrap: 100 resamples ...\r")
    assert shown.endswith(" s\n") and "resamples in " in shown


class _SavedFigures:
    """Records the x-ranges of each figure --plot saves: the axis, the curve."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        from matplotlib.figure import Figure

        self.xlims: list[tuple[float, float]] = []
        self.curves: list[tuple[float, float]] = []
        self.legends: list[str] = []
        real = Figure.savefig

        def savefig(fig, *args, **kwargs):
            ax = fig.axes[0]
            self.xlims.append(ax.get_xlim())
            fitted = next(ln for ln in ax.lines if ln.get_label().startswith("fit"))
            grid = np.asarray(fitted.get_xdata())
            self.curves.append((grid.min(), grid.max()))
            self.legends.append(" ".join(t.get_text() for t in ax.get_legend().texts))
            return real(fig, *args, **kwargs)

        monkeypatch.setattr(Figure, "savefig", savefig)


def test_plot_writes_a_png(tmp_path: Path, capsys) -> None:
    out = tmp_path / "fit.png"
    assert main(["fit", "--plot", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 10_000
    assert f"plot written to {out}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("lo", "hi"), [(1990, 2020), (-10.0, -2.0), (-3.0, 4.0), (0.3, 12.0)], ids=str
)
def test_plot_spans_the_data(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch, lo, hi
) -> None:
    saved = _SavedFigures(monkeypatch)
    rng = np.random.default_rng(0)
    x = np.linspace(lo, hi, 80)
    y = (rng.uniform(size=80) < 1 / (1 + np.exp(-(x - x.mean())))).astype(int)
    path = _csv(
        tmp_path / "d.csv", ["year", "y"], [[a, b] for a, b in zip(x, y, strict=True)]
    )
    png = tmp_path / "fit.png"
    assert main(["fit", str(path), "--x", "year", "--y", "y", "--plot", str(png)]) == 0
    span = hi - lo
    for left, right in (saved.xlims[0], saved.curves[0]):
        assert lo - 0.1 * span <= left <= lo and hi <= right <= hi + 0.1 * span
        # The padding does not cross zero: a size is never negative.
        assert left >= 0 or lo < 0


def test_plot_with_several_columns_holds_the_others_at_their_means(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = _SavedFigures(monkeypatch)
    rows = [[a, s, int((a + 10 * s) % 7 < 3)] for a in range(30, 70, 2) for s in (1, 3)]
    path = _csv(tmp_path / "d.csv", ["age", "size", "y"], rows)
    argv = ["fit", str(path), "--x", "age", "size", "--y", "y", "--plot"]
    assert main([*argv, str(tmp_path / "a.png")]) == 0
    assert saved.xlims[0][0] <= 30 and saved.xlims[0][1] >= 68
    assert "at the means: size = 2" in saved.legends[0]
    assert main([*argv, str(tmp_path / "s.png"), "--plot-x", "size"]) == 0
    assert saved.xlims[1][0] <= 1 and 3 <= saved.xlims[1][1] <= 3.5
    assert "at the means: age = 49" in saved.legends[1]
    capsys.readouterr()
    msg = _error(capsys, [*argv, str(tmp_path / "s.png"), "--plot-x", "weight"])
    assert "--plot-x 'weight' is not an --x column (age, size)" in msg


def test_plot_reports_the_file_it_wrote(tmp_path: Path, capsys) -> None:
    # Without an extension, matplotlib's default format is written, as .png.
    assert main(["fit", "--plot", str(tmp_path / "curve")]) == 0
    assert f"plot written to {tmp_path / 'curve.png'}" in capsys.readouterr().out
    assert (tmp_path / "curve.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["fit", "--json", "--plot", str(tmp_path / "curve.svg")]) == 0
    assert _strict_json(capsys.readouterr().out)["plot"] == str(tmp_path / "curve.svg")
    assert b"<svg" in (tmp_path / "curve.svg").read_bytes()[:500]


def test_plot_with_an_unknown_extension_is_a_user_error(tmp_path: Path, capsys) -> None:
    msg = _error(capsys, ["fit", "--plot", str(tmp_path / "fit.xyz")])
    assert "unknown extension '.xyz'" in msg and ".png" in msg and ".pdf" in msg
    msg = _error(capsys, ["fit", "--plot", str(tmp_path / "no" / "fit.png")])
    assert "no directory" in msg


def test_results_are_printed_before_a_failed_plot(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matplotlib.figure import Figure

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", disk_full)
    assert main(["fit", "--plot", str(tmp_path / "fit.png")]) == 2
    captured = capsys.readouterr()
    assert "size_cm       0.4243" in captured.out
    assert "plot written" not in captured.out
    assert "cannot write" in captured.err and "No space left" in captured.err


def test_plot_without_matplotlib_says_how_to_install(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.backend_bases", None)
    msg = _error(capsys, ["fit", "--plot", str(tmp_path / "fit.png")])
    assert "--plot needs matplotlib" in msg and "jaxnn[plot]" in msg
    assert not (tmp_path / "fit.png").exists()


def test_missing_column_lists_the_available_ones(tmp_path: Path, capsys) -> None:
    path = _csv(tmp_path / "d.csv", ["size", "spread"], [[1, 0], [2, 1]])
    msg = _error(capsys, ["fit", str(path), "--x", "tsize", "--y", "spread"])
    assert "no column 'tsize'" in msg and "available: size, spread" in msg


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


def test_fit_errors_about_columns_name_them(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    # fit_logistic numbers the columns of x; the command says which is which.
    def rank_deficient(*args, **kwargs):
        raise ValueError("x: columns 0 and 1 are linearly dependent")

    monkeypatch.setattr(jaxnn, "fit_logistic", rank_deficient)
    path = _csv(tmp_path / "d.csv", ["a", "b", "y"], [[1, 2, 0], [2, 4, 1]])
    msg = _error(capsys, ["fit", str(path), "--x", "a", "b", "--y", "y"])
    assert msg.endswith(
        "x: columns 0 and 1 are linearly dependent (x columns: 0 = a, 1 = b)"
    )


def test_option_errors(tmp_path: Path, capsys) -> None:
    assert "need a CSV" in _error(capsys, ["fit", "--x", "a"])
    path = _csv(tmp_path / "d.csv", ["a", "b", "y"], [[1, 2, 0], [2, 1, 1]])
    assert "name the columns" in _error(capsys, ["fit", str(path)])
    msg = _error(capsys, ["fit", str(path), "--x", "a", "b", "--y", "y", "--at", "3"])
    assert "--at needs exactly one --x column" in msg
    msg = _error(capsys, ["fit", str(path), "--x", "a", "a", "--y", "y"])
    assert "column 'a' is named twice" in msg
    msg = _error(capsys, ["fit", str(path), "--x", "a", "y", "--y", "y"])
    assert "--y 'y' is also an --x column" in msg
    assert "--plot-x goes with --plot" in _error(capsys, ["fit", "--plot-x", "a"])
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    assert "empty" in _error(capsys, ["fit", str(empty), "--x", "a", "--y", "y"])


def test_x_that_swallows_the_csv_name_gets_a_hint(tmp_path: Path, capsys) -> None:
    msg = _error(capsys, ["fit", "--x", "age", "size", "data.csv", "--y", "outcome"])
    assert "--x took 'data.csv' as a column name" in msg
    assert "jaxnn fit data.csv --x age size" in msg
    path = _csv(tmp_path / "table", ["a", "y"], [[1, 0], [2, 1]])
    msg = _error(capsys, ["fit", "--x", "a", str(path), "--y", "y"])
    assert f"--x took {str(path)!r} as a column name" in msg


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["fit", "--nonsense"], "unrecognized arguments: --nonsense"),
        (["fit", "--bootstrap", "0"], "--bootstrap: expected a positive count"),
        (["fit", "--seed", "-1"], "--seed: expected an integer from 0 to"),
        (["fit", "--seed", str(2**32)], "--seed: expected an integer from 0 to"),
        (["fit", "--l2", "nan"], "--l2: expected a finite number"),
        (["fit", "--l2", "-1"], "--l2: expected a number >= 0"),
        (["fit", "--delimiter", "ab"], "--delimiter: expected one character"),
        ([], "name a command: jaxnn fit"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_usage_errors_are_one_line(capsys, argv, expected) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0], err
