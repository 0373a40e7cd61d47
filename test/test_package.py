# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""The package shape only: the drop-in namespace beside an untouched NumPyro."""

import numpyro.distributions as numpyro_dist
import numpyro_mixsupport.distributions as dist
from numpyro_mixsupport.distributions import constraints

C = constraints


def test_drop_in_namespace_exports_numpyro_names():
    for name in numpyro_dist.__all__:
        assert hasattr(dist, name), name
    upstream = numpyro_dist.constraints
    for name, value in vars(upstream).items():
        defined_there = getattr(value, "__module__", None) == upstream.__name__
        if not name.startswith("_") and (
            defined_there or isinstance(value, C.Constraint)
        ):
            assert getattr(constraints, name) is value, name
    assert "union" in constraints.__all__
    assert set(numpyro_dist.constraints.__all__) < set(constraints.__all__)
    # Singletons are NumPyro's own objects.
    assert constraints.real is numpyro_dist.constraints.real
    assert dist.transforms.biject_to is numpyro_dist.transforms.biject_to


def test_numpyro_modules_are_not_modified():
    assert not hasattr(numpyro_dist.constraints, "union")
    assert not hasattr(numpyro_dist.transforms, "IntervalUnionTransform")


def test_patched_names_replace_numpyro_ones_in_the_namespace():
    assert dist.MixtureGeneral is not numpyro_dist.MixtureGeneral
    assert dist.Mixture is not numpyro_dist.Mixture
    assert dist.constraints is not numpyro_dist.constraints
    for name in [
        "DoublyTruncatedPowerLaw",
        "LeftTruncatedDistribution",
        "RightTruncatedDistribution",
        "TwoSidedTruncatedDistribution",
        "TruncatedNormal",
    ]:
        assert getattr(dist, name) is not getattr(numpyro_dist, name)
