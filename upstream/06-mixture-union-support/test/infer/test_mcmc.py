import numpy as np

from jax import random
import jax.numpy as jnp

import numpyro
from numpyro.diagnostics import effective_sample_size
import numpyro.distributions as dist
from numpyro.infer import MCMC, NUTS


def test_nuts_mixture_disjoint_supports():
    # the support of the mixture is the union of (0, 1) and (2, 3), and NUTS
    # finds the mass of each component
    def model():
        numpyro.sample(
            "x",
            dist.MixtureGeneral(
                dist.Categorical(probs=jnp.array([0.3, 0.7])),
                [dist.Uniform(0.0, 1.0), dist.Uniform(2.0, 3.0)],
            ),
        )

    mcmc = MCMC(NUTS(model), num_warmup=500, num_samples=1000, progress_bar=False)
    mcmc.run(random.key(0))
    x = np.asarray(mcmc.get_samples()["x"])
    assert (((x > 0) & (x < 1)) | ((x > 2) & (x < 3))).all()
    upper = (x > 2).astype(float)
    ess = effective_sample_size(upper[None])
    assert abs(upper.mean() - 0.7) < 4 * np.sqrt(0.7 * 0.3 / ess)


def test_nuts_mixture_moving_supports():
    # the supports of the components move with b: E[x] = 1.875
    def model():
        b = numpyro.sample("b", dist.Uniform(1.0, 2.0))
        numpyro.sample(
            "x",
            dist.MixtureGeneral(
                dist.Categorical(probs=jnp.array([0.5, 0.5])),
                [dist.Uniform(0.0, b), dist.Uniform(b + 1.0, b + 2.0)],
            ),
        )

    mcmc = MCMC(NUTS(model), num_warmup=500, num_samples=1000, progress_bar=False)
    mcmc.run(random.key(0))
    samples = mcmc.get_samples()
    x, b = np.asarray(samples["x"]), np.asarray(samples["b"])
    assert (((x >= 0) & (x <= b)) | ((x >= b + 1) & (x <= b + 2))).all()
    ess = effective_sample_size(x[None])
    assert abs(x.mean() - 1.875) < 4 * x.std() / np.sqrt(ess)
