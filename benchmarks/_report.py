"""The human-readable outputs: a Markdown report and a PNG plot of a results dict."""

from __future__ import annotations

from typing import Any

from benchmarks._analysis import ratio as ratio_to

Row = dict[str, Any]

ACT_VIEWS = (("float32", "forward"), ("float32", "forward+grad"))
ACT_VIEWS += (("bfloat16", "forward"), ("bfloat16", "forward+grad"))


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


def _ratio_text(r: dict[str, Any]) -> str:
    v = r["value"]
    if r["kind"] == "fraction":
        return f"{v:.0%} of {r['to']}"
    if r["kind"] == "speedup":
        return f"{v:.2f}x faster than {r['to']}"
    return f"{v:.2f}x the time of {r['to']}"


def _met(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "not measured"}[met]


def _header(results: dict[str, Any]) -> list[str]:
    dev, run = results["device"], results["run"]
    versions = ", ".join(f"{k} {v}" for k, v in results["versions"].items() if v)
    load = run["loadavg"]
    lines = [
        f"# jaxnn benchmarks: {run['machine']}",
        "",
        f"- Run: {run['started']} to {run['finished']} UTC "
        f"({'--quick' if run['quick'] else 'full run'}), "
        f"jaxnn commit `{run.get('commit')}`; command `{run['command']}`.",
        f"- Device: {dev.get('platform')} / {dev.get('kind')} x{dev.get('count')}; "
        f"CPU {dev.get('cpu_model')}, {dev.get('cores')} cores"
        + (f", {dev['hypervisor']} VM" if dev.get("hypervisor") else "")
        + ".",
        f"- Load average (1, 5, 15 min) at start {load.get('start')}, "
        f"at end {load.get('end')}; per worker process in the JSON.",
        f"- Versions: {versions}.",
    ]
    if run.get("caps"):
        lines.append(f"- Sizes capped: {run['caps']}")
    lines += [
        "",
        "Method: compiled outside the timed region; every call is followed by "
        "`block_until_ready()` inside it; contenders that are compared are timed "
        "with their repetitions interleaved; seconds are per call, median (min-max) "
        "of the repetitions. NumPy/BLAS peers ran in separate processes. See "
        "`benchmarks/README.md`.",
        "",
    ]
    return lines


def _targets(results: dict[str, Any]) -> list[str]:
    lines = [
        "## Targets",
        "",
        "Verdicts compare medians. The last column compares the fastest "
        "repetitions instead, which load from other processes disturbs less: "
        "where the two disagree, suspect noise.",
        "",
        "| suite | target | measured (medians) | verdict | by fastest repetitions |",
        "|---|---|---|---|---|",
    ]
    for t in results["targets"]:
        measured = t["measured"]
        if t.get("misses"):
            measured += f" (missed: {t['misses']})"
        lines.append(
            f"| {t['suite']} | {t['target']} | {measured} | {_met(t['met'])} "
            f"| {t.get('by_minimum_times') or ''} |"
        )
    return [*lines, ""]


def _headlines(results: dict[str, Any]) -> list[str]:
    items = results.get("headlines") or []
    if not items:
        return []
    lines = ["## Headline ratios", "", "| what | measured (medians) |", "|---|---|"]
    lines += [f"| {h['what']} | {h['value']} |" for h in items]
    return [*lines, ""]


def _act_cell(r: Row | None, roof: bool) -> str:
    if r is None:
        return ""
    if r["skipped"]:
        return "skipped"
    parts = [fmt_seconds(r["seconds"]["median"])]
    for ratio in r.get("ratios", []):
        if ratio["to"] == "jax.nn":
            mark = "" if ratio["value"] <= 1.1 else " ✗"
            parts.append(f"{ratio['value']:.2f}x{mark}")
        if roof and ratio["kind"] == "fraction":
            parts.append(f"{ratio['value']:.0%}")
    return " · ".join(parts)


