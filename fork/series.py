# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""The upstream work as an ordered series of pull requests.

Each folder ``upstream/NN-slug/`` is one pull request: ``pr.toml`` says which
definitions of the patch modules it carries, which statements of NumPyro's code
it edits and which entries it adds to NumPyro's parametrized test tables; its
``test/...`` files are snippets for NumPyro's test files of the same path; its
description is ``docs/upstream/NN-slug.md``. Every definition of the patch
modules is carried by exactly one pull request. Applied in order, each on the
one before, they give NumPyro with the whole patch; :func:`write_branch` makes
that a git branch with one commit per pull request.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
import os
from pathlib import Path
import re
import shutil
import subprocess
import sys
from typing import Any

from fork.splice import (
    PACKAGE,
    UPSTREAM,
    ForkError,
    PatchModule,
    StatementEdit,
    add_doc_entries,
    edit_statements,
    export_names,
    extend_table,
    merge_test_file,
    package_extra_exports,
    parse_patch_module,
    ruff_fix_file,
    ruff_format_text,
    ruff_is_clean,
    splice,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO_ROOT = Path(__file__).resolve().parent.parent
SERIES_DIR = REPO_ROOT / "upstream"
DESCRIPTIONS_DIR = REPO_ROOT / "docs" / "upstream"
#: The packages whose modules are patch modules.
PATCH_PACKAGES = ("distributions", "infer")
#: Where NumPyro documents the names of each module.
DOC_FILES = {
    "numpyro.distributions": "docs/source/distributions.rst",
    "numpyro.infer.reparam": "docs/source/reparam.rst",
}
#: Author of the series' commits.
AUTHOR = ("numpyro-mixsupport", "numpyro-mixsupport@users.noreply.github.com")


@dataclass
class PullRequest:
    """One pull request of the series, read from ``upstream/NN-slug/pr.toml``."""

    slug: str
    title: str
    folder: Path
    carries: dict[str, list[str]]  # patch module path -> qualnames
    edits: list[StatementEdit] = field(default_factory=list)
    tables: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def description(self) -> Path:
        return DESCRIPTIONS_DIR / f"{self.slug}.md"

    def tests(self) -> list[Path]:
        """The test snippets, by their path in NumPyro's tree."""
        root = self.folder / "test"
        return sorted(p.relative_to(self.folder) for p in root.rglob("test_*.py"))


def load_series(root: Path = SERIES_DIR) -> list[PullRequest]:
    """The pull requests in order (by folder name)."""
    series = []
    for folder in sorted(p for p in root.iterdir() if (p / "pr.toml").exists()):
        data: dict[str, Any] = tomllib.loads((folder / "pr.toml").read_text())
        edits = [
            StatementEdit(
                file=e["file"],
                function=[e["function"]]
                if isinstance(e["function"], str)
                else e["function"],
                action=e["action"],
                start=e["start"],
                text=e["text"],
                end=e.get("end"),
                captures=e.get("captures", {}),
            )
            for e in data.get("edits", [])
        ]
        series.append(
            PullRequest(
                slug=folder.name,
                title=data["title"],
                folder=folder,
                carries={k: list(v) for k, v in data.get("carries", {}).items()},
                edits=edits,
                tables=data.get("tables", {}),
            )
        )
    return series


def patch_module_paths(root: Path = REPO_ROOT) -> list[Path]:
    """The patch modules: every public module of the patch packages."""
    paths = []
    for package in PATCH_PACKAGES:
        folder = root / PACKAGE / package
        paths.extend(
            p
            for p in sorted(folder.glob("*.py"))
            if p.name != "__init__.py" and not p.name.startswith("_")
        )
    return paths


def target_of(path: Path, root: Path = REPO_ROOT) -> tuple[str, str]:
    """``(dotted module, path in NumPyro's tree)`` of a patch module."""
    rel = path.relative_to(root / PACKAGE)
    module = ".".join((UPSTREAM, *rel.with_suffix("").parts))
    return module, str(Path(UPSTREAM) / rel)


def read_patch_modules(root: Path = REPO_ROOT) -> dict[str, PatchModule]:
    """Parsed patch modules by their path relative to ``root``."""
    modules = {}
    for path in patch_module_paths(root):
        module, _ = target_of(path, root)
        rel = str(path.relative_to(root))
        modules[rel] = parse_patch_module(path.read_text(), rel, module)
    return modules


def check_series(
    series: list[PullRequest], modules: dict[str, PatchModule]
) -> list[str]:
    """Problems with the series: a definition carried by no pull request or by
    several, a pull request carrying what no patch module defines, a missing
    description or test."""
    problems = []
    owner: dict[tuple[str, str], str] = {}
    for pr in series:
        if not pr.description.exists():
            problems.append(f"{pr.slug}: no description {pr.description}")
        if not pr.tests() and not pr.tables:
            problems.append(f"{pr.slug}: no tests")
        for path, names in pr.carries.items():
            if path not in modules:
                problems.append(f"{pr.slug}: carries from {path}, not a patch module")
                continue
            available = set(modules[path].qualnames())
            for name in names:
                if name not in available:
                    problems.append(f"{pr.slug}: {path} does not define {name}")
                elif (path, name) in owner:
                    problems.append(
                        f"{pr.slug}: {path}:{name} is carried by {owner[path, name]} too"
                    )
                else:
                    owner[path, name] = pr.slug
    for path, module in modules.items():
        for name in module.qualnames():
            if (path, name) not in owner:
                problems.append(f"{path}:{name} is carried by no pull request")
    return problems


def _format(path: Path, tree: Path, was_clean: bool) -> None:
    if was_clean:
        ruff_fix_file(path, tree)


def apply_pull_request(
    tree: Path,
    pr: PullRequest,
    modules: dict[str, PatchModule],
    root: Path = REPO_ROOT,
) -> list[str]:
    """Apply one pull request to a NumPyro tree in place; returns messages."""
    messages = []
    extra = set(
        package_extra_exports(
            (root / PACKAGE / "distributions" / "__init__.py").read_text()
        )
    )
    exports: dict[str, str] = {}
    docs: dict[str, list[tuple[str, str, str]]] = {}
    for rel, names in pr.carries.items():
        patch = modules[rel]
        module, target_rel = target_of(root / rel, root)
        target = tree / target_rel
        if not target.exists():
            raise ForkError(f"{target_rel}: missing; {rel} has no target module")
        clean = ruff_is_clean(target, tree)
        result = splice(
            patch,
            target.read_text(),
            target_module=module,
            target_path=target_rel,
            carried=names,
            formatter=lambda text, p=target: ruff_format_text(text, p, tree),
        )
        target.write_text(result.source)
        _format(target, tree, clean)
        messages.append(
            f"{target_rel}: replaced {', '.join(result.replaced) or '-'}; appended "
            f"{', '.join(result.appended) or '-'}"
        )
        for name in result.new_public:
            if name in extra:
                exports[name] = module
            kind = "class" if name[:1].isupper() else "function"
            doc_module = (
                ".".join(module.split(".")[:2])
                if module.startswith(f"{UPSTREAM}.distributions")
                else module
            )
            docs.setdefault(doc_module, []).append((module, name, kind))
    for edit in pr.edits:
        target = tree / edit.file
        clean = ruff_is_clean(target, tree)
        target.write_text(edit_statements(target.read_text(), edit))
        _format(target, tree, clean)
        messages.append(f"{edit.file}: {edit.action} at {edit.start!r}")
    if exports:
        init = tree / UPSTREAM / "distributions" / "__init__.py"
        clean = ruff_is_clean(init, tree)
        init.write_text(export_names(init.read_text(), exports, str(init)))
        _format(init, tree, clean)
        messages.append(
            f"{init.relative_to(tree)}: exports {', '.join(sorted(exports))}"
        )
    for doc_module, entries in docs.items():
        rst = DOC_FILES.get(doc_module)
        if rst and (tree / rst).exists():
            path = tree / rst
            path.write_text(add_doc_entries(path.read_text(), entries))
            messages.append(f"{rst}: documents {', '.join(e[1] for e in entries)}")
    if not (tree / "test").is_dir():
        # a tree without NumPyro's tests (an installed package): sources only
        return messages
    for rel in pr.tests():
        target = tree / rel
        snippet = (pr.folder / rel).read_text()
        tables = pr.tables.get(str(rel), {})
        early = {
            name: [
                table
                for table, entries in tables.items()
                if any(re.search(rf"\b{re.escape(name)}\b", e) for e in entries)
            ]
            for name in _defined(snippet)
        }
        early = {name: found for name, found in early.items() if found}
        if target.exists():
            target.write_text(
                merge_test_file(target.read_text(), snippet, str(rel), early)
            )
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(snippet)
        ruff_fix_file(target, tree)
        messages.append(f"{rel}: tests of {pr.slug}")
    for rel, tables in pr.tables.items():
        target = tree / rel
        source = target.read_text()
        for name, entries in tables.items():
            source = extend_table(source, name, entries, rel)
        target.write_text(source)
        ruff_fix_file(target, tree)
        messages.append(f"{rel}: table entries of {pr.slug}")
    return messages


def _defined(source: str) -> list[str]:
    return [name for node in ast.parse(source).body for name in _top_level_names(node)]


def _top_level_names(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    return []


def apply_series(
    tree: Path, series: list[PullRequest] | None = None, root: Path = REPO_ROOT
) -> list[str]:
    """Apply every pull request of the series to a NumPyro tree in place."""
    series = load_series() if series is None else series
    modules = read_patch_modules(root)
    problems = check_series(series, modules)
    if problems:
        raise ForkError("the series is incomplete:\n  " + "\n  ".join(problems))
    messages = []
    for pr in series:
        messages.extend(apply_pull_request(tree, pr, modules, root))
    return messages


def _git(cwd: Path, *args: str, env: dict | None = None) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env=env
    )
    if result.returncode != 0:
        raise ForkError(f"git {' '.join(args)} failed in {cwd}:\n{result.stderr}")
    return result.stdout


def _commit_env() -> dict:
    name, email = AUTHOR
    return dict(
        os.environ,
        GIT_AUTHOR_NAME=name,
        GIT_AUTHOR_EMAIL=email,
        GIT_COMMITTER_NAME=name,
        GIT_COMMITTER_EMAIL=email,
        GIT_AUTHOR_DATE="2026-12-01T00:00:00Z",
        GIT_COMMITTER_DATE="2026-12-01T00:00:00Z",
    )


def commit_message(pr: PullRequest) -> str:
    """The pull request's title and the first section of its description."""
    text = pr.description.read_text() if pr.description.exists() else ""
    paragraphs = [p for p in text.split("\n\n") if p.strip() and not p.startswith("#")]
    summary = paragraphs[0].strip() if paragraphs else ""
    return f"{pr.title}\n\n{summary}\n"


def write_branch(
    repo: Path,
    branch: str,
    series: list[PullRequest] | None = None,
    *,
    complete: bool = True,
) -> list[str]:
    """Commit the series on a new branch of a NumPyro git checkout, one commit
    per pull request, starting from the checkout's HEAD; returns the commits.

    :param complete: refuse a series that lacks a description or tests, or that
        leaves a definition of the patch modules out.
    """
    series = load_series() if series is None else series
    modules = read_patch_modules()
    problems = check_series(series, modules)
    if problems:
        message = "the series is incomplete:\n  " + "\n  ".join(problems)
        if complete:
            raise ForkError(message)
        print(message, file=sys.stderr)
    env = _commit_env()
    _git(repo, "checkout", "-q", "-B", branch)
    commits = []
    for pr in series:
        apply_pull_request(repo, pr, modules)
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", commit_message(pr), env=env)
        commits.append(_git(repo, "rev-parse", "HEAD").strip())
    return commits


def init_repo(source: Path, dest: Path, message: str) -> Path:
    """A git repository at ``dest`` whose one commit is the tree ``source``."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(
        source,
        dest,
        symlinks=True,
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    env = _commit_env()
    _git(dest, "init", "-q", "-b", "master")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", message, env=env)
    return dest
