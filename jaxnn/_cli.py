"""The ``jaxnn`` command: ``jaxnn fit`` fits the logistic model and prints it.

With no arguments it fits the embedded GBSG2 tumour data (chance of spread
against tumour size) and compares the fit with the source's curve
(m = 1.87, b = -5.47). With a CSV file it fits the columns a user names.
Errors are one line on stderr and a non-zero exit status, never a traceback:
2 for a mistake in the input or the options, 1 for a fault in jaxnn itself.
"""

import argparse
import contextlib
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

import numpy as np

from jaxnn import _cache
from jaxnn._csv import FLOAT32_MAX, NUMBER, CsvError, read_columns
from jaxnn._plot import PlotError, plot_fit, plot_target

# The source's worked example (the blog post on the sigmoid's classic use, see
# docs/index.md): p = sigmoid(m x + b).
SOURCE_SLOPE = 1.87
SOURCE_INTERCEPT = -5.47
DEFAULT_AT = (3.0, 6.0)
USER_ERROR = 2
INTERNAL_ERROR = 1
# A file name the user meant as the CSV, not as a column name.
_DATA_SUFFIXES = (".csv", ".tsv", ".txt")
# jax.random.key keeps 32 bits of a seed unless x64 is on: 2**32 would be 0.
_SEED_MAX = 2**32 - 1


