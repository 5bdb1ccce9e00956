"""The figure of ``jaxnn fit --plot``: data, fitted curve and its 95% band.

The curve is drawn over the data's own range (plus 5% each side, not past
zero) against one feature column; any other columns are held at their means.
matplotlib is an optional dependency (``pip install 'jaxnn[plot]'``),
imported only here.
"""

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


class PlotError(ValueError):
    """A plot that cannot be made as asked; the message says why."""


def plot_target(path: str) -> str:
    """The file the plot will be written to, checked before any work is done.

    Args:
        path: the file named by the user; its extension picks the format,
            and a name without one gets ``.png``.

    Returns:
        The path that will be written.

    Raises:
        PlotError: matplotlib is missing, the extension is not a format it
            writes, or the directory does not exist or is not writable.

    Examples:
        >>> plot_target("fit")
        'fit.png'
    """
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        raise PlotError(
            "--plot needs matplotlib, which is not installed: pip install 'jaxnn[plot]'"
        ) from None
    root, ext = os.path.splitext(path)
    if not ext and not os.path.basename(root).startswith("."):
        path += ".png"
        ext = ".png"
    formats = FigureCanvasBase.get_supported_filetypes()
    if ext[1:].lower() not in formats:
        raise PlotError(
            f"--plot {path}: unknown extension {ext!r}; use one of "
            f"{', '.join('.' + f for f in sorted(formats))}"
        )
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise PlotError(f"--plot {path}: no directory {folder}")
    if not os.access(folder, os.W_OK):
        raise PlotError(f"--plot {path}: cannot write to {folder}")
    return path


def plot_fit(
    path: str,
    x: np.ndarray,
    y: np.ndarray,
    fit: Any,
    *,
    columns: Sequence[str],
    on: int,
    y_name: str,
    reference: tuple[str, Callable[[float], float]] | None = None,
) -> None:
    """Draw the data and the fitted curve against column ``on`` of x.

    Args:
        path: the file to write (see :func:`plot_target`).
        x: the features, shape ``(n, d)``.
        y: the 0/1 labels, shape ``(n,)``.
        fit: a :class:`jaxnn.LogisticFit` of y on x.
        columns: the names of x's columns.
        on: the column on the horizontal axis; the others are held at their
            means.
        y_name: what y = 1 means, for the vertical axis.
        reference: a label and a curve to draw beside the fit, dashed.

    Raises:
        PlotError: the file cannot be written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    col = x[:, on]
    lo_x, hi_x = float(col.min()), float(col.max())
    # 5% of the data's range each side (a single value: half its size, at
    # least 0.5), without crossing zero: sizes, counts and ages stay >= 0.
    pad = 0.05 * (hi_x - lo_x) or 0.5 * max(abs(lo_x), 1.0)
    left = lo_x - pad if lo_x - pad >= 0 or lo_x < 0 else 0.0
    right = hi_x + pad if hi_x + pad <= 0 or hi_x > 0 else 0.0
    grid = np.linspace(left, right, 241)
    means = x.mean(axis=0)
    rows = np.broadcast_to(means, (len(grid), x.shape[1])).copy()
    rows[:, on] = grid
    p = np.asarray(fit.predict_proba(rows))
    lo, hi = (np.asarray(a) for a in fit.predict_proba_interval(rows))
    jitter = np.random.default_rng(0).uniform(-0.03, 0.03, size=y.shape)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.scatter(col, y + jitter, s=8, alpha=0.35, color="0.3", label="data (jittered)")
    ax.fill_between(grid, lo, hi, alpha=0.25, color="C0", label="95% band")
    label = "fitted (jaxnn)"
    if x.shape[1] > 1:
        others = [
            f"{c} = {m:.4g}"
            for k, (c, m) in enumerate(zip(columns, means, strict=True))
            if k != on
        ]
        label += "\nat the means: " + ", ".join(others)
    ax.plot(grid, p, color="C0", lw=2, label=label)
    if reference is not None:
        name, curve = reference
        ax.plot(grid, [curve(v) for v in grid], "--", color="C3", label=name)
    ax.set_xlim(grid[0], grid[-1])
    ax.set_xlabel(columns[on])
    ax.set_ylabel(f"P({y_name})")
    ax.set_ylim(-0.06, 1.06)
    ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=120)
    except OSError as e:
        raise PlotError(f"cannot write {path}: {e.strerror or e}") from None
    finally:
        plt.close(fig)
