"""Fits every polynomial table of ``jaxnn/_coefficients.py`` and writes it.

Usage::

    python -m tools.fit_coefficients           # rewrites jaxnn/_coefficients.py
    python -m tools.fit_coefficients --check   # exit 1 if the file differs

The tables are what the float32 kernels of ``jaxnn/_numerics.py`` evaluate:

* ``EXPM1_P``: ``expm1(z) = z + z^2 P(z)`` on ``[-0.7, 0]``, ``P`` of degree 6
  with ``P(0) = 1/2`` held exactly, so that the relative error vanishes at
  ``z = 0``. (XLA's own float32 ``expm1`` is ``exp(z) - 1`` there and loses up
  to 5 ulp to cancellation near ``z = -0.28``.)
* ``GELU_VALUE`` and ``GELU_DERIVATIVE``: the scaled Gaussian tail
  ``m(y) = Phi(-y) exp(y^2 / 2)`` for ``y >= 0``, one polynomial of degree 10
  in ``(y - centre)`` per piece. Both tables hold ``m``, except on the last
  piece (from ``SHIFTED_FROM`` on, where the kernel shifts the exponent of
  ``exp(-y^2 / 2)`` up by ``SHIFT``), where they hold ``exp(-SHIFT) y m(y)``
  (value) and ``exp(-SHIFT) m(y)`` (derivative).
* ``TANH_P``: ``tanh(x) = x + x^3 P(x^2)`` on ``[0, TANH_SMALL]``, ``P`` of
  degree 5, for the float32 ``tanh`` near 0, where ``1 - 2 e / (1 + e)``
  (``e = exp(-2|x|)``) would cancel. (XLA's own float32 ``tanh`` is a rational
  approximation off by up to 4.9 ulp, 4.3 ulp already near ``x = 0.03``.)
* ``MISH_DERIVATIVE_P`` and ``GELU_TANH_DERIVATIVE_P``: the derivatives of
  ``mish`` and of ``gelu``'s tanh form on ``[NEAR_ZERO_LO, NEAR_ZERO_HI)``
  (just left of 0), one polynomial of degree 7 in ``(x - NEAR_ZERO_CENTRE)``
  each. There the closed forms add up a dozen roundings with nothing to
  cancel them and reach 4.8 ulp (``x = -0.16``, mish') and 4.8 ulp
  (``x = -0.33``, gelu-tanh'); the polynomials stay within about 1 ulp.

Every fit is the same procedure, so a maintainer can move a breakpoint, change
a degree or add a piece here and regenerate:

1. ``N_NODES`` Chebyshev nodes of the first kind on the piece's interval;
2. the exact function at the nodes from mpmath (``mp.dps = 40``);
3. weighted least squares in *relative* error (each row divided by the exact
   value), solved through the normal equations in 40-digit arithmetic, which
   at these nodes comes within a small factor of the minimax error;
4. the coefficients rounded to float32 one at a time, lowest degree first,
   with the remaining ones refitted after each rounding, so that the later
   coefficients absorb the rounding of the earlier ones (rounding is
   round-to-nearest-even on the exact value, never through float64).

The result is deterministic: it does not depend on LAPACK, NumPy or the
machine, and ``tests/test_numerics.py`` checks that the committed file is
exactly what this script writes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import mpmath as mp

mp.mp.dps = 40

N_NODES = 400
TARGET = Path(__file__).resolve().parents[1] / "jaxnn" / "_coefficients.py"

# expm1(z) = z + z^2 P(z) on [EXPM1_LO, 0].
EXPM1_LO = -0.7
EXPM1_DEGREE = 6

# The Gaussian tail: piece i covers [BREAKS[i-1], BREAKS[i]) (the first starts
# at 0, the last ends at GELU_YMAX), expanded around CENTRES[i].
GELU_BREAKS = (2.0, 4.0, 8.0)
GELU_CENTRES = (1.0, 3.0, 6.0, 11.0)
GELU_YMAX = 14.0
GELU_DEGREE = 10
SHIFT = 16.0  # the last piece is pre-scaled by exp(-SHIFT)

# tanh(x) = x + x^3 P(x^2) on [0, TANH_SMALL].
TANH_SMALL = 0.625
TANH_DEGREE = 5

# mish' and gelu-tanh' on [NEAR_ZERO_LO, NEAR_ZERO_HI), around NEAR_ZERO_CENTRE.
NEAR_ZERO_LO = -0.5
NEAR_ZERO_HI = 0.0
NEAR_ZERO_CENTRE = -0.25
NEAR_ZERO_DEGREE = 7
_GELU_TANH_C = mp.mpf("0.044715")


def chebyshev_nodes(lo: float, hi: float, n: int = N_NODES) -> list[Any]:
    """The ``n`` Chebyshev nodes of the first kind on ``[lo, hi]``."""
    mid, half = (mp.mpf(lo) + hi) / 2, (mp.mpf(hi) - lo) / 2
    return [mid + half * mp.cos((2 * k + 1) * mp.pi / (2 * n)) for k in range(n)]


def round_to_float32(c: Any) -> float:
    """``c`` rounded to the nearest float32 (ties to even), as a Python float."""
    if c == 0:
        return 0.0
    mant, exp = mp.frexp(c)  # c = mant * 2**exp, 0.5 <= |mant| < 1
    scaled = mant * 2**24
    # mp.nint rounds half to even.
    return float(mp.ldexp(mp.nint(scaled), exp - 24))


def fit_relative(
    xs: Sequence[Any],
    exact: Sequence[Any],
    base: Callable[[Any], Any],
    basis: Sequence[Callable[[Any], Any]],
) -> tuple[float, ...]:
    """Coefficients ``c`` of ``base(x) + sum(c_j basis_j(x))`` ~ ``exact``.

    Least squares in relative error at ``xs``, then rounded to float32 one at
    a time (lowest index first), refitting the rest after each rounding.
    """
    rows = [[b(x) / f for b in basis] for x, f in zip(xs, exact, strict=True)]
    rhs = [1 - base(x) / f for x, f in zip(xs, exact, strict=True)]
    p = len(basis)
    fixed: list[float] = []
    while len(fixed) < p:
        free = range(len(fixed), p)
        target = [
            r - sum(row[j] * c for j, c in enumerate(fixed))
            for row, r in zip(rows, rhs, strict=True)
        ]
        normal = mp.matrix(len(free), len(free))
        right = mp.matrix(len(free), 1)
        for a, i in enumerate(free):
            right[a] = mp.fsum(row[i] * t for row, t in zip(rows, target, strict=True))
            for b, j in enumerate(free):
                if b < a:
                    normal[a, b] = normal[b, a]
                    continue
                normal[a, b] = mp.fsum(row[i] * row[j] for row in rows)
        solution = mp.lu_solve(normal, right)
        fixed.append(round_to_float32(solution[0]))
    return tuple(fixed)


def max_relative_error(
    xs: Sequence[Any],
    exact: Sequence[Any],
    base: Callable[[Any], Any],
    basis: Sequence[Callable[[Any], Any]],
    coeffs: Sequence[float],
) -> float:
    """The fit's largest relative error at ``xs``, in exact arithmetic."""
    worst = mp.mpf(0)
    for x, f in zip(xs, exact, strict=True):
        g = base(x) + mp.fsum(c * b(x) for c, b in zip(coeffs, basis, strict=True))
        worst = max(worst, abs(g / f - 1))
    return float(worst)


