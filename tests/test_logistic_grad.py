"""Derivatives of the maximum-likelihood estimate through ``logistic_mle``.

The estimate is differentiated implicitly, at the optimum, never through the
solver's loop. References: central finite differences in float64 (step
1e-6, so their own error is about 1e-10), and two closed forms from
statsmodels' fit: the influence of a row's weight, ``d theta / d c_i =
cov @ a_i (y_i - p_i)``, and the derivative in the ridge penalty at 0,
``d theta / d l2 = -cov @ [w, 0]``.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import statsmodels.api as sm

import jaxnn


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    n, d = 60, 2
    x = rng.normal(size=(n, d))
    eta = x @ np.array([1.0, -0.5]) + 0.2
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(np.float64)
    c = rng.integers(1, 3, n).astype(np.float64)
    return x, y, c


def _outputs(x, y, c, l2):
    """Every data-dependent field of the fit, as one vector."""
    f = jaxnn.logistic_mle(x, y, weights=c, l2=l2)
    return jnp.concatenate(
        [
            f.weight,
            f.bias[None],
            f.weight_stderr,
            f.bias_stderr[None],
            f.log_likelihood[None],
        ]
    )


@pytest.mark.slow
def test_jvp_jacrev_jacfwd_match_finite_differences(data) -> None:
    """With respect to x, y, weights and l2, along random directions."""
    x, y, c = data
    rng = np.random.default_rng(0)
    with jax.enable_x64(True):
        args = tuple(jnp.asarray(a) for a in (x, y, c, 0.3))
        dirs = tuple(jnp.asarray(rng.normal(size=np.shape(a))) for a in args)
        out = jax.jit(_outputs)
        rev = jax.jit(jax.jacrev(_outputs, argnums=(0, 1, 2, 3)))(*args)
        fwd = jax.jit(jax.jacfwd(_outputs, argnums=(0, 1, 2, 3)))(*args)
        h = 1e-6
        for i, name in enumerate(["x", "y", "weights", "l2"]):
            plus = [
                a + h * v if k == i else a
                for k, (a, v) in enumerate(zip(args, dirs, strict=True))
            ]
            minus = [
                a - h * v if k == i else a
                for k, (a, v) in enumerate(zip(args, dirs, strict=True))
            ]
            fd = np.asarray((out(*plus) - out(*minus)) / (2 * h))
            tangents = [v if k == i else jnp.zeros_like(v) for k, v in enumerate(dirs)]
            _, jvp = jax.jvp(out, args, tuple(tangents))
            nd = np.ndim(dirs[i])
            for got in (
                jvp,
                jnp.tensordot(rev[i], dirs[i], nd),
                jnp.tensordot(fwd[i], dirs[i], nd),
            ):
                err = np.abs(np.asarray(got) - fd)
                assert np.all(err < 1e-6 * (1 + np.abs(fd))), (name, err)


def test_row_influence_matches_the_closed_form(data) -> None:
    """d (w, b) / d c_i = cov @ a_i (y_i - p_i): statsmodels' cov and p."""
    x, y, c = data
    ref = sm.GLM(
        y, sm.add_constant(x), family=sm.families.Binomial(), freq_weights=c
    ).fit(tol=1e-14)
    a = sm.add_constant(x)
    p = 1 / (1 + np.exp(-(a @ ref.params)))
    expected = ref.cov_params() @ (a * (y - p)[:, None]).T  # (3, n): b, w1, w2
    with jax.enable_x64(True):
        jac = jax.jacrev(
            lambda cc: _outputs(jnp.asarray(x), jnp.asarray(y), cc, 0.0)[:3]
        )(jnp.asarray(c))
    np.testing.assert_allclose(np.asarray(jac)[[2, 0, 1]], expected, atol=1e-9)


def test_ridge_derivative_at_zero_matches_the_closed_form(data) -> None:
    x, y, _ = data
    ref = sm.Logit(y, sm.add_constant(x)).fit(disp=0, tol=1e-14)
    w = ref.params[1:]
    expected = -ref.cov_params() @ np.r_[0.0, w]  # order b, w1, w2
    with jax.enable_x64(True):
        got = jax.jacfwd(
            lambda l2: _outputs(jnp.asarray(x), jnp.asarray(y), jnp.ones(len(y)), l2)
        )(0.0)[:3]
    np.testing.assert_allclose(np.asarray(got)[[2, 0, 1]], expected, atol=1e-10)


def test_grad_under_jit_and_vmap(data) -> None:
    """A hyperparameter sweep: d w_0 / d l2 for several l2 at once."""
    x, y, _ = data
    with jax.enable_x64(True):
        slope = jax.grad(lambda l2: jaxnn.logistic_mle(x, y, l2=l2).weight[0])
        l2s = jnp.array([0.1, 1.0, 10.0])
        batched = jax.jit(jax.vmap(slope))(l2s)
        for i, l2 in enumerate([0.1, 1.0, 10.0]):
            h = 1e-6
            fd = (
                jaxnn.logistic_mle(x, y, l2=l2 + h).weight[0]
                - jaxnn.logistic_mle(x, y, l2=l2 - h).weight[0]
            ) / (2 * h)
            assert abs(float(batched[i]) - float(fd)) < 1e-7
        # A larger penalty shrinks the weight.
        assert bool(jnp.all(batched < 0))


def test_float32_gradients_are_finite_and_close(data) -> None:
    x, y, _ = data
    g32 = jax.grad(lambda xx: jaxnn.logistic_mle(xx, y).weight[0])(
        jnp.asarray(x, jnp.float32)
    )
    with jax.enable_x64(True):
        g64 = jax.grad(lambda xx: jaxnn.logistic_mle(xx, y).weight[0])(jnp.asarray(x))
    assert g32.dtype == jnp.float32 and bool(jnp.all(jnp.isfinite(g32)))
    np.testing.assert_allclose(np.asarray(g32), np.asarray(g64), atol=1e-4)
