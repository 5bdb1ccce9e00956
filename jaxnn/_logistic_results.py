r"""The results of a logistic fit: :class:`LogisticFit` and :class:`LogisticBootstrap`.

Both are NamedTuples of arrays (pytrees). Their statistics (Wald z, p-values,
confidence intervals, prediction bands, bootstrap percentiles) are each one
compiled call, so that reading a first summary does not compile dozens of
eager operations one by one.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.scipy.special import ndtr, ndtri
from jax.typing import ArrayLike

from jaxnn._activations import sigmoid


def _check_level(level: float) -> float:
    if not (isinstance(level, int | float) and 0.0 < level < 1.0):
        raise ValueError(f"level: expected a number in (0, 1), got {level!r}")
    return float(level)


# Each summary statistic is one compiled call (not a chain of eager ops, each
# compiled on first use): the first summary of a fit is then quick too.
@jax.jit
def _wald(estimate: Array, stderr: Array, level: Array) -> Array:
    """Columns estimate, stderr, z, p, ci_low, ci_high (last axis)."""
    z = estimate / stderr
    # 2 * Phi(-|z|) keeps its precision far into the tail, unlike 1 - Phi(|z|).
    p = 2.0 * ndtr(-jnp.abs(z))
    half = ndtri(0.5 + level.astype(stderr.dtype) / 2.0) * stderr
    return jnp.stack([estimate, stderr, z, p, estimate - half, estimate + half], -1)


@jax.jit
def _linear(weight: Array, bias: Array, x: Array) -> Array:
    return x @ weight + bias


@jax.jit
def _band(
    weight: Array, bias: Array, se: Array, corr: Array, x: Array, level: Array
) -> tuple[Array, Array, Array]:
    eta = x @ weight + bias
    # Each term a_j * se_j is a log-odds (dimensionless), so the band is
    # formed without the covariance, whose entries se_i * se_j can leave the
    # dtype's range for columns of extreme scale (1e30 gives 1e-60).
    design = jnp.concatenate([x, jnp.ones((x.shape[0], 1), x.dtype)], axis=1)
    scaled = design * se[None, :]
    sd = jnp.sqrt(jnp.einsum("mi,ij,mj->m", scaled, corr, scaled))
    half = ndtri(0.5 + level.astype(eta.dtype) / 2.0) * sd
    return sigmoid(eta), sigmoid(eta - half), sigmoid(eta + half)


class LogisticFit(NamedTuple):
    r"""A fitted logistic model :math:`p(y = 1 \mid x) = \sigma(x \cdot w + b)`.

    A NamedTuple of arrays, so a pytree: it passes through ``jit`` and ``vmap``
    (batched fits have a leading axis on every field; the methods below are
    for one fit). Standard errors come from the observed information, the
    inverse Hessian of the negative log-likelihood (plus the ridge penalty,
    when ``l2 > 0``) at the estimate. Printing a fit shows its coefficient
    table (:meth:`summary`).

    Exactly one of three outcomes holds when ``converged`` is false:
    ``separated`` (no estimate exists), ``rank_deficient`` (no unique
    estimate exists), or neither (the solver stopped early, the input was
    not finite, or an estimate is outside the dtype's range).

    Attributes:
        weight: the coefficients :math:`w`, shape ``(d,)``.
        bias: the intercept :math:`b`, shape ``()``.
        weight_stderr: standard errors of ``weight``, shape ``(d,)``.
        bias_stderr: standard error of ``bias``, shape ``()``.
        correlation: the estimated correlation of ``(w_1, ..., w_d, b)``,
            shape ``(d + 1, d + 1)``; see :attr:`covariance`.
        log_likelihood: the log-likelihood at the estimate (without penalty).
        iterations: the solver's iteration count.
        converged: whether the fit is the (penalized) maximum-likelihood
            estimate: the Newton decrement met the stopping rule, every
            estimate is finite, and the estimate provably exists.
        separated: whether the data are separated or quasi-separated, so
            that no maximum-likelihood estimate exists (the weights grow
            without bound; the other fields are the solver's last iterate).
            Always false when ``l2 > 0``.
        rank_deficient: whether the columns of ``x`` and the bias are
            linearly dependent (exactly, or to the dtype's precision), so
            that the estimate is not unique; the estimates are then NaN.
    """

    weight: Array
    bias: Array
    weight_stderr: Array
    bias_stderr: Array
    correlation: Array
    log_likelihood: Array
    iterations: Array
    converged: Array
    separated: Array
    rank_deficient: Array

    def __repr__(self) -> str:
        return self.summary() if _is_single(self.weight, 1) else _short(self)

    @property
    def covariance(self) -> Array:
        """The estimated covariance of ``(w_1, ..., w_d, b)``.

        Formed from :attr:`correlation` and the standard errors; for columns
        of extreme scale (a standard error of 1e-30 squares to 1e-60) its
        entries can leave the dtype's range where the standard errors do not.
        """
        se = jnp.concatenate([self.weight_stderr, self.bias_stderr[..., None]], -1)
        return self.correlation * se[..., :, None] * se[..., None, :]

    def _rows(self, x: ArrayLike) -> tuple[Array, tuple[int, ...]]:
        """x as an (m, d) matrix, and the shape of one value per row."""
        x = jnp.asarray(x, dtype=self.weight.dtype)
        d = self.weight.shape[-1]
        if d == 1 and x.ndim <= 1:
            return x.reshape(-1, 1), x.shape
        if x.ndim not in (1, 2) or x.shape[-1] != d:
            raise ValueError(
                f"x: expected shape (m, {d}) or ({d},), got {tuple(x.shape)}"
            )
        return x.reshape(-1, d), x.shape[:-1]

    def decision_function(self, x: ArrayLike) -> Array:
        r"""The linear predictor :math:`x \cdot w + b` (the log-odds).

        Args:
            x: inputs of shape ``(m, d)``; when ``d == 1`` also ``(m,)`` or ``()``.

        Returns:
            The log-odds, of shape ``(m,)`` (or ``()`` for a scalar input).
        """
        rows, shape = self._rows(x)
        return _linear(self.weight, self.bias, rows).reshape(shape)

    def predict_proba(self, x: ArrayLike) -> Array:
        r"""The fitted probability :math:`p(y = 1 \mid x) = \sigma(x \cdot w + b)`.

        Args:
            x: inputs of shape ``(m, d)``; when ``d == 1`` also ``(m,)`` or ``()``.

        Returns:
            Probabilities of shape ``(m,)`` (or ``()`` for a scalar input).

        Examples:
            >>> import jaxnn.datasets
            >>> size, spread = jaxnn.datasets.tumor()
            >>> fit = jaxnn.fit_logistic(size, spread)
            >>> [round(p, 3) for p in fit.predict_proba(jnp.array([3.0, 6.0])).tolist()]
            [0.461, 0.753]
        """
        return sigmoid(self.decision_function(x))

    def predict_proba_interval(
        self, x: ArrayLike, *, level: float = 0.95
    ) -> tuple[Array, Array]:
        """A pointwise confidence band for :meth:`predict_proba`.

        The Wald interval of the log-odds (its standard error by the delta
        method), mapped through the sigmoid, so it
        stays inside (0, 1).

        Args:
            x: inputs as for :meth:`predict_proba`.
            level: the confidence level.

        Returns:
            ``(lower, upper)``, each shaped like :meth:`predict_proba`'s output.
        """
        level = _check_level(level)
        rows, shape = self._rows(x)
        se = jnp.concatenate([self.weight_stderr, self.bias_stderr[None]])
        _, lo, hi = _band(self.weight, self.bias, se, self.correlation, rows, level)
        return lo.reshape(shape), hi.reshape(shape)

    def table(self, level: float = 0.95) -> Array:
        """The coefficient table a statistician reads, in one array.

        Args:
            level: the confidence level of the Wald intervals.

        Returns:
            Shape ``(d + 1, 6)``: one row per weight, then the bias; columns
            estimate, standard error, z, two-sided p-value, lower and upper
            confidence limit.

        Examples:
            >>> fit = jaxnn.fit_logistic(np.array([0.0, 1, 2, 3, 4, 5]),
            ...                          np.array([0.0, 0, 1, 0, 1, 1]))
            >>> fit.table().shape
            (2, 6)
        """
        level = _check_level(level)
        est = jnp.concatenate([self.weight, self.bias[None]])
        se = jnp.concatenate([self.weight_stderr, self.bias_stderr[None]])
        return _wald(est, se, level)

    @property
    def weight_z(self) -> Array:
        """Wald z statistics of the weights, ``weight / weight_stderr``."""
        return _wald(self.weight, self.weight_stderr, 0.95)[..., 2]

    @property
    def bias_z(self) -> Array:
        """Wald z statistic of the bias."""
        return _wald(self.bias, self.bias_stderr, 0.95)[..., 2]

    @property
    def weight_pvalue(self) -> Array:
        """Two-sided p-values of the weights under the normal approximation."""
        return _wald(self.weight, self.weight_stderr, 0.95)[..., 3]

    @property
    def bias_pvalue(self) -> Array:
        """Two-sided p-value of the bias under the normal approximation."""
        return _wald(self.bias, self.bias_stderr, 0.95)[..., 3]

    def weight_ci(self, level: float = 0.95) -> Array:
        """Wald confidence intervals of the weights, shape ``(d, 2)``."""
        level = _check_level(level)
        return _wald(self.weight, self.weight_stderr, level)[..., 4:]

    def bias_ci(self, level: float = 0.95) -> Array:
        """Wald confidence interval of the bias, shape ``(2,)``."""
        level = _check_level(level)
        return _wald(self.bias, self.bias_stderr, level)[..., 4:]

    def status(self) -> str:
        """The fit's outcome in words (for one fit)."""
        if bool(self.rank_deficient):
            return "rank-deficient design: no unique estimate"
        if bool(self.separated):
            return "separated data: no maximum-likelihood estimate"
        its = f"{int(self.iterations)} iterations"
        return (
            f"converged in {its}" if bool(self.converged) else f"NOT converged ({its})"
        )

    def summary(self, level: float = 0.95, names: list[str] | None = None) -> str:
        """The coefficient table as text: estimate, std err, z, p, interval.

        Args:
            level: the confidence level of the Wald intervals.
            names: one name per column of ``x`` (default ``x0``, ``x1``, ...).

        Returns:
            A few lines: the outcome, the log-likelihood, then one row per
            weight and one for the bias (at most 20 weights are shown).

        Examples:
            >>> fit = jaxnn.fit_logistic(np.array([0.0, 1, 2, 3, 4, 5]),
            ...                          np.array([0.0, 0, 1, 0, 1, 1]))
            >>> print(fit.summary(names=["size"]))  # doctest: +ELLIPSIS
            LogisticFit: converged in ... iterations, log-likelihood -2.478
                     estimate    std err        z      P>|z|   [95% interval]
            size        1.214     0.9126     1.33      0.183    -0.5746      3.003
            bias       -3.035      2.546    -1.19      0.233     -8.025      1.954
        """
        d = self.weight.shape[-1]
        names = [f"x{j}" for j in range(d)] if names is None else list(names)
        if len(names) != d:
            raise ValueError(f"names: expected {d} names, got {len(names)}")
        table = np.asarray(self.table(level), np.float64)
        width = max(6, *(len(n) for n in names[:20]))
        pct = f"{100 * level:g}%"
        lines = [
            f"LogisticFit: {self.status()}, log-likelihood "
            f"{float(self.log_likelihood):.6g}",
            f"{'':{width}} {'estimate':>10} {'std err':>10} {'z':>8} {'P>|z|':>10}"
            f"   [{pct} interval]",
        ]
        shown = [*range(min(d, 20)), d]
        for j in shown:
            est, se, z, p, lo, hi = table[j]
            name = "bias" if j == d else names[j]
            lines.append(
                f"{name:{width}} {est:10.4g} {se:10.4g} {z:8.3g} {p:10.3g} "
                f"{lo:10.4g} {hi:10.4g}"
            )
        if d > 20:
            lines.insert(-1, f"... {d - 20} more weights")
        return "\n".join(lines)


@jax.jit
def _percentile_ci(values: Array, ok: Array, level: Array) -> Array:
    """Percentiles (1 +- level) / 2 along axis 0 over the rows where ok holds."""
    mask = ok.reshape(ok.shape + (1,) * (values.ndim - 1))
    kept = jnp.where(mask, values, jnp.nan)
    level = level.astype(values.dtype)
    q = jnp.stack([0.5 - level / 2.0, 0.5 + level / 2.0])
    return jnp.nanquantile(kept, q, axis=0)


@jax.jit
def _drop_counts(converged: Array, separated: Array, rank_deficient: Array) -> Array:
    """Counts of separated, rank-deficient and other failed resamples.

    Reduced on the devices, so that sharded flags are not fetched whole.
    """
    rank = rank_deficient & ~separated
    other = ~converged & ~separated & ~rank
    return jnp.stack([jnp.sum(separated), jnp.sum(rank), jnp.sum(other)])


class LogisticBootstrap(NamedTuple):
    """Many bootstrap fits of the logistic model, batched along axis 0.

    Printing one shows the count of resamples, how many were left out and
    why, and the percentile intervals (:meth:`summary`).

    Attributes:
        weight: shape ``(n_resamples, d)``.
        bias: shape ``(n_resamples,)``.
        log_likelihood: shape ``(n_resamples,)``.
        iterations: shape ``(n_resamples,)``.
        converged: shape ``(n_resamples,)``.
        separated: shape ``(n_resamples,)``; a resample can be separated even
            when the full data are not.
        rank_deficient: shape ``(n_resamples,)``; a resample can lose a
            column's variation (a rare category not drawn).
    """

    weight: Array
    bias: Array
    log_likelihood: Array
    iterations: Array
    converged: Array
    separated: Array
    rank_deficient: Array

    def __repr__(self) -> str:
        return self.summary() if _is_single(self.weight, 2) else _short(self)

    @property
    def ok(self) -> Array:
        """Which resamples have a maximum-likelihood estimate and converged."""
        return self.converged & ~self.separated & ~self.rank_deficient

    def weight_ci(self, level: float = 0.95) -> Array:
        """Percentile intervals of the weights, shape ``(d, 2)``.

        Resamples that did not converge, were separated or rank-deficient
        are left out.
        """
        level = _check_level(level)
        return _percentile_ci(self.weight, self.ok, level).T

    def bias_ci(self, level: float = 0.95) -> Array:
        """Percentile interval of the bias, shape ``(2,)``."""
        level = _check_level(level)
        return _percentile_ci(self.bias, self.ok, level)

    def dropped(self) -> dict[str, int]:
        """How many resamples are left out, and why (for one bootstrap)."""
        counts = np.asarray(
            _drop_counts(self.converged, self.separated, self.rank_deficient)
        )
        return dict(
            zip(
                ("separated", "rank_deficient", "not_converged"),
                counts.tolist(),
                strict=True,
            )
        )

    def summary(self, level: float = 0.95, names: list[str] | None = None) -> str:
        """The resample count, the dropped resamples and percentile intervals.

        Args:
            level: the level of the percentile intervals.
            names: one name per column of ``x`` (default ``x0``, ``x1``, ...).

        Returns:
            A few lines of text (at most 20 weights are shown).
        """
        count, d = self.weight.shape
        names = [f"x{j}" for j in range(d)] if names is None else list(names)
        if len(names) != d:
            raise ValueError(f"names: expected {d} names, got {len(names)}")
        drops = self.dropped()
        kept = count - sum(drops.values())
        why = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in drops.items())
        ci = np.concatenate(
            [np.asarray(self.weight_ci(level)), np.asarray(self.bias_ci(level))[None]]
        )
        width = max(6, *(len(n) for n in names[:20]))
        lines = [
            f"LogisticBootstrap: {count} resamples, {kept} kept, "
            f"{count - kept} dropped ({why})",
            f"{'':{width}} [{100 * level:g}% percentile interval]",
        ]
        for j in [*range(min(d, 20)), d]:
            name = "bias" if j == d else names[j]
            lines.append(f"{name:{width}} {ci[j, 0]:10.4g} {ci[j, 1]:10.4g}")
        if d > 20:
            lines.insert(-1, f"... {d - 20} more weights")
        return "\n".join(lines)


def _is_single(weight: Array, ndim: int) -> bool:
    """A concrete result of one fit (or one bootstrap), not batched or traced."""
    return not isinstance(weight, jax.core.Tracer) and jnp.ndim(weight) == ndim


def _short(result: NamedTuple) -> str:
    """A one-line repr by field shapes, for batched or traced results."""
    fields = ", ".join(
        f"{k}={getattr(v, 'dtype', type(v).__name__)}{list(jnp.shape(v))}"
        for k, v in zip(result._fields, result, strict=True)
    )
    return f"{type(result).__name__}({fields})"