def fit_expm1() -> tuple[tuple[float, ...], float]:
    """``EXPM1_P`` (``P(0) = 1/2`` first) and its relative error."""
    xs = chebyshev_nodes(EXPM1_LO, 0.0)
    exact = [mp.expm1(x) for x in xs]
    base = lambda z: z + z * z / 2
    basis = [lambda z, k=k: z ** (k + 2) for k in range(1, EXPM1_DEGREE + 1)]
    coeffs = fit_relative(xs, exact, base, basis)
    return (0.5, *coeffs), max_relative_error(xs, exact, base, basis, coeffs)


def fit_tanh() -> tuple[tuple[float, ...], float]:
    """``TANH_P`` and its relative error."""
    xs = chebyshev_nodes(0.0, TANH_SMALL)  # first-kind nodes: none at 0
    exact = [mp.tanh(x) for x in xs]
    base = lambda x: x
    basis = [lambda x, k=k: x ** (2 * k + 3) for k in range(TANH_DEGREE + 1)]
    coeffs = fit_relative(xs, exact, base, basis)
    return coeffs, max_relative_error(xs, exact, base, basis, coeffs)


def scaled_tail(y: Any) -> Any:
    """``m(y) = Phi(-y) exp(y^2 / 2)``, smooth and slowly varying."""
    return mp.ncdf(-y) * mp.exp(y * y / 2)


