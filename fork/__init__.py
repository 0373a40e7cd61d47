# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Developer tooling: the fork of NumPyro built from the patch modules.

:mod:`fork.splice` splices patch modules, statement edits and tests into
NumPyro's sources; :mod:`fork.series` cuts the work into an ordered series of
pull requests and commits it as a git branch; :mod:`fork.build` builds the
patched wheel from NumPyro's pinned release; :mod:`fork.harness` runs NumPyro's
tests in fresh environments. ``python -m fork --help`` lists the commands.
"""
