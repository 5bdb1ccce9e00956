r"""The results of a logistic fit: :class:`LogisticFit` and :class:`LogisticBootstrap`.

Both are NamedTuples of arrays (pytrees). Their statistics (Wald z, p-values,
confidence intervals, prediction bands, bootstrap percentiles) are each one
compiled call, so that reading a first summary does not compile dozens of
eager operations one by one.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import Array
from jax.scipy.special import ndtr, ndtri
from jax.typing import ArrayLike


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
    weight: Array, bias: Array, cov: Array, x: Array, level: Array
) -> tuple[Array, Array, Array]:
    eta = x @ weight + bias
    design = jnp.concatenate([x, jnp.ones((x.shape[0], 1), x.dtype)], axis=1)
    se = jnp.sqrt(jnp.einsum("mi,ij,mj->m", design, cov, design))
    half = ndtri(0.5 + level.astype(eta.dtype) / 2.0) * se
    sig = jax.nn.sigmoid
    return sig(eta), sig(eta - half), sig(eta + half)


class LogisticFit(NamedTuple):
    r"""A fitted logistic model :math:`p(y = 1 \mid x) = \sigma(x \cdot w + b)`.

    A NamedTuple of arrays, so a pytree: it passes through ``jit`` and ``vmap``
    (batched fits have a leading axis on every field; the methods below are
    for one fit). Standard errors come from the observed information, the
    inverse Hessian of the negative log-likelihood (plus the ridge penalty,
    when ``l2 > 0``) at the estimate, computed with :func:`jax.hessian`.

    Attributes:
        weight: the coefficients :math:`w`, shape ``(d,)``.
        bias: the intercept :math:`b`, shape ``()``.
        weight_stderr: standard errors of ``weight``, shape ``(d,)``.
        bias_stderr: standard error of ``bias``, shape ``()``.
        covariance: the estimated covariance of ``(w_1, ..., w_d, b)``,
            shape ``(d + 1, d + 1)``.
        log_likelihood: the log-likelihood at the estimate (without penalty).
        iterations: the solver's iteration count.
        converged: whether the gradient met the stopping rule.
        separated: whether the data were found perfectly (or quasi-perfectly)
            separated, in which case no maximum-likelihood estimate exists
            and the other fields are meaningless. Always false when ``l2 > 0``.
    """

    weight: Array
    bias: Array
    weight_stderr: Array
    bias_stderr: Array
    covariance: Array
    log_likelihood: Array
    iterations: Array
    converged: Array
    separated: Array

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
        return jax.nn.sigmoid(self.decision_function(x))

    def predict_proba_interval(
        self, x: ArrayLike, *, level: float = 0.95
    ) -> tuple[Array, Array]:
        """A pointwise confidence band for :meth:`predict_proba`.

        The Wald interval of the log-odds (its standard error by the delta
        method with :attr:`covariance`), mapped through the sigmoid, so it
        stays inside (0, 1).

        Args:
            x: inputs as for :meth:`predict_proba`.
            level: the confidence level.

        Returns:
            ``(lower, upper)``, each shaped like :meth:`predict_proba`'s output.
        """
        level = _check_level(level)
        rows, shape = self._rows(x)
        _, lo, hi = _band(self.weight, self.bias, self.covariance, rows, level)
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


@jax.jit
def _percentile_ci(values: Array, ok: Array, level: Array) -> Array:
    """Percentiles (1 +- level) / 2 along axis 0 over the rows where ok holds."""
    mask = ok.reshape(ok.shape + (1,) * (values.ndim - 1))
    kept = jnp.where(mask, values, jnp.nan)
    level = level.astype(values.dtype)
    q = jnp.stack([0.5 - level / 2.0, 0.5 + level / 2.0])
    return jnp.nanquantile(kept, q, axis=0)


class LogisticBootstrap(NamedTuple):
    """Many bootstrap fits of the logistic model, batched along axis 0.

    Attributes:
        weight: shape ``(n_resamples, d)``.
        bias: shape ``(n_resamples,)``.
        log_likelihood: shape ``(n_resamples,)``.
        iterations: shape ``(n_resamples,)``.
        converged: shape ``(n_resamples,)``.
        separated: shape ``(n_resamples,)``; a resample can be separated even
            when the full data are not.
    """

    weight: Array
    bias: Array
    log_likelihood: Array
    iterations: Array
    converged: Array
    separated: Array

    @property
    def ok(self) -> Array:
        """Which resamples have a maximum-likelihood estimate and converged."""
        return self.converged & ~self.separated

    def weight_ci(self, level: float = 0.95) -> Array:
        """Percentile intervals of the weights, shape ``(d, 2)``.

        Resamples that did not converge or were separated are left out.
        """
        level = _check_level(level)
        return _percentile_ci(self.weight, self.ok, level).T

    def bias_ci(self, level: float = 0.95) -> Array:
        """Percentile interval of the bias, shape ``(2,)``."""
        level = _check_level(level)
        return _percentile_ci(self.bias, self.ok, level)
