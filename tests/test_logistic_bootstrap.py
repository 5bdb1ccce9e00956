"""Tests of jaxnn/_logistic_bootstrap.py and the LogisticBootstrap result.

Each resample is checked as what it claims to be, a refit of the rows it
drew (statsmodels on those rows repeated); the spread of the resamples
against statsmodels' standard error; and the outcome flags of resamples
that lose a column's variation or are separated.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import statsmodels.api as sm
from jax.sharding import NamedSharding, PartitionSpec

import jaxnn
from jaxnn import _logistic_bootstrap
from jaxnn._logistic_bootstrap import resample_blocks, resample_counts, resample_key
from jaxnn._logistic_results import LogisticBootstrap
from jaxnn.datasets import tumor

N_BOOT = 200


def _statsmodels(x: np.ndarray, y: np.ndarray):
    x2 = np.asarray(x, np.float64).reshape(len(y), -1)
    return sm.Logit(np.asarray(y, np.float64), sm.add_constant(x2)).fit(
        disp=0, tol=1e-12, maxiter=100
    )


@pytest.fixture(scope="module")
def tumour() -> tuple[np.ndarray, np.ndarray]:
    return tumor()


@pytest.fixture(scope="module")
def boot(tumour) -> jaxnn.LogisticBootstrap:
    x, y = tumour
    return jaxnn.bootstrap_logistic(jax.random.key(3), x, y, n_resamples=N_BOOT)


def test_bootstrap_shapes_sharding_and_intervals(boot, tumour) -> None:
    x, y = tumour
    assert boot.weight.shape == (N_BOOT, 1) and boot.bias.shape == (N_BOOT,)
    rows = NamedSharding(jaxnn.data_mesh(jax.local_devices()), PartitionSpec("data"))
    assert boot.weight.sharding.is_equivalent_to(rows, 2)
    assert boot.bias.sharding.is_equivalent_to(rows, 1)
    assert bool(jnp.all(boot.ok))
    fit = jaxnn.fit_logistic(x, y)
    ci = np.asarray(boot.weight_ci())[0]
    assert ci[0] < float(fit.weight[0]) < ci[1]
    b_ci = np.asarray(boot.bias_ci())
    assert b_ci[0] < float(fit.bias) < b_ci[1]
    np.testing.assert_allclose(
        ci, np.percentile(np.asarray(boot.weight[:, 0]), [2.5, 97.5]), rtol=1e-5
    )
    # The bootstrap spread estimates the same standard error as the observed
    # information (statsmodels' 0.0653 on these data), within 20%.
    sd = float(np.std(np.asarray(boot.weight[:, 0])))
    assert abs(sd / _statsmodels(x, y).bse[1] - 1.0) < 0.2
    # Same key, same resamples.
    again = jaxnn.bootstrap_logistic(jax.random.key(3), x, y, n_resamples=N_BOOT)
    np.testing.assert_array_equal(np.asarray(again.weight), np.asarray(boot.weight))


@pytest.mark.parametrize("i", [0, 7, 150])
def test_resample_is_a_refit_of_the_rows_its_key_draws(boot, tumour, i) -> None:
    """Resample i: statsmodels on the rows drawn from fold_in(key, i)."""
    x, y = tumour
    key = jax.random.fold_in(jax.random.key(3), i)
    assert jnp.array_equal(
        jax.random.key_data(key),
        jax.random.key_data(resample_key(jax.random.key(3), i)),
    )
    counts = np.asarray(resample_counts(key, len(y), jnp.float32)).astype(int)
    assert counts.sum() == len(y)
    rows = np.repeat(np.arange(len(y)), counts)
    ref = _statsmodels(x[rows], y[rows])
    # Resamples stop at a decrement of 1e-3 standard errors.
    est = np.array([float(boot.bias[i]), float(boot.weight[i, 0])])
    np.testing.assert_array_less(np.abs(est - ref.params), 2e-3 * ref.bse)


def test_resample_i_does_not_depend_on_the_resample_count(boot, tumour) -> None:
    x, y = tumour
    first = jaxnn.bootstrap_logistic(jax.random.key(3), x, y, n_resamples=8)
    np.testing.assert_allclose(
        np.asarray(first.weight), np.asarray(boot.weight[:8]), rtol=1e-6
    )
    assert first.iterations.tolist() == boot.iterations[:8].tolist()


def test_resamples_in_blocks_are_the_same_resamples(boot, tumour, monkeypatch):
    """A large data set runs its resamples in blocks: the same fits, in order."""
    x, y = tumour
    # 686 rows x 2 values: at most 8 resamples per block, so 200 run in 25.
    monkeypatch.setattr(_logistic_bootstrap, "BLOCK_VALUES", 8 * len(y) * 2)
    assert resample_blocks(N_BOOT, 1, len(y) * 2) == 25
    blocked = jaxnn.bootstrap_logistic(jax.random.key(3), x, y, n_resamples=N_BOOT)
    np.testing.assert_allclose(
        np.asarray(blocked.weight), np.asarray(boot.weight), rtol=1e-6
    )
    assert blocked.iterations.tolist() == boot.iterations.tolist()


@pytest.mark.parametrize(
    ("n_resamples", "n_devices", "row_values", "blocks"),
    [
        (1000, 1, 686 * 2, 1),  # the tumour data: one vmap, as fast as before
        (200, 1, 200_000 * 3, 8),  # 25 resamples of 600,000 values a block
        (1000, 8, 10**6 * 3, 125),  # one resample per device at most
        (14, 2, 10**7, 7),  # a block is never smaller than the mesh
    ],
)
def test_resample_blocks_bound_the_memory(n_resamples, n_devices, row_values, blocks):
    assert resample_blocks(n_resamples, n_devices, row_values) == blocks
    size = n_resamples // blocks
    assert size * blocks == n_resamples and size % n_devices == 0
    assert size * row_values <= _logistic_bootstrap.BLOCK_VALUES or size == n_devices


def test_numpy_integers_are_counts(tumour) -> None:
    x, y = tumour
    out = jaxnn.bootstrap_logistic(
        jax.random.key(0), x, y, n_resamples=np.int64(8), max_iter=np.int32(50)
    )
    assert out.weight.shape == (8, 1)


def test_bootstrap_percentiles_leave_out_failed_resamples() -> None:
    w = jnp.array([[1.0], [2.0], [3.0], [1e6], [-1e6]])
    b = LogisticBootstrap(
        weight=w,
        bias=w[:, 0],
        log_likelihood=jnp.zeros(5),
        iterations=jnp.ones(5, jnp.int32),
        converged=jnp.array([True, True, True, False, False]),
        separated=jnp.array([False, False, False, True, False]),
        rank_deficient=jnp.array([False, False, False, False, True]),
    )
    np.testing.assert_allclose(
        b.weight_ci(level=0.5), np.percentile([1.0, 2.0, 3.0], [25, 75])[None]
    )
    assert b.dropped() == {"separated": 1, "rank_deficient": 1, "not_converged": 0}
    text = repr(b)
    assert text.startswith("LogisticBootstrap: 5 resamples, 3 kept, 2 dropped")
    assert "1 separated, 1 rank deficient" in text and "x0" in text


def test_resample_counts_are_uniform(key) -> None:
    """Each row is drawn with probability 1/n: a chi-square check of the counts."""
    n, draws = 50, 2000
    total_counts = jax.jit(
        lambda keys: jax.vmap(lambda k: resample_counts(k, n, jnp.float32))(keys).sum(0)
    )
    total = np.asarray(total_counts(jax.random.split(key, draws)))
    assert total.sum() == n * draws
    chi2 = float(np.sum((total - draws) ** 2 / draws))
    assert chi2 < 95.0  # the 0.9999 quantile of chi-square with 49 d.o.f. is ~95


def test_resamples_without_a_rare_category_are_rank_deficient() -> None:
    """Two rows of 60 carry a dummy: about 13% of resamples draw neither."""
    rng = np.random.default_rng(0)
    t = rng.normal(size=60)
    dummy = np.zeros(60)
    dummy[[3, 40]] = 1.0
    y = (rng.random(60) < 1 / (1 + np.exp(-t))).astype(np.float64)
    y[[3, 40]] = [0.0, 1.0]  # the dummy's rows disagree: not separated
    x = np.stack([t, dummy], 1)
    with pytest.warns(UserWarning, match=r"left out of the intervals.*rank deficient"):
        out = jaxnn.bootstrap_logistic(jax.random.key(1), x, y, n_resamples=200)
    drew = np.array(
        [
            np.asarray(
                resample_counts(resample_key(jax.random.key(1), i), 60, jnp.float32)
            )[[3, 40]].sum()
            for i in range(200)
        ]
    )
    rank = np.asarray(out.rank_deficient)
    np.testing.assert_array_equal(rank, drew == 0)
    assert not np.asarray(out.converged)[rank].any()


def test_many_separated_resamples_warn(key) -> None:
    """Nearly separated data: over 2.5% of resamples separate, with a warning."""
    x = np.array([0.0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
    y = np.array([0.0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1])
    with pytest.warns(UserWarning, match=r"resamples \(\d+\.\d%\) have no estimate"):
        out = jaxnn.bootstrap_logistic(key, x, y, n_resamples=64)
    sep = np.asarray(out.separated)
    assert sep.mean() > 0.025 and not np.asarray(out.converged)[sep].any()
    assert out.dropped()["separated"] == sep.sum()


def test_bootstrap_errors(key, tumour) -> None:
    x, y = tumour
    x6 = np.arange(6.0)
    with pytest.raises(ValueError, match="n_resamples: expected a positive integer"):
        jaxnn.bootstrap_logistic(key, x, y, n_resamples=0)
    with pytest.raises(ValueError, match="n_resamples: expected a positive integer"):
        jaxnn.bootstrap_logistic(key, x, y, n_resamples=True)
    with pytest.raises(ValueError, match=r"y: expected labels 0 or 1, got 2.0 at"):
        jaxnn.bootstrap_logistic(key, x6, np.array([0.0, 1, 2, 1, 0, 1]), n_resamples=4)
    with pytest.raises(jaxnn.SeparationError):
        jaxnn.bootstrap_logistic(key, x6, np.array([0.0, 0, 0, 1, 1, 1]), n_resamples=4)
    with pytest.raises(TypeError, match=r"key: expected a PRNG key such as"):
        jaxnn.bootstrap_logistic(0, x, y, n_resamples=4)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"traced arguments.*jaxnn.logistic_mle"):
        jax.jit(lambda k: jaxnn.bootstrap_logistic(k, x, y, n_resamples=4))(key)
    with pytest.raises(ValueError, match="level"):
        LogisticBootstrap(*(jnp.zeros(2),) * 7).bias_ci(level=0.0)
