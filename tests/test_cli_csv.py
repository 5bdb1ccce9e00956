"""Tests of how ``jaxnn fit`` reads a CSV (jaxnn/_csv.py), through the command.

Files are written here byte by byte, as spreadsheets and scripts write them;
the expected numbers are the ones written. statsmodels is the reference for
the fit of a file read with a decimal comma.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest

from jaxnn._cli import main
from jaxnn._csv import BLOCK_ROWS, read_columns

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _no_compilation_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAXNN_CACHE_DIR", "off")


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _error(capsys, argv: list[str]) -> str:
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2, captured
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    assert "internal error" not in captured.err
    return lines[0]


ROWS = "1.5,0\n2.5,1\n3.0,0\n4.5,1\n2.0,1\n"


def test_a_byte_order_mark_is_not_part_of_the_first_name(tmp_path: Path) -> None:
    # Spreadsheets' "CSV UTF-8" starts with U+FEFF.
    path = _write(tmp_path / "d.csv", "\ufeffx,y\n" + ROWS)
    cols = read_columns(str(path), ["x"], "y")
    np.testing.assert_array_equal(cols.x[:, 0], [1.5, 2.5, 3.0, 4.5, 2.0])
    np.testing.assert_array_equal(cols.y, [0, 1, 0, 1, 1])


def test_utf16_files_get_a_hint(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path / "d.csv", "\ufeffx,y\n" + ROWS, "utf-16")
    msg = _error(capsys, ["fit", str(path), "--x", "x", "--y", "y"])
    assert "UTF-16" in msg and "CSV UTF-8" in msg


@pytest.mark.parametrize("delimiter", [";", "\t", "|"], ids=["semicolon", "tab", "bar"])
def test_the_delimiter_is_detected(tmp_path: Path, capsys, delimiter) -> None:
    text = "x,y\n" + ROWS
    path = _write(tmp_path / "d.csv", text.replace(",", delimiter))
    assert main(["fit", str(path), "--x", "x", "--y", "y", "--json"]) == 0
    assert '"n": 5' in capsys.readouterr().out
    cols = read_columns(str(path), ["x"], "y")
    assert cols.delimiter == delimiter
    np.testing.assert_array_equal(cols.x[:, 0], [1.5, 2.5, 3.0, 4.5, 2.0])


def test_the_delimiter_can_be_given(tmp_path: Path) -> None:
    # Commas inside quoted names do not count; a tie goes to the comma unless
    # --delimiter says otherwise.
    path = _write(tmp_path / "d.csv", '"size, cm";"spread, 0/1"\n1;0\n2;1\n')
    cols = read_columns(str(path), ["size, cm"], "spread, 0/1")
    assert cols.delimiter == ";"
    path = _write(tmp_path / "e.csv", "a,b;y\n1,5;0\n2,5;1\n")
    cols = read_columns(str(path), ["a,b"], "y", delimiter=";", decimal_comma=True)
    np.testing.assert_array_equal(cols.x[:, 0], [1.5, 2.5])


def test_decimal_commas_get_a_hint_and_an_option(tmp_path: Path, capsys) -> None:
    import statsmodels.api as sm

    x = [1.25, 2.5, 3.0, 4.75, 2.0, 0.5, 3.5]
    y = [0, 1, 0, 1, 1, 0, 1]
    text = "size;spread\n" + "".join(
        f"{v:g};{c}\n".replace(".", ",") for v, c in zip(x, y, strict=True)
    )
    path = _write(tmp_path / "d.csv", text)
    msg = _error(capsys, ["fit", str(path), "--x", "size", "--y", "spread"])
    assert "line 2, column 'size': expected a number, got '1,25'" in msg
    assert "pass --decimal-comma" in msg
    argv = ["fit", str(path), "--x", "size", "--y", "spread", "--decimal-comma"]
    assert main([*argv, "--json", "--float64"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["dtype"] == "float64"
    assert not jax.config.jax_enable_x64  # as it was before main()
    ref = sm.Logit(np.array(y, float), sm.add_constant(np.array(x))).fit(
        disp=0, tol=1e-12
    )
    est = [c["estimate"] for c in res["coefficients"]]
    np.testing.assert_allclose(est, ref.params[[1, 0]], rtol=1e-6)
    # With a decimal comma, a '.' would be a thousands separator: refused.
    path = _write(tmp_path / "e.csv", "size;spread\n1.234,5;0\n2,5;1\n")
    msg = _error(
        capsys, ["fit", str(path), "--x", "size", "--y", "spread", "--decimal-comma"]
    )
    assert "line 2" in msg and "'1.234,5'" in msg and "'.' is not read" in msg


def test_duplicate_header_names_are_an_error(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path / "d.csv", "x,y,x\n1,0,5\n2,1,6\n3,0,7\n")
    msg = _error(capsys, ["fit", str(path), "--x", "x", "--y", "y"])
    assert "names column 'x' more than once (cells 1, 3)" in msg
    # A duplicate among the columns not asked for is harmless.
    path = _write(tmp_path / "e.csv", "x,y,z,z\n1,0,5,5\n2,1,6,6\n3,0,7,7\n")
    assert read_columns(str(path), ["x"], "y").x.shape == (3, 1)


@pytest.mark.parametrize(
    "cell", ["1_5", "0x10", "١٢", "1.5.2", "1,5", "1e", "--1", "15 cm"]
)
def test_only_plain_numbers_are_numbers(tmp_path: Path, capsys, cell) -> None:
    # Python's float() reads "1_5" as 15 and "١٢" (Arabic-Indic digits) as 12.
    path = _write(tmp_path / "d.csv", f'x,y\n1,0\n2,1\n"{cell}",0\n3,1\n')
    msg = _error(capsys, ["fit", str(path), "--x", "x", "--y", "y"])
    assert f"line 4, column 'x': expected a number, got {cell!r}" in msg


@pytest.mark.parametrize("cell", ["nan", "NaN", "inf", "-Infinity"])
def test_non_finite_cells_name_their_line(tmp_path: Path, capsys, cell) -> None:
    path = _write(tmp_path / "d.csv", f"x,y\n1,0\n2,1\n{cell},0\n3,1\n")
    msg = _error(capsys, ["fit", str(path), "--x", "x", "--y", "y"])
    assert f"line 4, column 'x': expected a finite number, got {cell!r}" in msg


def test_line_numbers_count_blank_lines_and_quoted_line_breaks(
    tmp_path: Path, capsys
) -> None:
    # Line 1 header; 2 a row; 3 blank; 4-5 one row whose note spans two
    # lines; 6 a row of empty cells (a spreadsheet's); 7 a row; 8 the bad cell.
    text = 'x,y,note\n1,0,a\n\n2,1,"two\nlines"\n,,\n3,1,b\nbig,0,c\n'
    path = _write(tmp_path / "d.csv", text)
    msg = _error(capsys, ["fit", str(path), "--x", "x", "--y", "y"])
    assert msg.endswith("line 8, column 'x': expected a number, got 'big'")
    path = _write(tmp_path / "e.csv", text.replace("big", "4"))
    cols = read_columns(str(path), ["x"], "y")
    np.testing.assert_array_equal(cols.x[:, 0], [1, 2, 3, 4])


def test_missing_cells_are_errors_naming_the_line(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path / "d.csv", "x,y\n1,0\n2,1\n,0\n3,1\n")
    msg = _error(capsys, ["fit", str(path), "--x", "x", "--y", "y"])
    assert "line 4, column 'x': empty cell" in msg
    path = _write(tmp_path / "e.csv", "x,z,y\n1,0,0\n2,1,1\n3,1\n")
    msg = _error(capsys, ["fit", str(path), "--x", "x", "--y", "y"])
    assert "line 4 has 2 cells, so none for column 'y' (cell 3" in msg


def test_errors_deep_in_a_large_file_name_their_line(tmp_path: Path, capsys) -> None:
    # Past the first block of rows the line number still counts from the top.
    n = BLOCK_ROWS + 100
    body = "".join(f"{k % 7},{k % 2}\n" for k in range(n))
    lines = body.splitlines(keepends=True)
    lines[BLOCK_ROWS + 40] = "1_0,1\n"
    path = _write(tmp_path / "d.csv", "x,y\n" + "".join(lines))
    msg = _error(capsys, ["fit", str(path), "--x", "x", "--y", "y"])
    assert f"line {BLOCK_ROWS + 42}, column 'x'" in msg and "'1_0'" in msg
    k = BLOCK_ROWS + 40
    lines[k] = f"{k % 7},{k % 2}\n"
    path = _write(tmp_path / "e.csv", "x,y\n" + "".join(lines))
    cols = read_columns(str(path), ["x"], "y")
    np.testing.assert_array_equal(cols.x[:, 0], np.arange(n) % 7)
    np.testing.assert_array_equal(cols.y, np.arange(n) % 2)


def test_values_beyond_float32_suggest_float64(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path / "d.csv", "x,y\n1,0\n2,1\n1e40,0\n3,1\n")
    msg = _error(capsys, ["fit", str(path), "--x", "x", "--y", "y"])
    assert "line 4, column 'x': 1e40 is beyond the range of float32" in msg
    assert "--float64" in msg
    cols = read_columns(str(path), ["x"], "y", float64=True)
    assert cols.x[2, 0] == 1e40
    path = _write(tmp_path / "e.csv", "x,y\n1,0\n2,1\n1e400,0\n3,1\n")
    msg = _error(capsys, ["fit", str(path), "--x", "x", "--y", "y", "--float64"])
    assert "line 4, column 'x': 1e400 is beyond the range of float64" in msg


def test_text_labels_and_their_values(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "x,y\n1, yes\n2,no\n3,maybe\n4,yes \n")
    cols = read_columns(str(path), ["x"], "y", positive="yes")
    np.testing.assert_array_equal(cols.y, [1, 0, 0, 1])
    path = _write(tmp_path / "e.csv", "x,y\n1,1.0\n2,0\n3,1\n")
    np.testing.assert_array_equal(read_columns(str(path), ["x"], "y").y, [1, 0, 1])


def test_not_utf8_is_a_user_error(tmp_path: Path, capsys) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(b"x,y\n1,0\n2,1\n\xe9,0\n")
    msg = _error(capsys, ["fit", str(path), "--x", "x", "--y", "y"])
    assert "not UTF-8" in msg


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux")
def test_parsing_a_large_file_takes_a_few_times_its_size(tmp_path: Path) -> None:
    # Peak memory while reading, measured in a fresh process; reading into
    # lists of Python strings took about 40 times the file's size.
    rng = np.random.default_rng(0)
    n = 200_000
    age = rng.uniform(20, 80, n).round(2)
    size = rng.gamma(2.0, 1.5, n).round(3)
    label = np.where(rng.uniform(size=n) < 0.5, "yes", "no")
    path = tmp_path / "big.csv"
    with path.open("w") as f:
        f.write("age,size,outcome\n")
        f.writelines(f"{a},{s},{o}\n" for a, s, o in zip(age, size, label, strict=True))
    script = (
        "import resource, sys\n"
        "from jaxnn._csv import read_columns\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "c = read_columns(sys.argv[1], ['age', 'size'], 'outcome', positive='yes')\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(after - before, c.x.sum(), c.y.sum())\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), JAX_PLATFORMS="cpu")
    proc = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        capture_output=True, text=True, env=env, timeout=300, check=True,
    )  # fmt: skip
    grown_kib, x_sum, y_sum = proc.stdout.split()
    assert float(x_sum) == pytest.approx(age.sum() + size.sum(), rel=1e-12)
    assert float(y_sum) == (label == "yes").sum()
    file_kib = path.stat().st_size / 1024
    assert int(grown_kib) < 8 * file_kib, (int(grown_kib), file_kib)
