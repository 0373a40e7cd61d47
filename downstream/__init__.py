# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Developer tooling, not part of the package: real users' code run on stock
NumPyro and on the fork side by side (``make downstream``). See
``harness.py``."""
