# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Drop-in replacement for :mod:`numpyro.distributions`.

Everything :mod:`numpyro.distributions` exports, with the
:func:`~numpyro_mixsupport.distributions.constraints.union` constraint, its
``biject_to`` transform and the patched distributions. NumPyro's own modules are
left untouched.
"""

from numpyro.distributions import *  # noqa: F403
from numpyro.distributions import (
    __all__ as _numpyro_all,
    censored,  # noqa: F401
    conjugate,  # noqa: F401
    continuous,  # noqa: F401
    copula,  # noqa: F401
    directional,  # noqa: F401
    discrete,  # noqa: F401
    distribution,  # noqa: F401
    flows,  # noqa: F401
    kl,  # noqa: F401
    util,  # noqa: F401
)

# Loading a submodule rebinds the package attribute that the star import set.
import numpyro_mixsupport.distributions.batch_util  # noqa: F401
import numpyro_mixsupport.distributions.constraints as constraints  # noqa: F401
from numpyro_mixsupport.distributions.mixtures import Mixture, MixtureGeneral  # noqa: F401
import numpyro_mixsupport.distributions.transforms as transforms  # noqa: F401
from numpyro_mixsupport.distributions.transforms import (
    IntervalUnionTransform,
    biject_to,  # noqa: F401
)
from numpyro_mixsupport.distributions.truncated import (  # noqa: F401
    DoublyTruncatedPowerLaw,
    LeftTruncatedDistribution,
    RightTruncatedDistribution,
    TruncatedCauchy,
    TruncatedDistribution,
    TruncatedNormal,
    TwoSidedTruncatedDistribution,
)

__all__ = [*_numpyro_all, "IntervalUnionTransform"]

# Refuse latent unions whose draws NumPyro 0.22's inference would build wrongly.
import numpyro_mixsupport.infer._guard  # noqa: E402, F401
