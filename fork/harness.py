# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Fresh virtual environments and pytest runs, with counts side by side.

NumPyro's tests run from a NumPyro tree (the fork branch's, or master's) under
that tree's own pytest configuration and root ``test/conftest.py``, against the
NumPyro installed in the environment (the tree's own ``numpyro`` is not on the
path: the run happens in a copy of ``test/`` and the configuration files).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
import importlib.metadata
import os
from pathlib import Path
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

#: Versions taken from this interpreter's environment, so that every test
#: environment runs the same stack but for NumPyro.
PINNED_FROM_HERE = (
    "jax",
    "jaxlib",
    "numpy",
    "scipy",
    "pytest",
    "pytest-xdist",
    "funsor",
    "flax",
    "optax",
)
#: What NumPyro's tests import beyond NumPyro and its requirements.
TEST_REQUIREMENTS = ("pytest", "pytest-xdist", "scipy", "funsor", "flax", "optax")
#: And what the rest of NumPyro's ``test/`` imports, from NumPyro's ``dev``
#: dependency group (the tests that need them fail or skip without them).
FULL_TEST_REQUIREMENTS = (
    *TEST_REQUIREMENTS,
    "equinox",
    "graphviz",
    "pyro-api",
    "scikit-learn",
    "tfp-nightly",
)


def run(cmd: Sequence[str], **kwargs) -> subprocess.CompletedProcess:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run(cmd, check=True, **kwargs)


def pins() -> list[str]:
    """``name==version`` of the pinned packages this interpreter has."""
    found = []
    for name in PINNED_FROM_HERE:
        try:
            found.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    return found


def make_venv(path: Path, packages: Sequence[str], build: Path) -> Path:
    """A fresh virtual environment with ``packages`` and the pinned stack;
    returns its interpreter."""
    if path.exists():
        shutil.rmtree(path)
    constraints = build / "test-constraints.txt"
    constraints.parent.mkdir(parents=True, exist_ok=True)
    constraints.write_text("\n".join(pins()) + "\n")
    run([sys.executable, "-m", "venv", str(path)])
    python = path / "bin" / "python"
    run([str(python), "-m", "pip", "install", "-q", "-c", str(constraints), *packages])
    return python


