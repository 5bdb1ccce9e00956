"""The ``jaxnn`` command: ``jaxnn fit`` fits the logistic model and prints it.

With no arguments it fits the embedded GBSG2 tumour data (chance of spread
against tumour size) and compares the fit with the source's curve
(m = 1.87, b = -5.47). With a CSV file it fits the columns a user names.
Errors are one line on stderr and a non-zero exit status, never a traceback.
"""

import argparse
import csv
import json
import math
import sys
import time
from collections.abc import Sequence
from typing import IO, Any, NoReturn

import numpy as np

# The source's worked example (Deep Learning from Scratch): p = sigmoid(m x + b).
SOURCE_SLOPE = 1.87
SOURCE_INTERCEPT = -5.47
DEFAULT_AT = (3.0, 6.0)


class CliError(Exception):
    """A user error: printed as one line, exit status 1."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _enable_compilation_cache() -> None:
    """Keep compiled fits between runs, so only the first ``jaxnn fit`` compiles.

    Uses JAX's persistent compilation cache in ``$JAXNN_CACHE_DIR`` (default
    ``$XDG_CACHE_HOME/jaxnn/xla`` or ``~/.cache/jaxnn/xla``); set
    ``JAXNN_CACHE_DIR=off`` to disable it. A cache directory the user already
    configured for JAX is left alone, and an unwritable one is skipped.
    """
    import os

    import jax

    if getattr(jax.config, "jax_compilation_cache_dir", None):
        return
    path = os.environ.get("JAXNN_CACHE_DIR")
    if path is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
            os.path.expanduser("~"), ".cache"
        )
        path = os.path.join(base, "jaxnn", "xla")
    if path.strip().lower() in ("", "0", "off", "none", "false"):
        return
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return
    if not os.access(path, os.W_OK):
        return
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)


def _source_curve(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-(SOURCE_SLOPE * x + SOURCE_INTERCEPT)))


class ProgressBar:
    """A minimal text progress bar, redrawn in place on a stream (stderr)."""

    def __init__(self, total: int, label: str, stream: IO[str], width: int = 30):
        self.total, self.label, self.stream, self.width = total, label, stream, width
        self.start = time.perf_counter()

    def update(self, done: int) -> None:
        filled = self.width * done // max(self.total, 1)
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.perf_counter() - self.start
        self.stream.write(f"\r{self.label} [{bar}] {done}/{self.total} {elapsed:5.1f}s")
        if done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="jaxnn", description="jaxnn command line tools.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    fit = sub.add_parser(
        "fit",
        help="fit the logistic model p = sigmoid(x . w + b) by maximum likelihood",
        description=(
            "Fit the logistic model p(y = 1 | x) = sigmoid(x . w + b) by maximum "
            "likelihood. With no CSV, fits the embedded GBSG2 tumour data "
            "(spread = 4+ positive lymph nodes, against tumour size in cm) and "
            "compares it with the source's curve (m = 1.87, b = -5.47)."
        ),
    )
    fit.add_argument("csv", nargs="?", help="a CSV file with a header row")
    fit.add_argument("--x", nargs="+", metavar="COLUMN", help="feature column(s)")
    fit.add_argument("--y", metavar="COLUMN", help="label column (0/1 or text)")
    fit.add_argument(
        "--positive",
        metavar="VALUE",
        help="the label value that counts as 1 (for text labels such as 'yes')",
    )
    fit.add_argument(
        "--at",
        nargs="+",
        type=float,
        metavar="X",
        help="x values to predict at (one --x column; default for the tumour "
        "data: 3 6)",
    )
    fit.add_argument("--l2", type=float, default=0.0, help="ridge penalty on w")
    fit.add_argument(
        "--bootstrap",
        type=int,
        metavar="N",
        help="also run N bootstrap fits and report percentile intervals",
    )
    fit.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    fit.add_argument(
        "--plot", metavar="FILE.png", help="draw data, fit and band (matplotlib)"
    )
    fit.add_argument("--json", action="store_true", help="machine-readable output")
    fit.add_argument(
        "--solver", choices=("newton", "lbfgs"), default="newton", help="solver"
    )
    fit.add_argument("--float64", action="store_true", help="fit in float64")
    return parser


def _read_csv(
    path: str, x_cols: Sequence[str], y_col: str, positive: str | None
) -> tuple[np.ndarray, np.ndarray]:
    """Read the named columns of a CSV, with errors naming line and column."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        raise CliError(f"cannot read {path}: {e.strerror or e}") from None
    except (UnicodeDecodeError, csv.Error) as e:
        raise CliError(f"cannot read {path} as a CSV file: {e}") from None
    if not rows:
        raise CliError(f"{path}: the file is empty (expected a header row)")
    header = [h.strip() for h in rows[0]]
    for col in [*x_cols, y_col]:
        if col not in header:
            raise CliError(f"{path}: no column {col!r}; available: {', '.join(header)}")
    body = [
        (i, r) for i, r in enumerate(rows[1:], start=2) if any(c.strip() for c in r)
    ]
    if not body:
        raise CliError(f"{path}: no data rows after the header")

    def cell(line: int, row: list[str], col: str) -> str:
        j = header.index(col)
        if j >= len(row):
            raise CliError(f"{path}: line {line} has no cell for column {col!r}")
        return row[j].strip()

    def number(line: int, row: list[str], col: str) -> float:
        text = cell(line, row, col)
        try:
            return float(text)
        except ValueError:
            raise CliError(
                f"{path}: line {line}, column {col!r}: expected a number, got {text!r}"
            ) from None

    x = np.array([[number(i, r, c) for c in x_cols] for i, r in body])
    if positive is not None:
        labels = [cell(i, r, y_col) for i, r in body]
        if positive not in labels:
            seen = ", ".join(sorted(set(labels))[:10])
            raise CliError(
                f"{path}: --positive {positive!r} matches no cell of column "
                f"{y_col!r} (values: {seen})"
            )
        y = np.array([1.0 if v == positive else 0.0 for v in labels])
    else:
        y = np.empty(len(body))
        for k, (i, r) in enumerate(body):
            text = cell(i, r, y_col)
            try:
                y[k] = float(text)
            except ValueError:
                raise CliError(
                    f"{path}: line {i}, column {y_col!r}: expected a 0/1 label, "
                    f"got {text!r} (use --positive VALUE for text labels)"
                ) from None
            if y[k] not in (0.0, 1.0):
                raise CliError(
                    f"{path}: line {i}, column {y_col!r}: expected a 0/1 label, "
                    f"got {text!r} (use --positive VALUE to pick the 1s)"
                )
    return x, y


