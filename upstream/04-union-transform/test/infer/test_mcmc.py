import numpy as np

from jax import random
import jax.numpy as jnp

import numpyro
from numpyro.diagnostics import effective_sample_size
import numpyro.distributions as dist
from numpyro.distributions import constraints
from numpyro.infer import MCMC, NUTS


def test_nuts_union_of_disjoint_intervals():
    # mass 0.3 uniformly on (0, 1) and 0.7 uniformly on (2, 3): in the
    # unconstrained space the two pieces sit side by side, so NUTS moves
    # between them and finds their masses
    support = constraints.union(
        constraints.interval(0.0, 1.0), constraints.interval(2.0, 3.0)
    )

    def model():
        x = numpyro.sample("x", dist.ImproperUniform(support, (), ()))
        numpyro.factor("mass", jnp.where(x < 1.5, jnp.log(0.3), jnp.log(0.7)))

    mcmc = MCMC(NUTS(model), num_warmup=500, num_samples=1000, progress_bar=False)
    mcmc.run(random.key(0))
    x = np.asarray(mcmc.get_samples()["x"])
    assert support(x).all()
    upper = (x > 1.5).astype(float)
    assert (upper[1:] != upper[:-1]).sum() > 50
    ess = effective_sample_size(upper[None])
    assert abs(upper.mean() - 0.7) < 4 * np.sqrt(0.7 * 0.3 / ess)
