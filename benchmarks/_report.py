"""The human-readable outputs: a Markdown report and a PNG plot of a results dict."""

from __future__ import annotations

from typing import Any

from benchmarks._targets import COPY, TARGETS, fmt
from benchmarks._targets import ratio as ratio_to

Row = dict[str, Any]

ACT_VIEWS = (("float32", "forward"), ("float32", "forward+grad"))
ACT_VIEWS += (("bfloat16", "forward"), ("bfloat16", "forward+grad"))


def limits(platform: str, suite: str, to: str) -> list[float]:
    """The limits of ``platform``'s targets on ratios to ``to``."""
    return [
        t.limit for t in TARGETS if (t.platform, t.suite, t.to) == (platform, suite, to)
    ]


def fmt_seconds(s: float) -> str:
    """Seconds with a readable unit: 1.23 s, 4.56 ms, 7.89 us."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def _size(n: int | None) -> str:
    if n is None:
        return ""
    if n >= 1024 and n & (n - 1) == 0:
        return f"2^{n.bit_length() - 1}"
    return f"{n:,}"


def _table(title: str, intro: str, header: list[str], rows: list[list]) -> list[str]:
    """A Markdown section: a title (## or ### as given), a paragraph, a table."""
    if not rows:
        return []
    lines = [title, ""] + ([intro, ""] if intro else [])
    lines += ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    return lines + ["| " + " | ".join(map(str, r)) + " |" for r in rows] + [""]


def _met(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "not measured"}[met]


def _header(results: dict[str, Any]) -> list[str]:
    dev, run, load = results["device"], results["run"], results["run"]["loadavg"]
    versions = ", ".join(f"{k} {v}" for k, v in results["versions"].items() if v)
    profile = run.get("profile") or ("quick" if run.get("quick") else "full")
    digest = run.get("source_sha256", "")[:16]
    vm = f", {dev['hypervisor']} VM" if dev.get("hypervisor") else ""
    return [
        f"# jaxnn benchmarks: {run['machine']}",
        "",
        f"- Run: {run['started']} to {run['finished']} UTC ({profile} run), "
        f"jaxnn commit `{run.get('commit')}`"
        + (f", source sha256 `{digest}`" if digest else "")
        + f"; command `{run['command']}`.",
        f"- Device: {dev.get('platform')} / {dev.get('kind')} x{dev.get('count')}; "
        f"CPU {dev.get('cpu_model')}, {dev.get('cores')} cores{vm}.",
        f"- Load average (1, 5, 15 min) at start {load.get('start')}, "
        f"at end {load.get('end')}; per worker process in the JSON.",
        f"- Versions: {versions}.",
        *([f"- Sizes: {run['caps']}"] if run.get("caps") else []),
        *(
            [f"- Ratios and targets judged again {run['judged_again']}."]
            if run.get("judged_again")
            else []
        ),
        "",
        "Method: compiled outside the timed region; every call is followed by "
        "`block_until_ready()` inside it; contenders that are compared are timed "
        "with their repetitions interleaved; seconds are per call, median (min-max) "
        "of the repetitions. NumPy/BLAS peers ran in separate processes. Targets: "
        "`benchmarks/_targets.py`. See `benchmarks/README.md`.",
        "",
    ]


def _act_cell(r: Row | None) -> str:
    if r is None or r["skipped"]:
        return "" if r is None else "skipped"
    if r["implementation"] == COPY:
        return f"{r['throughput']['value']:.3g} GB/s"
    ratios = r.get("ratios", [])
    parts = [fmt_seconds(r["seconds"]["median"])]
    parts += [f"{x['value']:.2f}x" for x in ratios if x["to"] == "jax.nn"]
    parts += [f"{x['value']:.0%}" for x in ratios if x["kind"] == "fraction"]
    missed = any(not t["met"] for t in r.get("targets", []))
    return " · ".join(parts) + (" ✗" if missed else "")


def _activations(rows: list[Row]) -> list[str]:
    acts = [r for r in rows if r["suite"] == "activations" and r["size"]]
    sizes = sorted({r["size"] for r in acts})
    names = list(dict.fromkeys(r["case"].split("/")[0] for r in acts))
    lines = (
        []
        if not acts
        else [
            "## Activations",
            "",
            "Each cell: jaxnn's median time per call · its time as a multiple of "
            "`jax.nn`'s function of the same name timed alongside, where it computes "
            "the same function · its bandwidth as a fraction of the same-run jitted "
            "copy (✗ marks a missed target). Sizes are elements; functions over an "
            "axis run over rows of 1024.",
            "",
        ]
    )
    for dtype, mode in ACT_VIEWS:
        view = {
            (r["case"].split("/")[0], r["size"]): r
            for r in acts
            if r["dtype"] == dtype
            and (r["case"] == "copy" or r["case"].endswith(f"/{mode}"))
            and r["implementation"] in ("jaxnn", COPY)
        }
        present = [s for s in sizes if any(k[1] == s for k in view)]
        cells = [[n] + [_act_cell(view.get((n, s))) for s in present] for n in names]
        header = ["activation", *map(_size, present)]
        lines += _table(
            f"### {mode}, {dtype}", "", header, [c for c in cells if any(c[1:])]
        )
    numpy = {
        (r["case"], r["size"]): f"{v:.3g}x"
        for r in acts
        if r["implementation"] == "jaxnn" and (v := ratio_to(r, "numpy")) is not None
    }
    cases = list(dict.fromkeys(case for case, _ in numpy))
    return lines + _table(
        "### Speed-up over the book's NumPy (float32)",
        "jaxnn's speed-up over the book's NumPy functions (chapter 3; gradients as "
        "its chapter 5 layers), timed in a separate process. The book's "
        "`identity_function` returns its argument without copying, so jaxnn's "
        "identity, which returns a new array, cannot win there.",
        ["activation", *map(_size, sizes)],
        [[c] + [numpy.get((c, s), "") for s in sizes] for c in cases],
    )


# Checks recorded in rows (accuracy, fitted values) that show the contenders
# compute the same thing; losses agree to about 1e-5 relative: 7 digits.
CHECKS = {"accuracy": ".4g", "loss": ".7g", "iterations": "", "converged": ""}
CHECKS |= {"weight": ".4g", "bias": ".4g", "weight_mean": ".4g", "weight_std": ".4g"}
CHECKS |= {"converged_fraction": ".4g"}


def _rows(rows: list[Row], suite: str) -> list[list]:
    out = []
    for r in rows:
        if r["suite"] != suite or r["skipped"]:
            continue
        s, tp = r["seconds"], r.get("throughput") or {}
        checks = [f"{k} {r[k]:{f}}" for k, f in CHECKS.items() if k in r]
        how = {"fraction": "of", "speedup": "faster than"}
        out.append(
            [
                r["case"],
                r["implementation"],
                f"{r['size']:,} {r['size_unit']}",
                f"{fmt_seconds(s['median'])} "
                f"({fmt_seconds(s['min'])}-{fmt_seconds(s['max'])})",
                fmt_seconds(r["first_call_seconds"]),
                f"{tp['value']:.4g} {tp['unit']}" if tp else "",
                "; ".join(
                    f"{fmt(x['value'], x['to'])} "
                    f"{how.get(x['kind'], 'the time of')} {x['to']}"
                    for x in r.get("ratios", [])
                ),
                "; ".join(filter(None, [", ".join(checks), r.get("note")])),
                "; ".join(
                    f"{t['target']}: {_met(t['met'])}" for t in r.get("targets", [])
                ),
            ]
        )
    return out


def markdown(results: dict[str, Any]) -> str:
    """The whole report as Markdown."""
    rows = results["results"]
    header = ["case", "implementation", "size", "median (min-max)", "first call"]
    header += ["throughput", "ratios", "checks", "targets"]
    skipped: dict[tuple, int] = {}
    for r in rows:
        if r["skipped"]:
            key = (r["suite"], r["implementation"], r.get("note", ""))
            skipped[key] = skipped.get(key, 0) + 1
    lines = _header(results)
    lines += _table(
        "## Targets",
        "Verdicts compare medians. The last column compares the fastest "
        "repetitions instead, which load from other processes disturbs less: "
        "where the two disagree, suspect noise.",
        ["suite", "target", "measured (medians)", "verdict", "by fastest repetitions"],
        [
            [
                t["suite"],
                t["target"],
                t["measured"]
                + (f" (missed: {t['misses']})" if t.get("misses") else ""),
                _met(t["met"]),
                t.get("by_minimum_times") or "",
            ]
            for t in results["targets"]
        ],
    )
    lines += _table(
        "## Headline ratios",
        "",
        ["what", "measured (medians)"],
        [[h["what"], h["value"]] for h in results.get("headlines", [])],
    )
    lines += _activations(rows)
    lines += _table(
        "## MLP",
        "The book's network (784-50-100-10, sigmoid, softmax) on MNIST's 10,000 "
        "test images: forward, and one SGD training step (log_softmax output, mean "
        "cross-entropy; loss = the first step's); and a wide ReLU MLP (width = "
        "batch; FLOPs count the matmuls only) whose throughput is compared with a "
        "`jnp.dot` timed alongside.",
        header,
        _rows(rows, "mlp"),
    )
    lines += _table(
        "## Logistic regression",
        "GBSG2 (686 tumours). Peers ran in a separate process; bootstrap loops are "
        "timed over a few dozen fits and scaled (see each row's note).",
        header,
        _rows(rows, "logistic"),
    )
    lines += _table(
        "## Skipped",
        "",
        ["suite", "implementation", "rows", "why"],
        [[suite, impl, n, note] for (suite, impl, note), n in skipped.items()],
    )
    return "\n".join(lines).rstrip() + "\n"


def plot(results: dict[str, Any], path: str) -> None:
    """A PNG summary: activation ratios and bandwidth, MLP and logistic bars;
    red lines are the limits of the run's platform's targets."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    rows = [r for r in results["results"] if not r["skipped"]]
    platform = results["device"].get("platform", "cpu")
    run = results["run"]
    profile = run.get("profile") or ("quick" if run.get("quick") else "full")
    fig, axes = plt.subplots(2, 3, figsize=(17, 9.5))
    fig.suptitle(
        f"jaxnn benchmarks: {run['machine']} ({run['started']} UTC, {profile} run)"
    )

    def limit_lines(ax: Any, suite: str, to: str, vertical: bool = False) -> None:
        for v in limits(platform, suite, to):
            line = ax.axvline if vertical else ax.axhline
            line(v, color="red", linestyle="--", linewidth=1)

    acts = [
        r
        for r in rows
        if r["suite"] == "activations" and r["implementation"] == "jaxnn"
    ]
    names = list(dict.fromkeys(r["case"].split("/")[0] for r in acts))
    panels = (
        (axes[0, 0], "forward", "jax.nn", "time / jax.nn time"),
        (axes[0, 1], "forward+grad", "jax.nn", "time / jax.nn time"),
        (axes[0, 2], "forward", COPY, "fraction of copy GB/s"),
    )
    for ax, mode, to, ylabel in panels:
        for i, name in enumerate(names):
            pts = sorted(
                (r["size"], v)
                for r in acts
                if r["case"] == f"{name}/{mode}" and r["dtype"] == "float32"
                if (v := ratio_to(r, to)) is not None
            )
            ax.plot(
                [p[0] for p in pts],
                [p[1] for p in pts],
                marker=".",
                color=plt.get_cmap("tab20")(i % 20),
                linestyle=("-", "--", ":")[(i // 20) % 3],
                label=name,
            )
        limit_lines(ax, "activations", to)
        if to == "jax.nn":
            ax.set_yscale("log", base=2)
        else:
            ax.set_ylim(0, 1.5)  # small sizes are dispatch-bound: ratios there mislead
        ax.set_xscale("log", base=2)
        ax.set(xlabel="elements", ylabel=ylabel)
        ax.set_title(f"activations, {mode}, float32: jaxnn {ylabel}", fontsize=10)
        ax.grid(alpha=0.3)
    if names:
        axes[0, 0].legend(fontsize=6, ncol=2)

    def bars(ax: Any, items: list[tuple[str, float]], fmt: str) -> None:
        """Horizontal bars, jaxnn's in orange: labels name the implementation
        first, or (logistic) are all jaxnn's."""
        mine = [k.startswith("jaxnn") or ax is axes[1, 2] for k, _ in items]
        colors = ["C1" if m else "C0" for m in mine]
        ax.barh([k for k, _ in items], [v for _, v in items], color=colors)
        for i, (_, v) in enumerate(items):
            ax.text(v, i, " " + fmt.format(v), va="center", fontsize=7)
        ax.tick_params(axis="y", labelsize=7)

    book = [r for r in rows if r["case"] == "book MNIST forward"]
    bars(
        axes[1, 0],
        [(r["implementation"], r["throughput"]["value"]) for r in book],
        "{:,.0f}",
    )
    axes[1, 0].set_xlabel("images/s (higher is better)")
    axes[1, 0].set_title("book MNIST forward, 10,000 images", fontsize=10)

    wide = [r for r in rows if r["case"].startswith("wide MLP")]
    items = [
        (
            f"{r['implementation']}\n{r['case'].removeprefix('wide MLP ')}",
            ratio_to(r, "jnp.dot") or 0.0,
        )
        for r in wide
    ]
    bars(axes[1, 1], items, "{:.0%}")
    limit_lines(axes[1, 1], "mlp", "jnp.dot", vertical=True)
    axes[1, 1].set_xlabel("fraction of same-run jnp.dot FLOP/s")
    axes[1, 1].set_title(
        f"wide MLP, width = batch = {wide[0]['size'] if wide else '?'}", fontsize=10
    )

    ax = axes[1, 2]
    logistic = [
        r for r in rows if r["suite"] == "logistic" and r["implementation"] == "jaxnn"
    ]
    bars(
        ax,
        [
            (f"{r['case']}\nvs {x['to']}", x["value"])
            for r in logistic
            for x in r.get("ratios", [])
        ],
        "{:.2f}x",
    )
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    for to in ("statsmodels", "statsmodels loop"):
        limit_lines(ax, "logistic", to, vertical=True)
    ax.set_xlabel("jaxnn speed-up, log scale")
    ax.set_title("logistic fit and bootstrap vs statsmodels, scikit-learn", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
