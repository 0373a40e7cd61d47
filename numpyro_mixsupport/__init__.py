# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Mixtures of components with different supports for NumPyro.

``import numpyro_mixsupport.distributions as dist`` is a drop-in replacement
for ``numpyro.distributions``.
"""

__version__ = "0.1.0.dev0"
