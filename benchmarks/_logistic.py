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


def resample_indices(n: int, count: int, seed: int = 0) -> np.ndarray:
    """``count`` bootstrap resamples of ``range(n)``, shape (count, n)."""
    return np.random.default_rng(seed).integers(0, n, size=(count, n))


def _sklearn_model() -> Any:
    from sklearn.linear_model import LogisticRegression

    default = inspect.signature(LogisticRegression).parameters["penalty"].default
    if default == "deprecated":  # scikit-learn >= 1.8 spells "no penalty" C=inf
        return LogisticRegression(C=np.inf, max_iter=1000)
    return LogisticRegression(penalty=None, max_iter=1000)


def _statsmodels_fit(x: np.ndarray, y: np.ndarray) -> Any:
    import statsmodels.api as sm

    return sm.Logit(y, sm.add_constant(x)).fit(disp=0)


def _sklearn_fit(x: np.ndarray, y: np.ndarray) -> Any:
    return _sklearn_model().fit(x[:, None], y)


def _estimate(impl: str, fitted: Any) -> dict[str, Any]:
    if impl == "statsmodels":
        bias, weight = (float(v) for v in fitted.params)
        return {
            "weight": weight,
            "bias": bias,
            "iterations": int(fitted.mle_retvals["iterations"]),
            "converged": bool(fitted.mle_retvals["converged"]),
        }
    return {
        "weight": float(fitted.coef_[0, 0]),
        "bias": float(fitted.intercept_[0]),
        "iterations": int(fitted.n_iter_[0]),
    }


PEERS = {"statsmodels": _statsmodels_fit, "scikit-learn": _sklearn_fit}


def _import_peer(impl: str) -> None:
    if impl == "statsmodels":
        import statsmodels.api  # noqa: F401
    else:
        import sklearn.linear_model  # noqa: F401


def _blas_fit(case: Case, impl: str, settings: Settings) -> list[Row]:
    x, y = (a.astype(np.float64) for a in _data.tumor())
    fit = PEERS[impl]
    try:
        _import_peer(impl)  # so the first call times the fit, not the import
        t = measure(
            fit, x, y, reps=settings.reps, min_rep_seconds=settings.min_rep_seconds
        )
    except ImportError as err:
        return [skipped(case, impl, f"ImportError: {err}")]
    return [
        row(
            case,
            impl,
            t,
            throughput=1 / t["median"],
            unit="fits/s",
            **_estimate(impl, fit(x, y)),
        )
    ]


def _blas_bootstrap(case: Case, impl: str, settings: Settings) -> list[Row]:
    x, y = (a.astype(np.float64) for a in _data.tumor())
    count = LOOP_FITS[settings.profile]
    idx = resample_indices(x.shape[0], count)
    fit = PEERS[impl]

    def loop() -> list[Any]:
        return [fit(x[i], y[i]) for i in idx]

    try:
        _import_peer(impl)
        t = measure(loop, reps=3, min_rep_seconds=0.0)
    except ImportError as err:
        return [skipped(case, impl, f"ImportError: {err}")]
    scale = N_RESAMPLES / count
    scaled = {
        k: (v * scale if k in ("median", "min", "max") else v) for k, v in t.items()
    }
    slopes = [_estimate(impl, f)["weight"] for f in loop()]
    return [
        row(
            case,
            f"{impl} loop",
            scaled,
            throughput=N_RESAMPLES / scaled["median"],
            unit="fits/s",
            note=f"extrapolated: a loop of {count} fits timed, scaled x{scale:g}",
            fits_timed=count,
            weight_mean=float(np.mean(slopes)),
            weight_std=float(np.std(slopes, ddof=1)),
        )
    ]


# ---------------------------------------------------------------------------
# The XLA side.


def _kw(settings: Settings) -> dict[str, Any]:
    import jax

    return {
        "block": jax.block_until_ready,
        "reps": settings.reps,
        "min_rep_seconds": settings.min_rep_seconds,
    }


def _xla_fit(case: Case, settings: Settings) -> list[Row]:
    import jax.numpy as jnp

    import jaxnn

    x, y = (jnp.asarray(a) for a in _data.tumor())
    t = measure(jaxnn.fit_logistic, x, y, **_kw(settings))
    fit = jaxnn.fit_logistic(x, y)
    weight = np.asarray(fit.weight).reshape(-1)
    return [
        row(
            case,
            "jaxnn",
            t,
            throughput=1 / t["median"],
            unit="fits/s",
            note="first_call_seconds: the first call in a fresh process (compiles)",
            weight=float(weight[0]),
            bias=float(fit.bias),
            iterations=int(fit.iterations),
            converged=bool(fit.converged),
        )
    ]


def _xla_bootstrap(case: Case, settings: Settings) -> list[Row]:
    import jax
    import jax.numpy as jnp

    import jaxnn

    x, y = (jnp.asarray(a) for a in _data.tumor())
    key = jax.random.key(0)
    boot = functools.partial(jaxnn.bootstrap_logistic, n_resamples=N_RESAMPLES)
    kw = _kw(settings)
    kw["reps"] = min(kw["reps"], 5)
    t = measure(boot, key, x, y, **kw)
    fits = boot(key, x, y)
    slopes = np.asarray(fits.weight).reshape(N_RESAMPLES, -1)[:, 0]
    extra: dict[str, Any] = {
        "weight_mean": float(np.nanmean(slopes)),
        "weight_std": float(np.nanstd(slopes, ddof=1)),
    }
    if hasattr(fits, "converged"):
        extra["converged_fraction"] = float(np.mean(np.asarray(fits.converged)))
    return [
        row(
            case,
            "jaxnn",
            t,
            throughput=N_RESAMPLES / t["median"],
            unit="fits/s",
            note="first_call_seconds: the first call in a fresh process (compiles)",
            **extra,
        )
    ]


def cases(side: str, settings: Settings, platform: str) -> list[Case]:
    """One worker's cases: ``side`` is ``"xla"`` or ``"blas"``."""
    n = 686
    if side == "xla":
        fit = functools.partial(_xla_fit, settings=settings)
        boot = functools.partial(_xla_bootstrap, settings=settings)
        return [
            Case(SUITE, FIT, ("jaxnn",), n, "float32", fit, "rows"),
            Case(SUITE, BOOTSTRAP, ("jaxnn",), N_RESAMPLES, "float32", boot, "fits"),
        ]
    out = []
    for impl in PEERS:
        run = functools.partial(_blas_fit, impl=impl, settings=settings)
        out.append(Case(SUITE, FIT, (impl,), n, "float64", run, "rows"))
    for impl in PEERS:
        run = functools.partial(_blas_bootstrap, impl=impl, settings=settings)
        loop = (f"{impl} loop",)
        out.append(Case(SUITE, BOOTSTRAP, loop, N_RESAMPLES, "float64", run, "fits"))
    return out
