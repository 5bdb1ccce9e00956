"""What every suite shares: the Case record, result rows and the run settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]


@dataclass(frozen=True)
class Settings:
    """How hard to measure: ``quick`` shrinks sizes and repetitions."""

    quick: bool = False

    @property
    def reps(self) -> int:
        """Timed repetitions per measurement: many short ones give a steadier
        median on a shared machine than a few long ones."""
        return 5 if self.quick else 11

    @property
    def min_rep_seconds(self) -> float:
        """The shortest a repetition may be (calls are batched up to it)."""
        return 0.005 if self.quick else 0.01


@dataclass
class Case:
    """One unit of work for a worker: it returns one or more result rows.

    ``implementations`` names the rows it produces, so that a case that fails
    can still be reported (as skipped rows carrying the error).
    """

    suite: str
    case: str
    implementations: tuple[str, ...]
    size: int | None
    dtype: str | None
    run: Callable[[], list[Row]]
    size_unit: str = "elements"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        size = "" if self.size is None else f" n={self.size}"
        dtype = "" if self.dtype is None else f" {self.dtype}"
        return f"{self.case}{dtype}{size} [{', '.join(self.implementations)}]"


def row(
    case: Case,
    implementation: str,
    timing: dict[str, Any] | None,
    *,
    throughput: float | None = None,
    unit: str | None = None,
    note: str | None = None,
    **extra: Any,
) -> Row:
    """A result row; ``timing`` is ``measure``'s dict (None for a skipped row)."""
    out: Row = {
        "suite": case.suite,
        "case": case.case,
        "implementation": implementation,
        "size": case.size,
        "size_unit": case.size_unit,
        "dtype": case.dtype,
        "skipped": timing is None,
    }
    if timing is not None:
        out["seconds"] = {k: timing[k] for k in ("median", "min", "max")}
        out["first_call_seconds"] = timing["first_call"]
        out["reps"] = timing["reps"]
        out["calls_per_rep"] = timing["number"]
        out["throughput"] = (
            None if throughput is None else {"value": throughput, "unit": unit}
        )
    if note:
        out["note"] = note
    out.update(case.extra)
    out.update(extra)
    return out


def skipped(case: Case, implementation: str, note: str) -> Row:
    """A row for a measurement that could not be made, saying why."""
    return row(case, implementation, None, note=note)
