# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Inference utilities: which supports make NumPyro replay the model.

Patch module for ``numpyro/infer/util.py``. In the fork the test of
``_is_dynamic_support`` replaces NumPyro's, which recognises only
``greater_than`` and ``interval`` supports and takes NumPy arrays for bounds
that may move.
"""

import jax

from numpyro.distributions.constraints import Constraint

__all__ = []


def _is_dynamic_support(support: Constraint) -> bool:
    """
    Whether a bound of ``support`` is a JAX array: such a bound may depend on
    other latent sites, so the transform of the site must be rebuilt from the
    model when its samples are constrained. Python scalars and NumPy arrays are
    constants.
    """
    try:
        leaves = jax.tree.leaves(support)
    except (NotImplementedError, TypeError, ValueError):
        # a constraint that is not a pytree, or whose ``tree_flatten`` does not
        # give its children as a sequence (``BijectorConstraint`` of
        # ``numpyro.contrib.tfp`` gives a TFP bijector): no bounds that can be
        # read
        return False
    return any(isinstance(leaf, jax.Array) for leaf in leaves)