def _activations(rows: list[Row]) -> list[str]:
    acts = [r for r in rows if r["suite"] == "activations"]
    if not acts:
        return []
    lines = [
        "## Activations",
        "",
        "Each cell: jaxnn's median time per call · its time as a multiple of "
        "`jax.nn`'s equivalent timed alongside (target <= 1.1x; ✗ marks a miss) · "
        "its bandwidth as a fraction of the same-run jitted copy. Sizes are "
        "elements; softmax-like functions run over rows of 1024.",
        "",
    ]
    sizes = sorted({r["size"] for r in acts if r["size"] is not None})
    names = list(
        dict.fromkeys(r["case"].split("/")[0] for r in acts if r["case"] != "copy")
    )
    by_key = {
        (r["case"], r["dtype"], r["size"], r["implementation"]): r
        for r in acts
        if r["implementation"] in ("jaxnn", "roofline copy (-x)")
    }
    for dtype, mode in ACT_VIEWS:
        present = [s for s in sizes if (f"sigmoid/{mode}", dtype, s, "jaxnn") in by_key]
        if not present:
            continue
        lines += [f"### {mode}, {dtype}", ""]
        lines.append("| activation | " + " | ".join(_size(s) for s in present) + " |")
        lines.append("|---" * (len(present) + 1) + "|")
        copy = [by_key.get(("copy", dtype, s, "roofline copy (-x)")) for s in present]
        lines.append(
            "| copy (GB/s) | "
            + " | ".join(
                "" if c is None or c["skipped"] else f"{c['throughput']['value']:.3g}"
                for c in copy
            )
            + " |"
        )
        for name in names:
            cells = [
                _act_cell(by_key.get((f"{name}/{mode}", dtype, s, "jaxnn")), True)
                for s in present
            ]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    numpy_rows = [
        r for r in acts if r["implementation"] == "jaxnn" and r["dtype"] == "float32"
    ]
    if any(ra["to"] == "numpy" for r in numpy_rows for ra in r.get("ratios", [])):
        lines += [
            "### Speed-up over the NumPy formula (float32)",
            "",
            "jaxnn's speed-up over the book's NumPy code (sigmoid, relu, step, "
            "softmax, identity; gradients as the book's chapter 5 layers) or the "
            "textbook NumPy formula (the others), timed in a separate process. "
            "The book's `identity_function` returns its argument without copying, "
            "so jaxnn's identity, which returns a new array, cannot win there.",
            "",
        ]
        for mode in ("forward", "forward+grad"):
            lines.append(f"| {mode} | " + " | ".join(_size(s) for s in sizes) + " |")
            lines.append("|---" * (len(sizes) + 1) + "|")
            for name in names:
                cells = []
                for s in sizes:
                    r = by_key.get((f"{name}/{mode}", "float32", s, "jaxnn"))
                    v = [
                        ra["value"]
                        for ra in (r or {}).get("ratios", [])
                        if ra["to"] == "numpy"
                    ]
                    cells.append(f"{v[0]:.3g}x" if v else "")
                lines.append(f"| {name} | " + " | ".join(cells) + " |")
            lines.append("")
    return lines


EXTRA_KEYS = (
    "accuracy",
    "loss",
    "iterations",
    "converged",
    "weight",
    "bias",
    "weight_mean",
    "weight_std",
    "converged_fraction",
)
# Losses agree to about 1e-5 relative when implementations match: show enough
# digits to see it.
EXTRA_FORMATS = {"loss": ".7g"}