def fit_gelu(
    derivative: bool,
) -> tuple[tuple[tuple[float, tuple[float, ...]], ...], float]:
    """The pieces ``(centre, coefficients)`` of one GELU table, and its error."""
    edges = (0.0, *GELU_BREAKS, GELU_YMAX)
    pieces = []
    worst = 0.0
    for i, centre in enumerate(GELU_CENTRES):
        lo, hi = edges[i], edges[i + 1]
        last = i == len(GELU_CENTRES) - 1
        if derivative:
            scale = (lambda y: mp.exp(-SHIFT)) if last else (lambda y: mp.mpf(1))
        else:
            scale = (lambda y: mp.exp(-SHIFT) * y) if last else (lambda y: mp.mpf(1))
        xs = chebyshev_nodes(lo, hi)
        exact = [scale(y) * scaled_tail(y) for y in xs]
        basis = [lambda y, k=k, c=centre: (y - c) ** k for k in range(GELU_DEGREE + 1)]
        base = lambda y: mp.mpf(0)
        coeffs = fit_relative(xs, exact, base, basis)
        worst = max(worst, max_relative_error(xs, exact, base, basis, coeffs))
        pieces.append((centre, coeffs))
    return tuple(pieces), worst


def mish_derivative(x: Any) -> Any:
    """``d/dx x tanh(softplus(x)) = t + x sigmoid(x) (1 - t^2)``."""
    t = mp.tanh(mp.log1p(mp.exp(x)))
    return t + x / (1 + mp.exp(-x)) * (1 - t * t)


def gelu_tanh_derivative(x: Any) -> Any:
    """``d/dx x/2 (1 + tanh(u))``, ``u = sqrt(2/pi) (x + 0.044715 x^3)``."""
    k = mp.sqrt(2 / mp.pi)
    t = mp.tanh(k * (x + _GELU_TANH_C * x**3))
    return (1 + t) / 2 + x / 2 * (1 - t * t) * k * (1 + 3 * _GELU_TANH_C * x * x)


def fit_near_zero(f: Callable[[Any], Any]) -> tuple[tuple[float, ...], float]:
    """``f`` on ``[NEAR_ZERO_LO, NEAR_ZERO_HI]`` as a polynomial, and its error."""
    xs = chebyshev_nodes(NEAR_ZERO_LO, NEAR_ZERO_HI)
    exact = [f(x) for x in xs]
    c = NEAR_ZERO_CENTRE
    basis = [lambda x, k=k: (x - c) ** k for k in range(NEAR_ZERO_DEGREE + 1)]
    base = lambda x: mp.mpf(0)
    coeffs = fit_relative(xs, exact, base, basis)
    return coeffs, max_relative_error(xs, exact, base, basis, coeffs)


