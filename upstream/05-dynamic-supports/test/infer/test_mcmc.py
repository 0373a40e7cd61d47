import numpy as np

from jax import random
import jax.numpy as jnp

import numpyro
from numpyro.diagnostics import effective_sample_size
import numpyro.distributions as dist
from numpyro.distributions import constraints
from numpyro.infer import MCMC, NUTS


def test_nuts_moving_union_support():
    # b ~ Uniform(1, 2) and, given b, x ~ 0.5 Uniform(0, b) + 0.5 Uniform(b + 1, b + 2),
    # so that E[x] = 0.5 E[b] / 2 + 0.5 (E[b] + 1.5) = 1.875
    def model():
        b = numpyro.sample("b", dist.Uniform(1.0, 2.0))
        support = constraints.union(
            constraints.interval(0.0, b), constraints.interval(b + 1.0, b + 2.0)
        )
        x = numpyro.sample("x", dist.ImproperUniform(support, (), ()))
        numpyro.factor("x_density", jnp.where(x <= b, jnp.log(0.5 / b), jnp.log(0.5)))

    mcmc = MCMC(NUTS(model), num_warmup=500, num_samples=1000, progress_bar=False)
    mcmc.run(random.key(0))
    samples = mcmc.get_samples()
    x, b = np.asarray(samples["x"]), np.asarray(samples["b"])
    # each draw of x lies in the support given by its own draw of b
    assert (((x >= 0) & (x <= b)) | ((x >= b + 1) & (x <= b + 2))).all()
    ess = effective_sample_size(x[None])
    assert abs(x.mean() - 1.875) < 4 * x.std() / np.sqrt(ess)