def _table(rows: list[Row], suite: str, title: str, intro: str) -> list[str]:
    mine = [r for r in rows if r["suite"] == suite and not r["skipped"]]
    if not mine:
        return []
    lines = [
        f"## {title}",
        "",
        intro,
        "",
        "| case | implementation | size | median (min-max) | first call | throughput "
        "| ratios | checks | targets |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in mine:
        s = r["seconds"]
        lo, hi = fmt_seconds(s["min"]), fmt_seconds(s["max"])
        timing = f"{fmt_seconds(s['median'])} ({lo}-{hi})"
        tp = r.get("throughput") or {}
        throughput = f"{tp['value']:.4g} {tp['unit']}" if tp else ""
        ratios = "; ".join(_ratio_text(x) for x in r.get("ratios", []))
        checks = ", ".join(
            f"{k} {r[k]:{EXTRA_FORMATS.get(k, '.4g')}}"
            if isinstance(r[k], float)
            else f"{k} {r[k]}"
            for k in EXTRA_KEYS
            if k in r
        )
        if r.get("note"):
            checks += ("; " if checks else "") + r["note"]
        targets = "; ".join(
            f"{t['target']}: {_met(t['met'])}" for t in r.get("targets", [])
        )
        size = f"{r['size']:,} {r['size_unit']}" if r["size"] is not None else ""
        lines.append(
            f"| {r['case']} | {r['implementation']} | {size} | {timing} "
            f"| {fmt_seconds(r['first_call_seconds'])} | {throughput} | {ratios} "
            f"| {checks} | {targets} |"
        )
    return [*lines, ""]


def _skipped(rows: list[Row]) -> list[str]:
    notes: dict[tuple[str, str, str], int] = {}
    for r in rows:
        if r["skipped"]:
            k = (r["suite"], r["implementation"], r.get("note", ""))
            notes[k] = notes.get(k, 0) + 1
    if not notes:
        return []
    lines = [
        "## Skipped",
        "",
        "| suite | implementation | rows | why |",
        "|---|---|---|---|",
    ]
    for (suite, impl, note), n in notes.items():
        lines.append(f"| {suite} | {impl} | {n} | {note} |")
    return [*lines, ""]


def markdown(results: dict[str, Any]) -> str:
    """The whole report as Markdown."""
    rows = results["results"]
    lines = _header(results) + _targets(results) + _headlines(results)
    lines += _activations(rows)
    lines += _table(
        rows,
        "mlp",
        "MLP",
        "The book's network (784-50-100-10, sigmoid, softmax) on MNIST's 10,000 "
        "test images: forward, and one SGD training step (log_softmax output, mean "
        "cross-entropy; loss = the first step's); and a wide ReLU MLP (width = "
        "batch; FLOPs count the matmuls only) whose throughput is compared with a "
        "`jnp.dot` timed alongside.",
    )
    lines += _table(
        rows,
        "logistic",
        "Logistic regression",
        "GBSG2 (686 tumours). Peers ran in a separate process; bootstrap loops are "
        "timed over a few dozen fits and scaled (see each row's note).",
    )
    lines += _skipped(rows)
    return "\n".join(lines).rstrip() + "\n"


def plot(results: dict[str, Any], path: str) -> None:
    """A PNG summary: activation ratios and bandwidth, MLP and logistic bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    rows = [r for r in results["results"] if not r["skipped"]]
    fig, axes = plt.subplots(2, 3, figsize=(17, 9.5))
    run = results["run"]
    fig.suptitle(
        f"jaxnn benchmarks: {run['machine']} ({run['started']} UTC"
        f"{', --quick' if run['quick'] else ''})",
        fontsize=12,
    )

    acts = [
        r
        for r in rows
        if r["suite"] == "activations" and r["implementation"] == "jaxnn"
    ]
    names = list(dict.fromkeys(r["case"].split("/")[0] for r in acts))
    cmap = plt.get_cmap("tab20")
    styles = ("-", "--", ":")
    panels = (
        (axes[0, 0], ("float32", "forward"), "jax.nn", "time / jax.nn time"),
        (axes[0, 1], ("float32", "forward+grad"), "jax.nn", "time / jax.nn time"),
        (
            axes[0, 2],
            ("float32", "forward"),
            "roofline copy (-x)",
            "fraction of copy GB/s",
        ),
    )
    for ax, (dtype, mode), to, ylabel in panels:
        for i, name in enumerate(names):
            pts = sorted(
                (r["size"], ratio_to(r, to))
                for r in acts
                if r["case"] == f"{name}/{mode}" and r["dtype"] == dtype
            )
            pts = [(s, v) for s, v in pts if v is not None]
            if pts:
                ax.plot(
                    [p[0] for p in pts],
                    [p[1] for p in pts],
                    marker=".",
                    color=cmap(i % 20),
                    linestyle=styles[(i // 20) % 3],
                    label=name,
                )
        if to == "jax.nn":
            ax.axhline(
                1.1, color="red", linestyle="--", linewidth=1, label="target 1.1"
            )
            ax.set_yscale("log", base=2)
        else:
            ax.axhline(1.0, color="black", linewidth=0.8)
            ax.set_ylim(0, 1.5)  # small sizes are dispatch-bound: ratios there mislead
        ax.set_xscale("log", base=2)
        ax.set_xlabel("elements")
        ax.set_ylabel(ylabel)
        ax.set_title(f"activations, {mode}, {dtype}: jaxnn {ylabel}", fontsize=10)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=6, ncol=2)

    def bars(
        ax: Any, labels: list[str], values: list[float], colors: list[str], fmt: str
    ) -> None:
        ax.barh(labels, values, color=colors)
        for i, v in enumerate(values):
            ax.text(v, i, " " + fmt.format(v), va="center", fontsize=7)
        ax.tick_params(axis="y", labelsize=7)

    def color(r: Row) -> str:
        return "C1" if r["implementation"] == "jaxnn" else "C0"

    ax = axes[1, 0]
    book = [
        r for r in rows if r["suite"] == "mlp" and r["case"] == "book MNIST forward"
    ]
    if book:
        bars(
            ax,
            [r["implementation"] for r in book],
            [r["throughput"]["value"] for r in book],
            [color(r) for r in book],
            "{:,.0f}",
        )
    ax.set_xlabel("images/s (higher is better)")
    ax.set_title("book MNIST forward, 10,000 images", fontsize=10)

    ax = axes[1, 1]
    wide = [r for r in rows if r["suite"] == "mlp" and r["case"].startswith("wide")]
    if wide:
        labels = [
            f"{r['implementation']}\n{r['case'].replace('wide MLP ', '')}" for r in wide
        ]
        values = [ratio_to(r, "jnp.dot") or 0.0 for r in wide]
        bars(ax, labels, values, [color(r) for r in wide], "{:.0%}")
        ax.axvline(0.9, color="red", linestyle="--", linewidth=1)
    width = wide[0]["size"] if wide else "?"
    ax.set_xlabel("fraction of same-run jnp.dot FLOP/s")
    ax.set_title(f"wide MLP, width = batch = {width} (red: target 90%)", fontsize=10)

    ax = axes[1, 2]
    logi = [
        (f"{r['case']}\nvs {x['to']}", x["value"])
        for r in rows
        if r["suite"] == "logistic" and r["implementation"] == "jaxnn"
        for x in r.get("ratios", [])
    ]
    if logi:
        labels = [k for k, _ in logi]
        bars(ax, labels, [v for _, v in logi], ["C1"] * len(logi), "{:.2f}x")
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        for limit in (2, 20):
            ax.axvline(limit, color="red", linestyle="--", linewidth=1)
    ax.set_xlabel("jaxnn speed-up, log scale (red: targets 2x fit, 20x bootstrap)")
    ax.set_title("logistic fit and bootstrap vs statsmodels, scikit-learn", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