def _format_numbers(values: Sequence[float], indent: str) -> list[str]:
    lines, line = [], indent
    for v in values:
        item = f"{v!r}, "
        if len(line) + len(item.rstrip()) > 88:
            lines.append(line.rstrip())
            line = indent
        line += item
    lines.append(line.rstrip())
    return lines


def render() -> str:
    """The text of ``jaxnn/_coefficients.py``, fitted afresh."""
    expm1, expm1_err = fit_expm1()
    out = [
        '"""Polynomial tables of the float32 kernels in ``jaxnn/_numerics.py``.',
        "",
        "Generated by ``python -m tools.fit_coefficients``, which documents how each",
        "table is fitted; do not edit by hand (``tests/test_numerics.py`` checks that",
        "this file is exactly what the script writes).",
        '"""',
        "",
        "# fmt: off",
        "",
        "# expm1(z) = z + z^2 P(z) on [EXPM1_LO, 0], P(0) = 1/2; largest relative",
        f"# error of the float32 coefficients in exact arithmetic: {expm1_err:.2e}.",
        f"EXPM1_LO = {EXPM1_LO!r}",
        "EXPM1_P = (",
        *_format_numbers(expm1, "    "),
        ")",
        "",
        "# Gaussian tail m(y) = Phi(-y) exp(y^2 / 2): piece i covers",
        "# [GELU_BREAKS[i - 1], GELU_BREAKS[i]) and is a polynomial in (y - centre).",
        "# From SHIFTED_FROM on, the tables are pre-scaled by exp(-SHIFT).",
        f"GELU_BREAKS = {GELU_BREAKS!r}",
        f"GELU_YMAX = {GELU_YMAX!r}",
        f"SHIFTED_FROM = {GELU_BREAKS[-1]!r}",
        f"SHIFT = {SHIFT!r}",
    ]
    for name, derivative, what in (
        ("GELU_VALUE", False, "m(y); last piece exp(-SHIFT) y m(y)"),
        ("GELU_DERIVATIVE", True, "m(y); last piece exp(-SHIFT) m(y)"),
    ):
        pieces, err = fit_gelu(derivative)
        out += [
            "",
            f"# {what}; largest relative error {err:.2e}.",
            f"{name} = (",
        ]
        for centre, coeffs in pieces:
            out.append(f"    ({centre!r}, (")
            out += _format_numbers(coeffs, "        ")
            out.append("    )),")
        out.append(")")
    tanh, tanh_err = fit_tanh()
    out += [
        "",
        "# tanh(x) = x + x^3 P(x^2) on [0, TANH_SMALL]; largest relative error",
        f"# {tanh_err:.2e}.",
        f"TANH_SMALL = {TANH_SMALL!r}",
        "TANH_P = (",
        *_format_numbers(tanh, "    "),
        ")",
    ]
    out += [
        "",
        "# mish' and gelu-tanh' on [NEAR_ZERO_LO, NEAR_ZERO_HI), polynomials in",
        "# (x - NEAR_ZERO_CENTRE).",
        f"NEAR_ZERO_LO = {NEAR_ZERO_LO!r}",
        f"NEAR_ZERO_HI = {NEAR_ZERO_HI!r}",
        f"NEAR_ZERO_CENTRE = {NEAR_ZERO_CENTRE!r}",
    ]
    for name, f in (
        ("MISH_DERIVATIVE_P", mish_derivative),
        ("GELU_TANH_DERIVATIVE_P", gelu_tanh_derivative),
    ):
        coeffs, err = fit_near_zero(f)
        out += [
            "",
            f"# Largest relative error {err:.2e}.",
            f"{name} = (",
            *_format_numbers(coeffs, "    "),
            ")",
        ]
    out += ["", "# fmt: on"]
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare instead of writing; exit 1 if different",
    )
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        same = TARGET.read_text() == text
        print(f"{TARGET}: {'up to date' if same else 'differs from the fit'}")
        return 0 if same else 1
    TARGET.write_text(text)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
