# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Additions to :mod:`numpyro.infer`: :class:`~numpyro_mixsupport.infer.reparam.UnconstrainedReparam`."""
