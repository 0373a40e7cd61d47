import numpyro.distributions as dist
from numpyro.distributions import constraints
from numpyro.distributions.batch_util import vmap_over


class _NormalLogNormalMixture(dist.MixtureGeneral):
    # components with different supports: the LogNormal's density is zero, and
    # its gradients are zero, for negative values
    arg_constraints = {
        "mixing_probs": constraints.simplex,
        "loc": constraints.real,
        "scale": constraints.positive,
    }
    pytree_data_fields = ()
    reparametrized_params = []

    def __init__(self, mixing_probs, loc, scale, *, validate_args=None):
        super().__init__(
            dist.Categorical(probs=mixing_probs),
            [dist.Normal(loc, scale), dist.LogNormal(loc, scale)],
            validate_args=validate_args,
        )

    @property
    def mixing_probs(self):
        return self.mixing_distribution.probs

    @property
    def loc(self):
        return self.component_distributions[0].loc

    @property
    def scale(self):
        return self.component_distributions[0].scale


@vmap_over.register
def _vmap_over_normal_log_normal_mixture(
    self: _NormalLogNormalMixture, loc=None, scale=None
):
    component_distributions = [
        vmap_over(d, loc=loc, scale=scale) for d in self.component_distributions
    ]
    return vmap_over.dispatch(dist.MixtureGeneral)(
        self, _component_distributions=component_distributions
    )