class CliError(Exception):
    """A mistake in the input or the options: one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(
            USER_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n"
        )


def _version() -> str:
    """The version of the jaxnn that is running (installed, or a checkout)."""
    import importlib.metadata
    from pathlib import Path

    import jax

    import jaxnn

    version = getattr(jaxnn, "__version__", "unknown")
    try:
        dist = importlib.metadata.distribution("jaxnn")
        here = Path(jaxnn.__file__).resolve()
        # The installed metadata describes this code only when it is the very
        # package running (not, say, a checkout on PYTHONPATH).
        if Path(str(dist.locate_file("jaxnn/__init__.py"))).resolve() == here:
            version = dist.version
    except (importlib.metadata.PackageNotFoundError, OSError):
        pass
    return f"jaxnn {version} (jax {jax.__version__})"


def _finite(text: str) -> float:
    if not NUMBER.fullmatch(text.strip()) or not math.isfinite(float(text)):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return float(text)


def _penalty(text: str) -> float:
    value = _finite(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _count(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive count, got {text!r}")
    return int(text)


def _seed(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) > _SEED_MAX:
        raise argparse.ArgumentTypeError(
            f"expected an integer from 0 to {_SEED_MAX}, got {text!r}"
        )
    return int(text)


def _delimiter(text: str) -> str:
    text = {"tab": "\t", "\\t": "\t"}.get(text.lower(), text)
    if len(text) != 1 or text in "\"'\r\n" or text.isalnum():
        raise argparse.ArgumentTypeError(
            f"expected one character such as ';' or 'tab', got {text!r}"
        )
    return text


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="jaxnn", description="jaxnn command line tools.")
    parser.add_argument(
        "--version", action="store_true", help="print the version and exit"
    )
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    fit = sub.add_parser(
        "fit",
        help="fit the logistic model p = sigmoid(x . w + b) by maximum likelihood",
        description=(
            "Fit the logistic model p(y = 1 | x) = sigmoid(x . w + b) by maximum "
            "likelihood. With no CSV, fits the embedded GBSG2 tumour data "
            "(spread = 4+ positive lymph nodes, against tumour size in cm) and "
            "compares it with the source's curve (m = 1.87, b = -5.47)."
        ),
        epilog=(
            "The CSV needs a header row; UTF-8 with or without a byte-order mark; "
            "cells separated by ',' ';' tab or '|' (detected from the header). "
            "Numbers are written 1.5 or 2e-3 (with --decimal-comma, 1,5). "
            "Compiled programs are kept in $JAXNN_CACHE_DIR (default "
            "~/.cache/jaxnn/xla; 'off' disables it). Exit status: 0 done, 2 a "
            "mistake in the input or options, 1 a fault in jaxnn."
        ),
    )
    fit.add_argument("csv", nargs="?", help="a CSV file with a header row")
    fit.add_argument(
        "--x",
        nargs="+",
        metavar="COLUMN",
        help="feature column(s); name the CSV before them (jaxnn fit data.csv "
        "--x a b ...)",
    )
    fit.add_argument("--y", metavar="COLUMN", help="label column (0/1 or text)")
    fit.add_argument(
        "--positive",
        metavar="VALUE",
        help="the label value that counts as 1 (for text labels such as 'yes'); "
        "every other value counts as 0",
    )
    fit.add_argument(
        "--at",
        nargs="+",
        type=_finite,
        metavar="X",
        help="x values to predict at (one --x column; default for the tumour "
        "data: 3 6)",
    )
    fit.add_argument(
        "--l2", type=_penalty, default=0.0, help="ridge penalty on w (default 0)"
    )
    fit.add_argument(
        "--bootstrap",
        type=_count,
        metavar="N",
        help="also run N bootstrap fits and report percentile intervals (the "
        "same as jaxnn.bootstrap_logistic(jax.random.key(SEED), x, y, "
        "n_resamples=N))",
    )
    fit.add_argument(
        "--seed", type=_seed, default=0, help="bootstrap seed, 0 to 2**32-1"
    )
    fit.add_argument(
        "--plot",
        metavar="FILE",
        help="draw data, fit and 95%% band over the data's range (matplotlib; "
        "the extension picks the format: .png, .pdf, .svg, ...; none: .png). "
        "With several --x columns the curve is drawn against --plot-x, the "
        "other columns held at their means",
    )
    fit.add_argument(
        "--plot-x",
        metavar="COLUMN",
        help="the --x column on the plot's horizontal axis (default: the first)",
    )
    fit.add_argument("--json", action="store_true", help="machine-readable output")
    fit.add_argument(
        "--solver", choices=("newton", "lbfgs"), default="newton", help="solver"
    )
    fit.add_argument(
        "--float64",
        action="store_true",
        help="fit in float64 (needed for numbers beyond float32's 3.4e38)",
    )
    fit.add_argument(
        "--delimiter",
        type=_delimiter,
        metavar="CHAR",
        help="the CSV's cell separator (default: detected from the header)",
    )
    fit.add_argument(
        "--decimal-comma",
        action="store_true",
        help="the CSV's numbers are written with a decimal comma (1,5), as "
        "spreadsheets in many languages write ';'-separated files",
    )
    return parser


def _source_curve(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-(SOURCE_SLOPE * x + SOURCE_INTERCEPT)))


def _finite_or_none(v: Any) -> Any:
    """The result with every non-finite float as None (JSON's null)."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: _finite_or_none(u) for k, u in v.items()}
    if isinstance(v, list | tuple):
        return [_finite_or_none(u) for u in v]
    return v


def _fmt(v: float, width: int = 9, spec: str = ".4f") -> str:
    return f"{v:{width}{spec}}" if math.isfinite(v) else f"{'nan':>{width}}"


def _report_text(res: dict[str, Any]) -> str:
    lines = [
        f"Logistic regression: P({res['y']}) = sigmoid(w . x + b)",
        f"data: {res['data']}",
        f"n = {res['n']}, log-likelihood = {res['log_likelihood']:.4f}, "
        f"iterations = {res['iterations']} "
        f"({'converged' if res['converged'] else 'NOT converged'}), "
        f"solver = {res['solver']}, {res['dtype']}"
        + (f", l2 = {res['l2']:g}" if res["l2"] else ""),
        "",
    ]
    name_w = max(9, *(len(c["name"]) for c in res["coefficients"]))
    boot = res.get("bootstrap")
    head = (
        f"{'':{name_w}}  {'estimate':>9} {'std err':>9} {'z':>7} {'P>|z|':>9}"
        f"  {'[95% CI]':^19}"
    )
    if boot:
        head += f"  {'[bootstrap 95%]':^19}"
    lines.append(head)
    for c in res["coefficients"]:
        row = (
            f"{c['name']:{name_w}}  {_fmt(c['estimate'])} {_fmt(c['stderr'])} "
            f"{_fmt(c['z'], 7, '.2f')} {_fmt(c['p'], 9, '.2e')}  "
            f"{_fmt(c['ci'][0])} {_fmt(c['ci'][1])}"
        )
        if boot:
            ci = c["bootstrap_ci"]
            row += f"  {_fmt(ci[0])} {_fmt(ci[1])}"
        lines.append(row)
    if boot:
        lines.append(
            f"bootstrap: {boot['n_resamples']} resamples (seed {boot['seed']}), "
            f"{boot['n_failed']} separated or not converged and left out"
        )
    if res["predictions"]:
        lines.append("")
        src = "source's curve" if res["source_curve"] else ""
        lines.append(
            f"{'predicted P(' + res['y'] + ')':<28} {'fitted':>7}  {'[95% CI]':^15}"
            f"  {src}"
        )
        for p in res["predictions"]:
            row = (
                f"  at {res['columns'][0]} = {p['x']:<12g} {_fmt(p['p'], 7, '.3f')}  "
                f"{_fmt(p['ci'][0], 6, '.3f')}  {_fmt(p['ci'][1], 6, '.3f')}"
            )
            if res["source_curve"]:
                row += f"  {p['source']:.3f}"
            lines.append(row)
        if res["source_curve"]:
            lines.append(
                "(source's curve: p = sigmoid(1.87 x - 5.47), the source's worked "
                "example; its data are not published)"
            )
    return "\n".join(lines)


class _Data:
    """The data to fit, and how to describe them."""

    def __init__(self, args: argparse.Namespace):
        if args.csv is None:
            self._embedded(args)
        else:
            self._csv(args)
        if self.at and self.x.shape[1] != 1:
            raise CliError(f"--at needs exactly one --x column, got {self.x.shape[1]}")
        big = [v for v in self.at if abs(v) > FLOAT32_MAX]
        if big and not args.float64:
            raise CliError(
                f"--at {big[0]:g} is beyond the range of float32 numbers (about "
                f"{FLOAT32_MAX:.4g}); pass --float64 to fit in float64"
            )

    def _embedded(self, args: argparse.Namespace) -> None:
        swallowed = [c for c in args.x or () if c.lower().endswith(_DATA_SUFFIXES)]
        if swallowed or any(os.path.isfile(c) for c in args.x or ()):
            name = (swallowed or [c for c in args.x if os.path.isfile(c)])[0]
            cols = " ".join(c for c in args.x if c != name)
            raise CliError(
                f"--x took {name!r} as a column name; name the CSV file first: "
                f"jaxnn fit {name} --x {cols} --y ..."
            )
        if args.x or args.y or args.positive is not None:
            raise CliError("--x, --y and --positive need a CSV file to read")
        from jaxnn.datasets import tumor

        size, spread = tumor()
        self.x, self.y = np.asarray(size)[:, None], np.asarray(spread)
        self.columns, self.y_name = ["size_cm"], "spread"
        self.description = (
            "GBSG2 trial, 686 patients (embedded): size_cm = tumour size in cm, "
            "spread = 4 or more positive lymph nodes"
        )
        self.source = True
        self.at = DEFAULT_AT if args.at is None else tuple(args.at)

    def _csv(self, args: argparse.Namespace) -> None:
        if not args.x or not args.y:
            raise CliError(
                "with a CSV file, name the columns: --x COLUMN... --y COLUMN"
            )
        for col in args.x:
            if args.x.count(col) > 1:
                raise CliError(f"--x: column {col!r} is named twice")
        if args.y in args.x:
            raise CliError(f"--y {args.y!r} is also an --x column")
        try:
            cols = read_columns(
                args.csv,
                args.x,
                args.y,
                positive=args.positive,
                delimiter=args.delimiter,
                decimal_comma=args.decimal_comma,
                float64=args.float64,
            )
        except CsvError as e:
            raise CliError(str(e)) from None
        self.x, self.y = cols.x, cols.y
        self.columns, self.y_name = list(args.x), args.y
        if args.positive is not None:
            self.y_name = f"{args.y} = {args.positive}"
        self.description = f"{args.csv} ({len(self.y)} rows)"
        self.source = False
        self.at = () if args.at is None else tuple(args.at)


def _fit(data: _Data, args: argparse.Namespace) -> Any:
    import jaxnn

    xa = data.x if data.x.shape[1] > 1 else data.x[:, 0]
    try:
        return jaxnn.fit_logistic(xa, data.y, l2=args.l2, solver=args.solver)
    except jaxnn.SeparationError:
        raise CliError(
            "the data are perfectly separated (one side of a line is all 0s, the "
            "other all 1s), so the maximum-likelihood estimate does not exist; "
            "try a ridge penalty, e.g. --l2 1"
        ) from None
    except ValueError as e:
        legend = ""
        if data.x.shape[1] > 1:
            names = ", ".join(f"{k} = {c}" for k, c in enumerate(data.columns))
            legend = f" (x columns: {names})"
        raise CliError(f"{e}{legend}") from None


def _bootstrap(data: _Data, args: argparse.Namespace) -> dict[str, Any]:
    """One call of bootstrap_logistic, as a Python user would make it."""
    import jax

    import jaxnn

    xa = data.x if data.x.shape[1] > 1 else data.x[:, 0]
    tty = sys.stderr.isatty()
    label = f"bootstrap: {args.bootstrap} resamples"
    if tty:
        sys.stderr.write(f"{label} ...")
        sys.stderr.flush()
    start = time.perf_counter()
    boot = jaxnn.bootstrap_logistic(
        jax.random.key(args.seed),
        xa,
        data.y,
        n_resamples=args.bootstrap,
        l2=args.l2,
        solver=args.solver,
    )
    weight_ci = np.asarray(boot.weight_ci()).tolist()
    bias_ci = np.asarray(boot.bias_ci()).tolist()
    n_ok = int(np.asarray(boot.ok).sum())
    if tty:
        sys.stderr.write(f"\r{label} in {time.perf_counter() - start:.1f} s\n")
        sys.stderr.flush()
    return {
        "n_resamples": args.bootstrap,
        "n_failed": args.bootstrap - n_ok,
        "weight_ci": weight_ci,
        "bias_ci": bias_ci,
        "seed": args.seed,
    }


def _results(data: _Data, fit: Any, args: argparse.Namespace) -> dict[str, Any]:
    import jax.numpy as jnp

    table = np.asarray(fit.table(), np.float64)
    coefs = [
        {
            "name": name,
            "estimate": row[0],
            "stderr": row[1],
            "z": row[2],
            "p": row[3],
            "ci": [row[4], row[5]],
        }
        for name, row in zip([*data.columns, "intercept"], table.tolist(), strict=True)
    ]
    predictions = []
    if data.at:
        grid = jnp.asarray(data.at, dtype=fit.weight.dtype)
        p = np.asarray(fit.predict_proba(grid)).tolist()
        lo, hi = (np.asarray(a).tolist() for a in fit.predict_proba_interval(grid))
        for k, v in enumerate(data.at):
            entry: dict[str, Any] = {"x": v, "p": p[k], "ci": [lo[k], hi[k]]}
            if data.source:
                entry["source"] = _source_curve(v)
            predictions.append(entry)
    return {
        "data": data.description,
        "y": data.y_name,
        "columns": data.columns,
        "n": len(data.y),
        "solver": args.solver,
        "dtype": str(fit.weight.dtype),
        "l2": args.l2,
        "coefficients": coefs,
        "log_likelihood": float(fit.log_likelihood),
        "iterations": int(fit.iterations),
        "converged": bool(fit.converged),
        "predictions": predictions,
        "source_curve": (
            {"m": SOURCE_SLOPE, "b": SOURCE_INTERCEPT} if data.source else None
        ),
    }


def _note(message: str) -> None:
    print(f"jaxnn fit: {message}", file=sys.stderr)


def _show_warnings(caught: Sequence[warnings.WarningMessage]) -> None:
    quiet = (DeprecationWarning, PendingDeprecationWarning, ImportWarning)
    for text in dict.fromkeys(
        " ".join(str(w.message).split())
        for w in caught
        if not issubclass(w.category, quiet)
    ):
        _note(f"warning: {text}")


def _run_fit(args: argparse.Namespace) -> int:
    try:
        plot_path = plot_target(args.plot) if args.plot else None
    except PlotError as e:
        raise CliError(str(e)) from None
    plot_on = 0
    if args.plot_x is not None:
        if not args.plot:
            raise CliError("--plot-x goes with --plot FILE")
        columns = args.x or ["size_cm"]
        if args.plot_x not in columns:
            raise CliError(
                f"--plot-x {args.plot_x!r} is not an --x column ({', '.join(columns)})"
            )
        plot_on = columns.index(args.plot_x)
    data = _Data(args)
    with _float64(args.float64):
        return _fit_and_report(data, args, plot_path, plot_on)


@contextlib.contextmanager
def _float64(on: bool) -> Iterator[None]:
    """JAX in float64 for the fit and the plot, as it was afterwards.

    ``main`` may be called in a process that goes on using JAX (a test, a
    notebook), which must not find float64 switched on behind its back.
    """
    if not on:
        yield
        return
    import jax

    before = bool(jax.config.read("jax_enable_x64"))
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", before)


def _fit_and_report(
    data: _Data, args: argparse.Namespace, plot_path: str | None, plot_on: int
) -> int:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cache = None
        try:
            cache = _cache.enable(_note)
            fit = _fit(data, args)
            res = _results(data, fit, args)
            if args.bootstrap:
                boot = _bootstrap(data, args)
                res["bootstrap"] = boot
                for k, c in enumerate(res["coefficients"][:-1]):
                    c["bootstrap_ci"] = boot["weight_ci"][k]
                res["coefficients"][-1]["bootstrap_ci"] = boot["bias_ci"]
        finally:
            _show_warnings(_cache.after_run(cache, caught, _note))
    if plot_path:
        res["plot"] = plot_path
    if args.json:
        print(json.dumps(_finite_or_none(res), indent=2, allow_nan=False))
    else:
        print(_report_text(res))
    # The results are out before plotting, so a failed plot loses nothing.
    sys.stdout.flush()
    if plot_path:
        reference = None
        if data.source:
            reference = ("source: m=1.87, b=-5.47", _source_curve)
        try:
            plot_fit(
                plot_path,
                data.x,
                data.y,
                fit,
                columns=data.columns,
                on=plot_on,
                y_name=data.y_name,
                reference=reference,
            )
        except PlotError as e:
            raise CliError(str(e)) from None
        if not args.json:
            print(f"plot written to {plot_path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``jaxnn`` command; returns the exit status.

    Args:
        argv: the arguments after the program name; default ``sys.argv[1:]``.

    Returns:
        0 on success; 2 on a mistake in the input or the options (one line on
        stderr); 1 on a fault in jaxnn itself; 130 when interrupted.
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.version:
        print(_version())
        return 0
    if args.command is None:
        parser.error("name a command: jaxnn fit")
    try:
        return _run_fit(args)
    except CliError as e:
        print(f"jaxnn {args.command}: error: {e}", file=sys.stderr)
        return USER_ERROR
    except KeyboardInterrupt:
        print(f"jaxnn {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # never a traceback for users; say what broke
        print(
            f"jaxnn {args.command}: internal error: {type(e).__name__}: {e}",
            file=sys.stderr,
        )
        return INTERNAL_ERROR
