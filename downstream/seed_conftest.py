# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Copied as ``conftest.py`` beside a downstream project's tests: seeds NumPy's
global generator before each test module is imported, so that parameters drawn
at import time (gwkokab's test_transformations.py draws them unseeded) are the
same in every pytest-xdist worker and in both environments; the test ids of
stock and the fork then match one for one."""

import numpy as np
import pytest


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    if isinstance(collector, pytest.Module):
        np.random.seed(0)
    return (yield)