def _bootstrap(
    x: np.ndarray, y: np.ndarray, n: int, args: argparse.Namespace
) -> dict[str, Any]:
    """Run n bootstrap fits in equal chunks, drawing a progress bar on stderr."""
    import jax

    from jaxnn._logistic_bootstrap import bootstrap_logistic

    ndev = jax.local_device_count()
    chunk = -(-max(1, -(-n // 20)) // ndev) * ndev  # about 20 chunks, per device
    key = jax.random.key(args.seed)
    bar = ProgressBar(n, "bootstrap", sys.stderr)
    weights, biases, ok = [], [], []
    done = 0
    bar.update(0)
    for i in range(-(-n // chunk)):
        out = bootstrap_logistic(
            jax.random.fold_in(key, i),
            x,
            y,
            n_resamples=chunk,
            l2=args.l2,
            solver=args.solver,
        )
        weights.append(np.asarray(out.weight))
        biases.append(np.asarray(out.bias))
        ok.append(np.asarray(out.ok))
        done = min(n, done + chunk)
        bar.update(done)
    w = np.concatenate(weights)[:n]
    b = np.concatenate(biases)[:n]
    good = np.concatenate(ok)[:n]
    q = [2.5, 97.5]
    return {
        "n_resamples": n,
        "n_failed": int(n - good.sum()),
        "weight_ci": np.percentile(w[good], q, axis=0).T.tolist()
        if good.any()
        else None,
        "bias_ci": np.percentile(b[good], q).tolist() if good.any() else None,
        "seed": args.seed,
    }


def _plot(
    path: str,
    x: np.ndarray,
    y: np.ndarray,
    fit: Any,
    names: tuple[str, str],
    source: bool,
) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise CliError(
            "--plot needs matplotlib, which is not installed: pip install 'jaxnn[plot]'"
        ) from None
    grid = np.linspace(min(0.0, x.min()), x.max() * 1.05, 200)
    p = np.asarray(fit.predict_proba(grid))
    lo, hi = (np.asarray(a) for a in fit.predict_proba_interval(grid))
    jitter = np.random.default_rng(0).uniform(-0.03, 0.03, size=y.shape)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.scatter(x, y + jitter, s=8, alpha=0.35, color="0.3", label="data (jittered)")
    ax.fill_between(grid, lo, hi, alpha=0.25, color="C0", label="95% band")
    ax.plot(grid, p, color="C0", lw=2, label="fitted (jaxnn)")
    if source:
        curve = [_source_curve(v) for v in grid]
        ax.plot(grid, curve, "--", color="C3", label="source: m=1.87, b=-5.47")
    ax.set_xlabel(names[0])
    ax.set_ylabel(f"P({names[1]})")
    ax.set_ylim(-0.06, 1.06)
    ax.legend(loc="center right")
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=120)
    except OSError as e:
        raise CliError(f"cannot write {path}: {e.strerror or e}") from None
    finally:
        plt.close(fig)


def _fmt(v: float, width: int = 9) -> str:
    return f"{v:{width}.4f}" if math.isfinite(v) else f"{'nan':>{width}}"


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
            f"{c['z']:7.2f} {c['p']:9.2e}  {_fmt(c['ci'][0])} {_fmt(c['ci'][1])}"
        )
        if boot and c.get("bootstrap_ci"):
            row += f"  {_fmt(c['bootstrap_ci'][0])} {_fmt(c['bootstrap_ci'][1])}"
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
                f"  at {res['columns'][0]} = {p['x']:<12g} {p['p']:7.3f}  "
                f"{p['ci'][0]:6.3f}  {p['ci'][1]:6.3f}"
            )
            if res["source_curve"]:
                row += f"  {p['source']:.3f}"
            lines.append(row)
        if res["source_curve"]:
            lines.append(
                "(source's curve: p = sigmoid(1.87 x - 5.47), from the book's "
                "worked example; its data are not published)"
            )
    return "\n".join(lines)


def _run_fit(args: argparse.Namespace) -> int:
    _enable_compilation_cache()
    if args.float64:
        import jax

        jax.config.update("jax_enable_x64", True)
    if args.bootstrap is not None and args.bootstrap < 1:
        raise CliError(f"--bootstrap: expected a positive count, got {args.bootstrap}")
    if args.csv is None:
        if args.x or args.y or args.positive is not None:
            raise CliError("--x, --y and --positive need a CSV file to read")
        from jaxnn.datasets import tumor

        x, y = tumor()
        x = x[:, None]
        columns, y_name = ["size_cm"], "spread"
        data = (
            "GBSG2 trial, 686 patients (embedded): size_cm = tumour size in cm, "
            "spread = 4 or more positive lymph nodes"
        )
        source = True
        at = DEFAULT_AT if args.at is None else tuple(args.at)
    else:
        if not args.x or not args.y:
            raise CliError(
                "with a CSV file, name the columns: --x COLUMN... --y COLUMN"
            )
        x, y = _read_csv(args.csv, args.x, args.y, args.positive)
        columns, y_name = list(args.x), args.y
        if args.positive is not None:
            y_name = f"{args.y} = {args.positive}"
        data = f"{args.csv} ({len(y)} rows)"
        source = False
        at = () if args.at is None else tuple(args.at)
    if at and x.shape[1] != 1:
        raise CliError(f"--at needs exactly one --x column, got {x.shape[1]}")
    if args.plot and x.shape[1] != 1:
        raise CliError(f"--plot needs exactly one --x column, got {x.shape[1]}")

    import jax.numpy as jnp

    from jaxnn._logistic import SeparationError, fit_logistic

    xa = x if x.shape[1] > 1 else x[:, 0]
    try:
        fit = fit_logistic(xa, y, l2=args.l2, solver=args.solver)
    except SeparationError:
        raise CliError(
            "the data are perfectly separated (one side of a line is all 0s, the "
            "other all 1s), so the maximum-likelihood estimate does not exist; "
            "try a ridge penalty, e.g. --l2 1"
        ) from None
    except ValueError as e:
        raise CliError(str(e)) from None

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
        for name, row in zip([*columns, "intercept"], table.tolist(), strict=True)
    ]
    predictions = []
    if at:
        grid = jnp.asarray(at, dtype=fit.weight.dtype)
        p = np.asarray(fit.predict_proba(grid)).tolist()
        lo, hi = (np.asarray(a).tolist() for a in fit.predict_proba_interval(grid))
        for k, v in enumerate(at):
            entry: dict[str, Any] = {"x": v, "p": p[k], "ci": [lo[k], hi[k]]}
            if source:
                entry["source"] = _source_curve(v)
            predictions.append(entry)
    res: dict[str, Any] = {
        "data": data,
        "y": y_name,
        "columns": columns,
        "n": len(y),
        "solver": args.solver,
        "dtype": str(fit.weight.dtype),
        "l2": args.l2,
        "coefficients": coefs,
        "log_likelihood": float(fit.log_likelihood),
        "iterations": int(fit.iterations),
        "converged": bool(fit.converged),
        "predictions": predictions,
        "source_curve": {"m": SOURCE_SLOPE, "b": SOURCE_INTERCEPT} if source else None,
    }
    if args.bootstrap:
        boot = _bootstrap(xa, y, args.bootstrap, args)
        res["bootstrap"] = boot
        if boot["weight_ci"] is not None:
            for k, c in enumerate(coefs[:-1]):
                c["bootstrap_ci"] = boot["weight_ci"][k]
            coefs[-1]["bootstrap_ci"] = boot["bias_ci"]
    if args.plot:
        _plot(args.plot, x[:, 0], y, fit, (columns[0], y_name), source)
        res["plot"] = args.plot
    if args.json:
        print(json.dumps(res, indent=2, allow_nan=True))
    else:
        print(_report_text(res))
        if args.plot:
            print(f"plot written to {args.plot}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``jaxnn`` command; returns the exit status.

    Args:
        argv: the arguments after the program name; default ``sys.argv[1:]``.

    Returns:
        0 on success, 1 on a user error (one line on stderr), 2 on a usage
        error.
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "fit":
            return _run_fit(args)
        parser.error(f"unknown command {args.command!r}")  # pragma: no cover
    except CliError as e:
        print(f"jaxnn {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"jaxnn {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # never a traceback for users; say what broke
        print(
            f"jaxnn {args.command}: internal error: {type(e).__name__}: {e}",
            file=sys.stderr,
        )
        return 1
