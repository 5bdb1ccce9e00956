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


def _ratio_text(r: dict[str, Any]) -> str:
    how = {"fraction": "of", "speedup": "faster than"}.get(r["kind"], "the time of")
    return f"{fmt(r['value'], r['to'])} {how} {r['to']}"


def _met(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "not measured"}[met]


def _header(results: dict[str, Any]) -> list[str]:
    dev, run = results["device"], results["run"]
    versions = ", ".join(f"{k} {v}" for k, v in results["versions"].items() if v)
    load = run["loadavg"]
    profile = run.get("profile") or ("quick" if run.get("quick") else "full")
    digest = (
        f", source sha256 `{run['source_sha256'][:16]}`"
        if "source_sha256" in run
        else ""
    )
    lines = [
        f"# jaxnn benchmarks: {run['machine']}",
        "",
        f"- Run: {run['started']} to {run['finished']} UTC ({profile} run), "
        f"jaxnn commit `{run.get('commit')}`{digest}; command `{run['command']}`.",
        f"- Device: {dev.get('platform')} / {dev.get('kind')} x{dev.get('count')}; "
        f"CPU {dev.get('cpu_model')}, {dev.get('cores')} cores"
        + (f", {dev['hypervisor']} VM" if dev.get("hypervisor") else "")
        + ".",
        f"- Load average (1, 5, 15 min) at start {load.get('start')}, "
        f"at end {load.get('end')}; per worker process in the JSON.",
        f"- Versions: {versions}.",
    ]
    if run.get("caps"):
        lines.append(f"- Sizes: {run['caps']}")
    lines += [
        "",
        "Method: compiled outside the timed region; every call is followed by "
        "`block_until_ready()` inside it; contenders that are compared are timed "
        "with their repetitions interleaved; seconds are per call, median (min-max) "
        "of the repetitions. NumPy/BLAS peers ran in separate processes. Targets: "
        "`benchmarks/_targets.py`. See `benchmarks/README.md`.",
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


def _act_cell(r: Row | None) -> str:
    if r is None:
        return ""
    if r["skipped"]:
        return "skipped"
    if r["implementation"] == COPY:
        return f"{r['throughput']['value']:.3g} GB/s"
    parts = [fmt_seconds(r["seconds"]["median"])]
    parts += [f"{x['value']:.2f}x" for x in r.get("ratios", []) if x["to"] == "jax.nn"]
    parts += [
        f"{x['value']:.0%}" for x in r.get("ratios", []) if x["kind"] == "fraction"
    ]
    missed = any(not t["met"] for t in r.get("targets", []))
    return " · ".join(parts) + (" ✗" if missed else "")


def _act_table(
    by_key: dict, names: list[str], sizes: list[int], cell: Any
) -> list[str]:
    lines = ["| activation | " + " | ".join(_size(s) for s in sizes) + " |"]
    lines.append("|---" * (len(sizes) + 1) + "|")
    for name in names:
        cells = [cell(by_key.get((name, s))) for s in sizes]
        if any(cells):
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _activations(rows: list[Row]) -> list[str]:
    acts = [r for r in rows if r["suite"] == "activations"]
    if not acts:
        return []
    lines = [
        "## Activations",
        "",
        "Each cell: jaxnn's median time per call · its time as a multiple of "
        "`jax.nn`'s function of the same name timed alongside, where it computes "
        "the same function · its bandwidth as a fraction of the same-run jitted "
        "copy (✗ marks a missed target). Sizes are elements; functions over an "
        "axis run over rows of 1024.",
        "",
    ]
    sizes = sorted({r["size"] for r in acts if r["size"] is not None})
    names = list(dict.fromkeys(r["case"].split("/")[0] for r in acts))
    for dtype, mode in ACT_VIEWS:
        view = {
            (r["case"].split("/")[0], r["size"]): r
            for r in acts
            if r["dtype"] == dtype
            and (r["case"] == "copy" or r["case"].endswith(f"/{mode}"))
            and r["implementation"] in ("jaxnn", COPY)
        }
        present = [s for s in sizes if any(k[1] == s for k in view)]
        if present:
            lines += [f"### {mode}, {dtype}", ""]
            lines += _act_table(view, names, present, _act_cell)
    numpy = {
        (r["case"], r["size"]): f"{v:.3g}x"
        for r in acts
        if r["implementation"] == "jaxnn" and (v := ratio_to(r, "numpy")) is not None
    }
    if numpy:
        lines += [
            "### Speed-up over the book's NumPy (float32)",
            "",
            "jaxnn's speed-up over the book's NumPy functions (chapter 3; "
            "gradients as its chapter 5 layers), timed in a separate process. The "
            "book's `identity_function` returns its argument without copying, so "
            "jaxnn's identity, which returns a new array, cannot win there.",
            "",
        ]
        cases = list(dict.fromkeys(case for case, _ in numpy))
        lines += _act_table(numpy, cases, sizes, lambda v: v or "")
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
    """A PNG summary: activation ratios and bandwidth, MLP and logistic bars;
    red lines are the limits of the run's platform's targets."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
        ax.barh([k for k, _ in items], [v for _, v in items], color="C1")
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
    for to in ("statsmodels", "statsmodels loop"):
        limit_lines(ax, "logistic", to, vertical=True)
    ax.set_xlabel("jaxnn speed-up, log scale")
    ax.set_title("logistic fit and bootstrap vs statsmodels, scikit-learn", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