def which_numpyro(python: Path, cwd: Path) -> str:
    result = subprocess.run(
        [str(python), "-c", "import numpyro; print(numpyro.__version__, numpyro.__file__)"],
        cwd=cwd, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return result.stdout.strip()


def test_folder(tree: Path, dest: Path) -> Path:
    """A folder with ``tree``'s tests and pytest configuration but not its
    sources, where ``import numpyro`` is the installed one."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copytree(tree / "test", dest / "test")
    for name in ("pyproject.toml", "setup.cfg", "pytest.ini", "conftest.py"):
        if (tree / name).exists():
            shutil.copyfile(tree / name, dest / name)
    return dest


@dataclass
class Counts:
    """Outcome counts of one pytest run."""

    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    xfailed: int = 0
    exit_code: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


def junit_counts(path: Path, module: str | None = None) -> Counts:
    """Counts from a pytest JUnit XML report, of one test module if given
    (dotted, ``test.test_constraints``)."""
    counts = Counts()
    if not path.exists():
        return counts
    for case in ET.parse(path).getroot().iter("testcase"):
        # a module that fails to import has its dotted path as the name
        classname = case.get("classname") or case.get("name") or ""
        if module and not (classname == module or classname.startswith(module + ".")):
            continue
        name = f"{classname}::{case.get('name')}"
        tags = {child.tag: child for child in case}
        if "failure" in tags:
            counts.failed += 1
            counts.failures.append(name)
        elif "error" in tags:
            counts.errors += 1
            counts.failures.append(name)
        elif "skipped" in tags:
            if tags["skipped"].get("type") == "pytest.xfail":
                counts.xfailed += 1
            else:
                counts.skipped += 1
        else:
            counts.passed += 1
    return counts


def _child_environ(env: dict | None = None) -> dict:
    # this environment for another interpreter, without a PYTHONPATH that would
    # import the wrong numpyro, and with ``env`` on top
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    environ.update(env or {})
    return environ


def run_pytest(
    python: Path,
    cwd: Path,
    args: Sequence[str],
    report: Path,
    workers: str = "2",
    env: dict | None = None,
) -> tuple[int, float]:
    """Run pytest in ``cwd`` with another interpreter, writing a JUnit XML
    report; returns the exit status and the seconds it took."""
    cmd = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider",
           "--durations=15", "--junitxml", str(report), "-n", workers, *args]  # fmt: skip
    start = time.monotonic()
    print("+ (cd", cwd, "&&", " ".join(cmd), ")", flush=True)
    environ = _child_environ(env)
    # the output goes beside the report, to follow a long run
    log = report.with_suffix(".log")
    with open(log, "w") as out:
        result = subprocess.run(
            cmd, cwd=cwd, env=environ, stdout=out, stderr=subprocess.STDOUT
        )
    seconds = time.monotonic() - start
    text = log.read_text()
    print("\n".join(text.splitlines()[-2:]), flush=True)
    if result.returncode not in (0, 1, 5):
        print(text[-8000:])
    return result.returncode, seconds


def collected(python: Path, cwd: Path, paths: Sequence[str]) -> set[str]:
    """The node ids pytest collects in ``cwd`` from ``paths`` (test files), with
    the project's ``addopts`` set aside; the ids of parametrized tests name
    their parameters, which differ between trees where cases were added."""
    cmd = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o",
           "addopts=", "--color=no", "--collect-only",
           "--continue-on-collection-errors", *paths]  # fmt: skip
    result = subprocess.run(
        cmd, cwd=cwd, env=_child_environ(), capture_output=True, text=True
    )
    return {line.strip() for line in result.stdout.splitlines() if "::" in line}


def junit_ids(path: Path) -> list[str]:
    """pytest node ids (``test/test_x.py::test_name[param]``) of a JUnit report's
    failed or errored test cases."""
    ids = []
    if not path.exists():
        return ids
    for case in ET.parse(path).getroot().iter("testcase"):
        if any(child.tag in ("failure", "error") for child in case):
            ids.append(node_id(case.get("classname") or "", case.get("name") or ""))
    return ids


def node_id(classname: str, name: str) -> str:
    """The pytest node id of a JUnit test case (``test.infer.test_mcmc`` and
    ``test_x[a]`` give ``test/infer/test_mcmc.py::test_x[a]``; a class in the
    classname stays a ``::`` part). A module that fails to import has an empty
    classname and its dotted path as the name, and gives the file's path."""
    if not classname:
        return name.replace(".", "/") + ".py"
    parts = classname.split(".")
    for i in range(len(parts), 0, -1):
        if parts[i - 1].startswith("test_"):
            path = "/".join(parts[:i]) + ".py"
            rest = parts[i:]
            return "::".join([path, *rest, name])
    return f"{classname}::{name}"


def format_table(results: dict[str, dict[str, Counts]], times: dict[str, float]) -> str:
    """Pass/fail/skip counts of each test file, fork beside stock, and the
    totals with the time the pytest runs took."""

    def cell(c: "Counts | None") -> str:
        if c is None:
            return "not run"
        text = f"{c.passed}/{c.failed + c.errors}/{c.skipped + c.xfailed}"
        return text + (f" rc={c.exit_code}" if c.exit_code not in (0, 1) else "")

    totals = {}
    for label in ("fork", "stock"):
        total = Counts()
        for by_env in results.values():
            c = by_env.get(label)
            if c is None:
                continue
            total.passed += c.passed
            total.failed += c.failed
            total.errors += c.errors
            total.skipped += c.skipped
            total.xfailed += c.xfailed
        total.seconds = times.get(label, 0.0)
        totals[label] = total
    width = max([len(s) for s in results] + [24])
    lines = [
        f"{'pass/fail/skip':<{width}}  {'fork':>14}  {'stock':>14}",
        *(
            f"{row:<{width}}  {cell(e.get('fork')):>14}  {cell(e.get('stock')):>14}"
            for row, e in results.items()
        ),
        f"{'total':<{width}}  {cell(totals['fork']):>14}  {cell(totals['stock']):>14}",
        f"{'pytest time (s)':<{width}}  {totals['fork'].seconds:>14.0f}  "
        f"{totals['stock'].seconds:>14.0f}",
    ]
    return "\n".join(lines)
