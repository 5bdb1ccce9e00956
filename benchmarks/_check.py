"""``python -m benchmarks._check OUT``: are device_check.sh's outputs well-formed?

Checks that OUT holds the eight files the script writes and nothing else (no
deeper than two folders: the device machine returns no more), that each
parses, and that none records a failure: the devices and versions, the
accuracy table (JSON and Markdown), the benchmarks (JSON with no failed
worker or error row, Markdown, PNG) and pytest's junit XML (tests run, none
failed). Prints every problem and exits 1 if there is any.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

FILES = (
    "env.json",
    "accuracy.json",
    "accuracy.md",
    "benchmarks.json",
    "benchmarks.md",
    "benchmarks.png",
    "tests.xml",
    "log.txt",
)


def _json(path: Path, problems: list[str]) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as err:
        problems.append(f"{path.name}: not JSON ({err})")
        return None


def problems(out: Path) -> list[str]:
    """What is wrong with the outputs under ``out`` (empty if nothing)."""
    found = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    bad = [f"missing {name}" for name in FILES if name not in found]
    bad += [f"unexpected file {name}" for name in found if name not in FILES]
    bad += [
        f"{n} is empty" for n in FILES if n in found and not (out / n).stat().st_size
    ]
    if bad:
        return bad
    env = _json(out / "env.json", bad)
    if env is not None and not (env.get("devices") and env["versions"].get("jax")):
        bad.append("env.json: no devices or no jax version")
    accuracy = _json(out / "accuracy.json", bad)
    if accuracy is not None and not accuracy:
        bad.append("accuracy.json: empty")
    for md in ("accuracy.md", "benchmarks.md"):
        if "|---" not in (out / md).read_text():
            bad.append(f"{md}: no Markdown table")
    bench = _json(out / "benchmarks.json", bad)
    if bench is not None:
        keys = {"device", "versions", "run", "targets", "headlines", "results"}
        if not keys <= set(bench) or not bench["results"]:
            bad.append(f"benchmarks.json: needs keys {sorted(keys)} and results")
        else:
            failed = [w for w in bench["run"]["workers"] if not w["complete"]]
            bad += [
                f"benchmarks: worker {w['suite']}/{w['side']} failed" for w in failed
            ]
            errors = [
                r for r in bench["results"] if r.get("note", "").startswith("error")
            ]
            bad += [
                f"benchmarks: {r['case']} {r['implementation']}: {r['note']}"
                for r in errors
            ]
    if (out / "benchmarks.png").read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
        bad.append("benchmarks.png: not a PNG")
    try:
        root = ET.parse(out / "tests.xml").getroot()
        suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
        count = {
            k: sum(int(s.get(k, 0)) for s in suites)
            for k in ("tests", "failures", "errors")
        }
        if not count["tests"] or count["failures"] or count["errors"]:
            bad.append(f"tests.xml: {count}")
    except (ET.ParseError, ValueError) as err:
        bad.append(f"tests.xml: not junit XML ({err})")
    return bad


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m benchmarks._check OUT", file=sys.stderr)
        return 2
    bad = problems(Path(args[0]))
    for problem in bad:
        print(f"device check output: {problem}", file=sys.stderr)
    print(f"device check outputs: {len(bad)} problem(s)", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
