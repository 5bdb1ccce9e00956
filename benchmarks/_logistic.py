"""The logistic suite: jaxnn's fit and bootstrap vs statsmodels and scikit-learn.

Data: GBSG2 as jaxnn's default example reads it (686 tumours: size in cm,
spread = four or more positive nodes), float32 for jaxnn.

- One fit: ``jaxnn.fit_logistic`` (its first call in a fresh process, which
  includes tracing and compilation, is reported apart from the warm time;
  its iteration count is recorded) vs statsmodels ``Logit(...).fit()`` and
  scikit-learn ``LogisticRegression`` without penalty (``C=inf`` where
  ``penalty=None`` is deprecated), both in a separate process.
- Bootstrap: ``jaxnn.bootstrap_logistic`` with ``N_RESAMPLES`` resamples vs a
  Python loop of statsmodels fits and of scikit-learn fits over resampled
  rows. The loops are timed over ``LOOP_FITS`` resamples and scaled to
  ``N_RESAMPLES`` (each row says so).

Every row records the fitted slope and intercept, so the results show that
the contenders agree on the estimate they are timed computing.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

import numpy as np

from benchmarks import _data
from benchmarks._timing import Settings, measure
from benchmarks._worker import Case, Row, row, skipped

SUITE = "logistic"
FIT = "one fit"
BOOTSTRAP = "bootstrap fits"
N_RESAMPLES = 1000
# How many peer fits a bootstrap loop is timed over (scaled to N_RESAMPLES).
LOOP_FITS = {"full": 50, "quick": 20, "smoke": 4}


def describe_sizes(settings: Settings, platform: str) -> str:
    return f"bootstrap peer loops timed over {LOOP_FITS[settings.profile]} fits"


def _peer(impl: str) -> Any:
    """``fit(x, y)`` of a peer, its library imported now (not in the first call)."""
    if impl == "statsmodels":
        import statsmodels.api as sm

        return lambda x, y: sm.Logit(y, sm.add_constant(x)).fit(disp=0)
    from sklearn.linear_model import LogisticRegression

    # No penalty: scikit-learn >= 1.8 spells it C=inf, older ones penalty=None.
    default = inspect.signature(LogisticRegression).parameters["penalty"].default
    kw = {"C": np.inf} if default == "deprecated" else {"penalty": None}
    return lambda x, y: LogisticRegression(max_iter=1000, **kw).fit(x[:, None], y)


def _estimate(fitted: Any) -> dict[str, Any]:
    """Slope, intercept and iterations of a statsmodels or scikit-learn fit."""
    if hasattr(fitted, "mle_retvals"):  # statsmodels
        bias, weight = (float(v) for v in fitted.params)
        info = fitted.mle_retvals
        return {"weight": weight, "bias": bias} | {
            "iterations": int(info["iterations"]),
            "converged": bool(info["converged"]),
        }
    return {
        "weight": float(fitted.coef_[0, 0]),
        "bias": float(fitted.intercept_[0]),
        "iterations": int(fitted.n_iter_[0]),
    }


def _blas(case: Case, impl: str, settings: Settings) -> list[Row]:
    """One fit, or a loop of ``LOOP_FITS`` bootstrap fits scaled to
    ``N_RESAMPLES``, of one peer, in float64 as the peers compute."""
    x, y = (a.astype(np.float64) for a in _data.tumor())
    try:
        fit = _peer(impl)
    except ImportError as err:
        return [skipped(case, case.implementations[0], f"ImportError: {err}")]
    if case.case == FIT:
        t = measure(
            fit, x, y, reps=settings.reps, min_rep_seconds=settings.min_rep_seconds
        )
        return [
            row(
                case,
                impl,
                t,
                throughput=1 / t["median"],
                unit="fits/s",
                **_estimate(t["output"]),
            )
        ]
    count = LOOP_FITS[settings.profile]
    idx = np.random.default_rng(0).integers(0, x.size, size=(count, x.size))
    t = measure(lambda: [fit(x[i], y[i]) for i in idx], reps=3, min_rep_seconds=0.0)
    scale = N_RESAMPLES / count
    t |= {k: t[k] * scale for k in ("median", "min", "max")}
    slopes = [_estimate(f)["weight"] for f in t["output"]]
    return [
        row(
            case,
            f"{impl} loop",
            t,
            throughput=N_RESAMPLES / t["median"],
            unit="fits/s",
            note=f"extrapolated: a loop of {count} fits timed, scaled x{scale:g}",
            fits_timed=count,
            weight_mean=float(np.mean(slopes)),
            weight_std=float(np.std(slopes, ddof=1)),
        )
    ]


def _xla(case: Case, settings: Settings) -> list[Row]:
    """``jaxnn.fit_logistic``, or ``jaxnn.bootstrap_logistic`` of
    ``N_RESAMPLES`` fits, in float32."""
    import jax
    import jax.numpy as jnp

    import jaxnn

    x, y = (jnp.asarray(a) for a in _data.tumor())
    kw = {"block": jax.block_until_ready, "min_rep_seconds": settings.min_rep_seconds}
    note = "first_call_seconds: the first call in a fresh process (compiles)"
    if case.case == FIT:
        t = measure(jaxnn.fit_logistic, x, y, reps=settings.reps, **kw)
        fit = t["output"]
        checks = {
            "weight": float(np.asarray(fit.weight).reshape(-1)[0]),
            "bias": float(fit.bias),
            "iterations": int(fit.iterations),
            "converged": bool(fit.converged),
        }
        return [
            row(
                case,
                "jaxnn",
                t,
                throughput=1 / t["median"],
                unit="fits/s",
                note=note,
                **checks,
            )
        ]
    boot = functools.partial(jaxnn.bootstrap_logistic, n_resamples=N_RESAMPLES)
    t = measure(boot, jax.random.key(0), x, y, reps=min(settings.reps, 5), **kw)
    slopes = np.asarray(t["output"].weight).reshape(N_RESAMPLES, -1)[:, 0]
    checks = {
        "weight_mean": float(np.nanmean(slopes)),
        "weight_std": float(np.nanstd(slopes, ddof=1)),
        "converged_fraction": float(np.mean(np.asarray(t["output"].converged))),
    }
    ips = N_RESAMPLES / t["median"]
    return [row(case, "jaxnn", t, throughput=ips, unit="fits/s", note=note, **checks)]


def cases(side: str, settings: Settings, platform: str) -> list[Case]:
    """One worker's cases: ``side`` is ``"xla"`` or ``"blas"``."""
    sizes = {FIT: (686, "rows"), BOOTSTRAP: (N_RESAMPLES, "fits")}
    if side == "xla":
        run = functools.partial(_xla, settings=settings)
        return [
            Case(SUITE, c, ("jaxnn",), n, "float32", run, unit)
            for c, (n, unit) in sizes.items()
        ]
    out = []
    for case, (n, unit) in sizes.items():
        for impl in ("statsmodels", "scikit-learn"):
            name = impl if case == FIT else f"{impl} loop"
            run = functools.partial(_blas, impl=impl, settings=settings)
            out.append(Case(SUITE, case, (name,), n, "float64", run, unit))
    return out
