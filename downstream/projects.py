# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""The downstream projects the harness runs, and how each is installed."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Pinned:
    """A source distribution from the package index, checked by its sha256."""

    name: str
    version: str
    sha256: str

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version} --hash=sha256:{self.sha256}"


@dataclass(frozen=True)
class TestFile:
    """One of the project's test files; ``quick_deselect`` are node ids left out
    unless the full run is asked for."""

    path: str
    quick_deselect: tuple[str, ...] = ()
    why: str = ""


@dataclass(frozen=True)
class Project:
    name: str
    #: the project's sdist: it holds its tests
    sdist: Pinned
    #: what the modules under test import, installed with their dependencies
    requirements: tuple[str, ...]
    #: installed without dependencies (their own requirements are not imported)
    no_deps: tuple[Pinned, ...] = ()
    #: requirement -> why it is not installed
    not_installed: dict[str, str] = field(default_factory=dict)
    #: modules replaced by a stub, with why (none so far)
    stubs: dict[str, str] = field(default_factory=dict)
    tests: tuple[TestFile, ...] = ()
    #: the probe script in this folder, run in both environments
    probe: str | None = None


def _npmg_gradient(i: int) -> str:
    return f"tests/test_distributions.py::test_log_prob_gradient[NPowerlawMGaussian-params{i}]"


# gwkokab's test_distributions.py checks the gradient of NPowerlawMGaussian
# against finite differences, eagerly, for 25 configurations: two thirds of the
# file's time. The quick run keeps, for each of the five feature groups
# (masses; spin; tilt; eccentricity; all), the (1 power law, 1 Gaussian) and
# (2, 2) mixtures: parameter sets 10, 12, 15, 17, 20, 22, 25, 27, 30, 32.
_QUICK_KEPT = {10, 12, 15, 17, 20, 22, 25, 27, 30, 32}

GWKOKAB = Project(
    name="gwkokab",
    sdist=Pinned(
        "gwkokab",
        "0.3.1",
        "84df0f48f0f1a36a22a8dedf43e48ee897650399ef779835fb867f0c9dfe201e",
    ),
    # The third-party imports of `import gwkokab` (which imports every
    # subpackage but gwkokab.analysis) and of its tests.
    requirements=(
        "equinox",
        "jaxtyping",
        "quadax",
        "loguru",
        "h5py",
        "matplotlib",
        "optax<0.2.7",
        "pandas",
        "tqdm",
        # RIFT.lalsimutils, imported by gwkokab.errors, imports these
        "six",
        "igwn-ligolw",
        "lalsuite",
        # gwkokab's test requirement (BetaFromMeanVar's cdf and icdf); the
        # tensorflow-probability release does not import with JAX 0.10
        "tfp-nightly==0.26.0.dev20261027",
    ),
    no_deps=(
        Pinned(
            "RIFT",
            "0.0.17.13",
            "865c6eab6c2738f93bc2ba10b278dc3e8ec554c3eec00fc9c10fc6bf59ae7c28",
        ),
    ),
    not_installed={
        "flowMC==0.4.5": "imported by gwkokab.analysis only (the flowMC samplers)",
        "jenkspy==0.4.1": "imported by gwkokab.analysis only",
        "pydantic": "imported by gwkokab.analysis only",
        "papermill, nbconvert": "gwkokab.analysis.report only",
        "glasbey": "imported inside a plotting function of gwkokab.utils.train",
        "arviz, chex, corner, mplcursors, plotly, rich, seaborn": (
            "not imported by gwkokab's models, utils or tests"
        ),
        "astropy": "in gwkokab's test requirements, not imported by its tests",
        "RIFT's own requirements (numba, gwpy, htcondor, ...)": (
            "not imported by RIFT.lalsimutils"
        ),
    },
    tests=(
        TestFile(
            "tests/test_distributions.py",
            tuple(_npmg_gradient(i) for i in range(8, 33) if i not in _QUICK_KEPT),
            "15 of the 25 NPowerlawMGaussian finite-difference gradient checks are "
            "left out of the quick run (the downstream model comparison checks those "
            "gradients with jax.grad on stock and the fork)",
        ),
        TestFile("tests/test_distributions_mixture.py"),
        TestFile("tests/test_constraints.py"),
        TestFile("tests/test_model_transformations.py"),
        TestFile("tests/test_transformations.py"),
    ),
    probe="gwkokab_probe.py",
)

PROJECTS = {"gwkokab": GWKOKAB}
