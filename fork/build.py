# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""NumPyro's pinned release and the patched wheel built from it.

The release is NumPyro 0.22.0's sdist from the package index, checked against
its published sha256. The fork wheel is that sdist with the whole series
applied and the local version label ``+mixsupport``, built twice with a fixed
``SOURCE_DATE_EPOCH`` to check that the build is reproducible.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
import hashlib
import importlib.metadata
import os
from pathlib import Path
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile

from fork.splice import UPSTREAM, Edit, ForkError, apply_edits

NUMPYRO_VERSION = "0.22.0"
#: sha256 of ``numpyro-0.22.0.tar.gz`` as published on PyPI.
SDIST_SHA256 = "d428b688f7c6d1f9089b730c242a3817452609e3672bd62bbc1b02ce17f069bb"
LOCAL_LABEL = "mixsupport"
FORK_VERSION = f"{NUMPYRO_VERSION}+{LOCAL_LABEL}"
WHEEL_NAME = f"numpyro-{FORK_VERSION}-py3-none-any.whl"


def read_version(tree: Path) -> str:
    """``__version__`` from ``numpyro/version.py``."""
    path = tree / UPSTREAM / "version.py"
    if not path.exists():
        raise ForkError(f"{path}: missing; {tree} is not a NumPyro source tree")
    for node in ast.parse(path.read_text()).body:
        if (
            isinstance(node, ast.Assign)
            and any(getattr(t, "id", None) == "__version__" for t in node.targets)
            and isinstance(node.value, ast.Constant)
        ):
            return str(node.value.value)
    raise ForkError(f"{path}: no __version__ assignment")


def set_version(tree: Path, version: str) -> None:
    """Set ``__version__`` in ``numpyro/version.py``."""
    path = tree / UPSTREAM / "version.py"
    source = path.read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(
            getattr(t, "id", None) == "__version__" for t in node.targets
        ):
            path.write_text(
                apply_edits(
                    source,
                    [
                        Edit(
                            node.lineno, node.end_lineno, f'__version__ = "{version}"\n'
                        )
                    ],
                )
            )
            return
    raise ForkError(f"{path}: no __version__ assignment")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_sdist(build: Path, sdist: Path | None = None) -> Path:
    """The pinned sdist, downloaded with pip unless given, hash checked."""
    download = build / "download"
    if sdist is None:
        sdist = download / f"numpyro-{NUMPYRO_VERSION}.tar.gz"
        if not sdist.exists() or sha256(sdist) != SDIST_SHA256:
            download.mkdir(parents=True, exist_ok=True)
            _run(
                [
                    sys.executable, "-m", "pip", "download", "--no-deps",
                    "--no-binary", ":all:", f"numpyro=={NUMPYRO_VERSION}",
                    "-d", str(download),
                ]
            )  # fmt: skip
    digest = sha256(sdist)
    if digest != SDIST_SHA256:
        raise ForkError(
            f"{sdist}: sha256 {digest}, expected {SDIST_SHA256} for NumPyro "
            f"{NUMPYRO_VERSION}"
        )
    return sdist


def unpack_sdist(sdist: Path, dest: Path) -> int:
    """Unpack the sdist's top folder to ``dest``; returns its PKG-INFO mtime."""
    if dest.exists():
        shutil.rmtree(dest)
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(sdist) as tar:
        top = f"numpyro-{NUMPYRO_VERSION}"
        tar.extractall(tmp, filter="data")
        shutil.move(os.path.join(tmp, top), dest)
        return int(tar.getmember(f"{top}/PKG-INFO").mtime)


def _run(cmd: Sequence[str], **kwargs) -> subprocess.CompletedProcess:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run(cmd, check=True, **kwargs)


def _can_build_without_isolation() -> bool:
    try:
        setuptools_version = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        return False
    major, minor = (int(x) for x in setuptools_version.split(".")[:2])
    if (major, minor) >= (70, 1):
        return True
    try:
        importlib.metadata.version("wheel")
    except importlib.metadata.PackageNotFoundError:
        return False
    return major >= 61


def build_wheel(tree: Path, out_dir: Path, epoch: int) -> Path:
    """Build the tree's wheel into ``out_dir`` with a fixed ``SOURCE_DATE_EPOCH``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(epoch), PYTHONHASHSEED="0")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out_dir)]
    if _can_build_without_isolation():
        cmd.append("--no-build-isolation")
    _run([*cmd, str(tree)], env=env)
    wheels = sorted(out_dir.glob("numpyro-*.whl"))
    if len(wheels) != 1:
        raise ForkError(f"{out_dir}: expected one wheel, found {wheels}")
    return wheels[0]


def wheel_manifest(path: Path) -> dict[str, str]:
    """File name -> sha256 of the content, for each file of a wheel."""
    with zipfile.ZipFile(path) as archive:
        return {
            info.filename: hashlib.sha256(archive.read(info)).hexdigest()
            for info in archive.infolist()
        }


def compare_wheels(a: Path, b: Path) -> list[str]:
    """Differences between two wheels' file lists and contents ([] if none)."""
    ma, mb = wheel_manifest(a), wheel_manifest(b)
    problems = [f"only in {a.name}: {n}" for n in sorted(ma.keys() - mb.keys())]
    problems += [f"only in {b.name}: {n}" for n in sorted(mb.keys() - ma.keys())]
    problems += [
        f"differs: {n}" for n in sorted(ma.keys() & mb.keys()) if ma[n] != mb[n]
    ]
    if list(ma) != list(mb) and not problems:
        problems.append("same files in a different order")
    return problems


def git_diff(old: Path, new: Path, files: Sequence[str]) -> str:
    """A ``git diff`` (a/ b/ prefixes) of ``files`` between two trees."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for side, tree in (("a", old), ("b", new)):
            (root / side).mkdir()
            for rel in files:
                src = tree / rel
                if src.exists():
                    (root / side / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(src, root / side / rel)
        result = subprocess.run(
            [
                "git", "-c", "core.quotepath=false", "-c", "diff.noprefix=false",
                "-c", "diff.mnemonicprefix=false", "-c", "diff.relative=false",
                "diff", "--no-index", "--no-color", "--no-ext-diff", "--binary",
                "--src-prefix=", "--dst-prefix=", "--full-index", "a", "b",
            ],
            cwd=root,
            capture_output=True,
            text=True,
        )  # fmt: skip
        if result.returncode not in (0, 1):
            raise ForkError(f"git diff failed: {result.stderr}")
        # With empty prefixes, git names a new file "b/x b/x" in the header.
        lines = result.stdout.splitlines(keepends=True)
        for index, line in enumerate(lines[:-1]):
            if line.startswith("diff --git b/") and lines[index + 1].startswith(
                "new file mode"
            ):
                lines[index] = "diff --git a/" + line[len("diff --git b/") :]
        return "".join(lines)


def git_apply_check(tree: Path, patch: Path) -> None:
    """``git apply --check`` the patch on a tree; raises if it does not apply."""
    result = subprocess.run(
        ["git", "apply", "--check", "--verbose", str(patch.resolve())],
        cwd=tree,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise ForkError(f"git apply --check failed on {tree}:\n{result.stderr}")


def _copy_source_tree(src: Path, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(
        src,
        dest,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git", "__pycache__", "*.egg-info", "build", "dist"
        ),
    )
