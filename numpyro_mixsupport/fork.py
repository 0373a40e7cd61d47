# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Build the patched NumPyro (the fork) and the upstream patch.

Every module of :mod:`numpyro_mixsupport.distributions` but ``__init__`` is a
*patch module* for the same-named module of :mod:`numpyro.distributions`: a
docstring, an import header (the leading ``import`` statements and an optional
``__all__``) and a body. In the fork the header is dropped and the body is
spliced into the target module:

* a top-level definition (``def``, ``class``, assignment) whose name the target
  defines at top level replaces that definition in place; the others are
  appended at the end of the target;
* new public names are added to the target's ``__all__`` when it has one, and
  the names that ``numpyro_mixsupport.distributions`` exports beyond NumPyro's
  to ``numpyro/distributions/__init__.py``;
* a header import that binds a name the body uses and the target lacks is added
  to the target's imports, ``numpyro_mixsupport`` rewritten to ``numpyro``;
* the touched files are formatted with ``ruff`` (the whole file where upstream
  already is ``ruff format`` clean, else only the spliced definitions).

The tests (``test/test_*.py`` but the package-only ones, and ``conftest.py``)
are copied to ``test/mixsupport/`` with their imports rewritten to
:mod:`numpyro.distributions`, and the new public names get entries in
``docs/source/distributions.rst`` where the tree has it.

Commands (``python -m numpyro_mixsupport.fork --help``):

``build``
    downloads the pinned NumPyro sdist, checks its sha256, keeps it unpacked as
    ``build/pristine``, patches a copy as ``build/numpyro-<version>``, sets the
    local version label and builds ``dist/numpyro-<version>+mixsupport-py3-none-any.whl``
    (twice, checking that both wheels are identical).
``patch``
    writes ``dist/numpyro-mixsupport.patch``, a ``git diff`` of the patched tree
    against the pristine sdist, or against a NumPyro checkout given with
    ``--numpyro-src``, and checks it with ``git apply --check``.
``test``
    installs the fork wheel and the stock release in two fresh virtual
    environments, runs NumPyro's own tests in both and ours on the fork, and
    prints the counts side by side.
"""

from __future__ import annotations

import argparse
import ast
import builtins
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
import hashlib
import importlib.metadata
import io
import os
from pathlib import Path
import re
import shutil
import subprocess
import symtable
import sys
import tarfile
import tempfile
import time
import tokenize
import xml.etree.ElementTree as ET
import zipfile

PACKAGE = "numpyro_mixsupport"
UPSTREAM = "numpyro"
NUMPYRO_VERSION = "0.22.0"
#: The supported upstream series: a tree of another version is refused unless it
#: is a checkout given with ``--numpyro-src``.
NUMPYRO_SERIES = "0.22."
#: sha256 of ``numpyro-0.22.0.tar.gz`` as published on PyPI.
SDIST_SHA256 = "d428b688f7c6d1f9089b730c242a3817452609e3672bd62bbc1b02ce17f069bb"
LOCAL_LABEL = "mixsupport"
FORK_VERSION = f"{NUMPYRO_VERSION}+{LOCAL_LABEL}"
WHEEL_NAME = f"numpyro-{FORK_VERSION}-py3-none-any.whl"
PATCH_NAME = "numpyro-mixsupport.patch"
#: Test files that test the package shape only (the drop-in namespace, this
#: builder, the repository's example scripts), not copied to the fork.
PACKAGE_ONLY_TESTS = frozenset(
    {"test_package.py", "test_fork.py", "test_examples.py", "test_mdn.py"}
)
#: Where the copied tests go in the fork, beside NumPyro's own.
FORK_TEST_DIR = "test/mixsupport"
#: NumPyro's test files that the ``test`` command runs, with their ``-k``.
NUMPYRO_TESTS: tuple[tuple[str, str | None], ...] = (
    ("test/test_distributions_mixture.py", None),
    ("test/test_constraints.py", None),
    ("test/test_transforms.py", None),
    ("test/test_pickle.py", None),
    ("test/test_distributions.py", "Mixture or PowerLaw or Truncated"),
)
#: What the test environments need beyond NumPyro and this project's ``test``
#: extra: ``test_pickle.py`` imports ``numpyro.contrib.funsor``. Versions are
#: pinned to this interpreter's where it has the package (PINNED_FROM_HERE), so
#: that fork and stock run on the same stack.
EXTRA_TEST_REQUIREMENTS = ("funsor",)
#: Tools of the ``test`` extra that the test runs do not use.
UNUSED_TEST_REQUIREMENTS = ("ruff",)
PINNED_FROM_HERE = ("jax", "jaxlib", "numpy", "scipy", "pytest", "hypothesis")

REPO_ROOT = Path(__file__).resolve().parent.parent
PATCH_DIR = Path(__file__).resolve().parent / "distributions"


class ForkError(Exception):
    """A patch module cannot be applied to the target tree; the message says why."""


# ---------------------------------------------------------------------------
# Reading patch modules
# ---------------------------------------------------------------------------


@dataclass
class Definition:
    """A top-level definition of a patch module body."""

    name: str
    source: str  # its text, leading comments and decorators included
    lineno: int  # first line of the text in the patch module


@dataclass
class PatchModule:
    """A parsed patch module: its header imports and body definitions."""

    path: str
    header: list[ast.stmt]
    definitions: list[Definition]
    body_source: str  # the body's text, for the name analysis


def _lines(source: str) -> list[str]:
    return source.splitlines(keepends=True)


def _first_line(node: ast.stmt, lines: Sequence[str]) -> int:
    """First line of ``node``: its decorators and the comments right above it."""
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    while first > 1 and lines[first - 2].lstrip().startswith("#"):
        first -= 1
    return first


def _is_all_assignment(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id == "__all__"
    )


def _defined_names(node: ast.stmt) -> list[str]:
    """Names a top-level definition statement binds ([] for other statements)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Assign):
        names = []
        for target in node.targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name):
                    names.append(sub.id)
        return names
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def parse_patch_module(source: str, path: str) -> PatchModule:
    """Split a patch module into header and body definitions.

    :param source: the module's text.
    :param path: its path, for messages.
    :raises ForkError: if the body holds an import or a statement that is not a
        definition.
    """
    tree = ast.parse(source, filename=path)
    lines = _lines(source)
    statements = list(tree.body)
    if (
        statements
        and isinstance(statements[0], ast.Expr)
        and isinstance(statements[0].value, ast.Constant)
        and isinstance(statements[0].value.value, str)
    ):
        statements = statements[1:]
    header: list[ast.stmt] = []
    while statements and (
        isinstance(statements[0], (ast.Import, ast.ImportFrom))
        or _is_all_assignment(statements[0])
    ):
        header.append(statements.pop(0))
    definitions = []
    for node in statements:
        names = _defined_names(node)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            raise ForkError(
                f"{path}:{node.lineno}: import in the body; move it to the import "
                "header at the top of the module"
            )
        if len(names) != 1:
            raise ForkError(
                f"{path}:{node.lineno}: top-level statement "
                f"{ast.unparse(node).splitlines()[0]!r} is not a definition of one "
                "name; a patch module body holds only defs, classes and assignments"
            )
        first = _first_line(node, lines)
        text = "".join(lines[first - 1 : node.end_lineno])
        definitions.append(Definition(names[0], text, first))
    body_start = definitions[0].lineno if definitions else len(lines) + 1
    body_source = "".join(lines[body_start - 1 :])
    return PatchModule(path, header, definitions, body_source)


# ---------------------------------------------------------------------------
# Names: what a body uses, what a header and a target bind
# ---------------------------------------------------------------------------


def _rewrite_module(name: str) -> str:
    if name == PACKAGE or name.startswith(PACKAGE + "."):
        return UPSTREAM + name[len(PACKAGE) :]
    return name


def _import_bindings(node: ast.stmt, module: str = "") -> dict[str, str]:
    """Names an import binds, each with the dotted path it refers to.

    Relative imports are resolved against ``module``; star imports bind nothing
    known.
    """
    bindings = {}
    if isinstance(node, ast.Import):
        for alias in node.names:
            target = _rewrite_module(alias.name)
            if alias.asname:
                bindings[alias.asname] = target
            else:
                top = target.split(".")[0]
                bindings[alias.name.split(".")[0]] = top
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            parts = module.split(".")[: -node.level]
            base = ".".join(parts + ([base] if base else []))
        base = _rewrite_module(base)
        for alias in node.names:
            if alias.name != "*":
                bindings[alias.asname or alias.name] = f"{base}.{alias.name}"
    return bindings


def used_globals(source: str, path: str = "<body>") -> set[str]:
    """Global names that code refers to and does not itself bind at top level."""
    table = symtable.symtable(source, path, "exec")
    used: set[str] = set()
    bound: set[str] = set()
    for symbol in table.get_symbols():
        if symbol.is_referenced():
            used.add(symbol.get_name())
        if symbol.is_assigned() or symbol.is_imported() or symbol.is_namespace():
            bound.add(symbol.get_name())

    def walk(scope: symtable.SymbolTable) -> None:
        for child in scope.get_children():
            for symbol in child.get_symbols():
                if symbol.is_global() and symbol.is_referenced():
                    used.add(symbol.get_name())
                if symbol.is_declared_global() and symbol.is_assigned():
                    bound.add(symbol.get_name())
            walk(child)

    walk(table)
    return used - bound - set(dir(builtins))


@dataclass
class TargetModule:
    """What a target module binds at top level."""

    source: str
    tree: ast.Module
    definitions: dict[str, list[ast.stmt]] = field(default_factory=dict)
    bindings: dict[str, str] = field(default_factory=dict)  # name -> dotted path
    imports: list[ast.stmt] = field(default_factory=list)


def read_target(source: str, module: str, path: str) -> TargetModule:
    """Index the top-level names of a target module."""
    tree = ast.parse(source, filename=path)
    target = TargetModule(source, tree)
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            target.imports.append(node)
            target.bindings.update(_import_bindings(node, module))
        for name in _defined_names(node):
            target.definitions.setdefault(name, []).append(node)
            target.bindings[name] = f"{module}.{name}"
    # Names bound in other top-level statements (``try``/``if`` blocks...).
    table = symtable.symtable(source, path, "exec")
    for symbol in table.get_symbols():
        name = symbol.get_name()
        if (
            symbol.is_assigned() or symbol.is_imported()
        ) and name not in target.bindings:
            target.bindings[name] = f"{module}.{name}"
    return target


# ---------------------------------------------------------------------------
# Text rewriting
# ---------------------------------------------------------------------------


def rewrite_package_names(source: str, path: str, *, in_code: bool) -> str:
    """Rewrite ``numpyro_mixsupport`` to ``numpyro`` token by token.

    Strings and comments are always rewritten. Names (import statements,
    attribute access) are rewritten when ``in_code``; otherwise a name
    ``numpyro_mixsupport`` raises :class:`ForkError`, since a body must not
    refer to the package.
    """
    lines = _lines(source)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    edits: list[tuple[int, int, str]] = []
    string_types = {tokenize.STRING, tokenize.COMMENT}
    string_types.add(getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING))
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if PACKAGE not in token.string:
            continue
        start = offsets[token.start[0] - 1] + token.start[1]
        end = offsets[token.end[0] - 1] + token.end[1]
        if token.type == tokenize.NAME:
            if not in_code:
                raise ForkError(
                    f"{path}:{token.start[0]}: the body refers to {PACKAGE}; only "
                    "the import header may"
                )
            edits.append((start, end, UPSTREAM))
        elif token.type in string_types:
            edits.append((start, end, token.string.replace(PACKAGE, UPSTREAM)))
    for start, end, text in reversed(edits):
        source = source[:start] + text + source[end:]
    return source


# ---------------------------------------------------------------------------
# Splicing
# ---------------------------------------------------------------------------


@dataclass
class Edit:
    """Replace lines ``start..end`` (1-based, inclusive; ``end = start - 1``
    inserts before ``start``) with ``text``."""

    start: int
    end: int
    text: str


def apply_edits(source: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping line edits."""
    lines = _lines(source)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    previous_start = len(lines) + 2
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        if edit.end >= previous_start:
            raise ForkError(f"overlapping edits at line {edit.start}")
        lines[edit.start - 1 : edit.end] = _lines(edit.text)
        previous_start = edit.start
    return "".join(lines)


def _group(name: str) -> int:
    return 0 if name[:1].islower() else 1 if name[:1].isupper() else 2


def _all_insert_edit(
    node: ast.Assign, source_lines: Sequence[str], names: Sequence[str]
) -> Edit:
    """Insert ``names`` into a literal ``__all__`` list, next to their peers."""
    value = node.value
    if not isinstance(value, (ast.List, ast.Tuple)) or not all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts
    ):
        raise ForkError(f"line {node.lineno}: __all__ is not a literal list of strings")
    elements = list(value.elts)
    if not elements:
        text = "".join(f'"{n}",' for n in names)
        line = source_lines[node.lineno - 1]
        return Edit(node.lineno, node.end_lineno, line.replace("[]", f"[{text}]"))
    multiline = all(e.lineno > value.lineno for e in elements)
    lines = list(source_lines[node.lineno - 1 : node.end_lineno])
    base = node.lineno
    # Positions are computed on the original lines; insert from the bottom up.
    placements = []
    for name in names:
        key = name.lower()
        peers = [e for e in elements if _group(e.value) == _group(name)] or elements
        before = [e for e in peers if e.value.lower() < key]
        # Between two neighbours that sort around it, the last such place.
        between = [
            b
            for a, b in zip(elements, elements[1:])
            if _group(a.value) == _group(b.value) == _group(name)
            and a.value.lower() < key < b.value.lower()
        ]
        if between:
            placements.append((between[-1], "before", name))
        elif before:
            anchor = max(before, key=lambda e: e.value.lower())
            placements.append((anchor, "after", name))
        else:
            anchor = min(peers, key=lambda e: e.value.lower())
            placements.append((anchor, "before", name))
    placements.sort(
        key=lambda p: (p[0].lineno, p[0].col_offset, p[1] == "after"), reverse=True
    )
    for anchor, where, name in placements:
        index = anchor.lineno - base
        if multiline:
            indent = re.match(r"\s*", lines[index]).group(0)
            new_line = f'{indent}"{name}",\n'
            lines.insert(index + 1 if where == "after" else index, new_line)
        else:
            line = lines[index]
            if where == "after":
                column = anchor.end_col_offset
                lines[index] = line[:column] + f', "{name}"' + line[column:]
            else:
                column = anchor.col_offset
                lines[index] = line[:column] + f'"{name}", ' + line[column:]
    return Edit(node.lineno, node.end_lineno, "".join(lines))


def _import_text(module: str | None, names: Sequence[ast.alias]) -> str:
    parts = [a.name if not a.asname else f"{a.name} as {a.asname}" for a in names]
    if module is None:
        return "".join(f"import {p}\n" for p in parts)
    return f"from {module} import {', '.join(parts)}\n"


def _import_edits(
    target: TargetModule, needed: Sequence[tuple[str, ast.stmt]]
) -> list[Edit]:
    """Edits that add the header imports binding the ``needed`` names."""
    merged: dict[int, tuple[ast.ImportFrom, list[ast.alias]]] = {}
    new_lines: list[str] = []
    for name, node in needed:
        if isinstance(node, ast.ImportFrom):
            module = _rewrite_module(node.module or "")
            alias = next(a for a in node.names if (a.asname or a.name) == name)
            existing = next(
                (
                    n
                    for n in target.imports
                    if isinstance(n, ast.ImportFrom)
                    and n.level == 0
                    and n.module == module
                    and all(a.name != "*" for a in n.names)
                ),
                None,
            )
            if existing is not None:
                merged.setdefault(id(existing), (existing, list(existing.names)))[
                    1
                ].append(alias)
            else:
                new_lines.append(_import_text(module, [alias]))
        else:
            assert isinstance(node, ast.Import)
            alias = next(
                a for a in node.names if (a.asname or a.name.split(".")[0]) == name
            )
            new_lines.append(
                _import_text(
                    None, [ast.alias(_rewrite_module(alias.name), alias.asname)]
                )
            )
    edits = [
        Edit(node.lineno, node.end_lineno, _import_text(node.module, aliases))
        for node, aliases in merged.values()
    ]
    if new_lines:
        block = [n for n in target.imports if n.col_offset == 0]
        first_def = next(
            (
                n.lineno
                for n in target.tree.body
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            ),
            None,
        )
        leading = [n for n in block if first_def is None or n.lineno < first_def]
        after = leading[-1].end_lineno if leading else 0
        text = "".join(sorted(set(new_lines)))
        covering = [e for e in edits if e.start <= after <= e.end]
        if covering:
            covering[0].text += text
        else:
            edits.append(Edit(after + 1, after, text))
    return edits


@dataclass
class SpliceResult:
    """The patched text of a module and what changed in it."""

    source: str
    replaced: list[str]
    appended: list[str]
    added_imports: list[str]
    new_public: list[str]
    snippets: list[str]  # the spliced definitions, as they appear in ``source``


def splice(
    patch: PatchModule,
    target_source: str,
    *,
    target_module: str,
    target_path: str,
    replaces: Iterable[str] | None = None,
    formatter: Callable[[str], str] | None = None,
) -> SpliceResult:
    """Splice a patch module's body into a target module's text.

    :param patch: the parsed patch module.
    :param target_source: the text of the target module.
    :param target_module: its dotted name (``numpyro.distributions.mixtures``).
    :param target_path: its path, for messages.
    :param replaces: names the body is meant to replace (those the pinned
        release defines); each must be defined in the target. ``None`` takes the
        target's own names.
    :param formatter: formats a definition's text (``ruff format``); identity by
        default.
    :raises ForkError: naming the file and definition, when a definition to
        replace is missing, is bound more than once or by an import in the
        target, when the body defines a private name the target defines too,
        when the body uses a name neither the target nor the header binds, or
        when a header binds a name to something else than the target.
    """
    target = read_target(target_source, target_module, target_path)
    body_names = {d.name for d in patch.definitions}
    replaces = set(target.definitions if replaces is None else replaces) & body_names
    for name in sorted(replaces):
        if name not in target.definitions:
            raise ForkError(
                f"{target_path}: definition {name!r} that {patch.path} replaces is "
                f"missing from the target"
            )
    for name in sorted(body_names & set(target.definitions)):
        if name.startswith("_"):
            raise ForkError(
                f"{target_path}: {patch.path} defines {name!r}, which is also a "
                "private helper of the target that its other definitions may call; "
                "give it another name"
            )

    header_bindings: dict[str, tuple[str, ast.stmt]] = {}
    for node in patch.header:
        for name, dotted in _import_bindings(node, target_module).items():
            header_bindings[name] = (dotted, node)
    for name, (dotted, node) in header_bindings.items():
        upstream = target.bindings.get(name)
        if (
            upstream is not None
            and upstream != dotted
            and dotted != f"{target_module}.{name}"
        ):
            raise ForkError(
                f"{patch.path}:{node.lineno}: the header binds {name!r} to {dotted}, "
                f"but {target_path} binds it to {upstream}"
            )

    for definition in patch.definitions:
        rewrite_package_names(
            definition.source, f"{patch.path}:{definition.lineno}", in_code=False
        )
    needed: list[tuple[str, ast.stmt]] = []
    for name in sorted(used_globals(patch.body_source, patch.path) - body_names):
        if name in target.bindings:
            continue
        if name in header_bindings:
            dotted, node = header_bindings[name]
            if dotted.startswith(f"{target_module}."):
                raise ForkError(
                    f"{patch.path}: the body uses {name!r}, imported from "
                    f"{target_module}, which does not define it"
                )
            needed.append((name, node))
            continue
        user = _first_user(patch, name)
        raise ForkError(
            f"{patch.path}: definition {user!r} uses {name!r}, which neither "
            f"{target_path} nor the import header binds"
        )

    source_lines = _lines(target_source)
    edits: list[Edit] = []
    replaced, appended, snippets = [], [], []
    appended_text: list[str] = []
    for definition in patch.definitions:
        text = rewrite_package_names(
            definition.source, f"{patch.path}:{definition.lineno}", in_code=False
        )
        if formatter is not None:
            text = formatter(text)
        snippets.append(text)
        if definition.name in replaces:
            nodes = target.definitions[definition.name]
            if len(nodes) > 1:
                raise ForkError(
                    f"{target_path}: definition {definition.name!r} is bound "
                    f"{len(nodes)} times at top level; cannot tell which to replace"
                )
            node = nodes[0]
            edits.append(Edit(_first_line(node, source_lines), node.end_lineno, text))
            replaced.append(definition.name)
        elif definition.name in target.bindings:
            raise ForkError(
                f"{target_path}: definition {definition.name!r} of {patch.path} "
                "would shadow a name the target binds otherwise (an import or a "
                "nested statement)"
            )
        else:
            appended_text.append(text)
            appended.append(definition.name)
    if appended_text:
        end = len(source_lines)
        edits.append(Edit(end + 1, end, "\n\n" + "\n\n".join(appended_text)))

    new_public = [n for n in appended if not n.startswith("_")]
    all_node = next((n for n in target.tree.body if _is_all_assignment(n)), None)
    if all_node is not None and new_public:
        existing = {e.value for e in all_node.value.elts}  # type: ignore[attr-defined]
        missing = [n for n in new_public if n not in existing]
        if missing:
            edits.append(_all_insert_edit(all_node, source_lines, missing))
    edits.extend(_import_edits(target, needed))
    patched = apply_edits(target_source, edits)
    try:
        ast.parse(patched, filename=target_path)
    except SyntaxError as error:  # pragma: no cover - a bug here, not in the input
        raise ForkError(f"{target_path}: patched module does not parse: {error}")
    return SpliceResult(
        patched,
        replaced,
        appended,
        [name for name, _ in needed],
        new_public,
        snippets,
    )


def _first_user(patch: PatchModule, name: str) -> str:
    for definition in patch.definitions:
        if name in used_globals(definition.source, patch.path):
            return definition.name
    return "?"  # pragma: no cover


def export_names(init_source: str, exports: dict[str, str], path: str) -> str:
    """Add ``from <module> import <name>`` and ``__all__`` entries to a package
    ``__init__``.

    :param exports: name -> dotted module that defines it.
    """
    target = read_target(init_source, "numpyro.distributions", path)
    missing = {n: m for n, m in exports.items() if n not in target.bindings}
    if not missing:
        return init_source
    header = [
        ast.ImportFrom(module=module, names=[ast.alias(name)], level=0)
        for name, module in sorted(missing.items())
    ]
    for node in header:
        node.lineno = 0
    edits = _import_edits(target, [(n.names[0].name, n) for n in header])
    all_node = next((n for n in target.tree.body if _is_all_assignment(n)), None)
    if all_node is not None:
        edits.append(_all_insert_edit(all_node, _lines(init_source), sorted(missing)))
    return apply_edits(init_source, edits)


def package_extra_exports(init_source: str) -> list[str]:
    """Names ``numpyro_mixsupport.distributions.__all__`` lists beyond NumPyro's."""
    for node in ast.parse(init_source).body:
        if _is_all_assignment(node) and isinstance(node.value, (ast.List, ast.Tuple)):
            return [
                e.value
                for e in node.value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
    return []


def add_doc_entries(rst: str, entries: Sequence[tuple[str, str, str]]) -> str:
    """Add autodoc entries to NumPyro's ``distributions.rst``.

    :param entries: ``(module, name, kind)`` with ``kind`` ``"class"`` or
        ``"function"``, ``module`` the dotted module.
    """
    lines = rst.splitlines(keepends=True)
    directive = re.compile(r"\.\. auto(class|function|data):: ([\w.]+)\.(\w+)\s*$")
    blocks = []  # (title line index, module, name, is class, end index)
    for index, line in enumerate(lines):
        match = directive.match(line)
        if match and index >= 2 and set(lines[index - 1].strip()) == {"^"}:
            end = index + 1
            while end < len(lines) and lines[end].startswith("    "):
                end += 1
            blocks.append(
                (index - 2, match.group(2), match.group(3), match.group(1), end)
            )
    for module, name, kind in entries:
        if any(b[1] == module and b[2] == name for b in blocks):
            continue
        is_class = kind == "class"
        peers = [b for b in blocks if b[1] == module]
        if not peers:
            continue
        same_kind = [b for b in peers if (b[3] == "class") == is_class] or peers
        options = ""
        if is_class:
            example = next((b for b in peers if b[3] == "class"), None)
            if example is not None:
                options = "".join(lines[example[0] + 3 : example[4]])
        entry = (
            f"{name}\n{'^' * len(name)}\n"
            f".. auto{'class' if is_class else 'function'}:: {module}.{name}\n"
            f"{options}\n"
        )
        before = [b for b in same_kind if b[2].lower() < name.lower()]
        if before:
            anchor = max(before, key=lambda b: b[2].lower())
            at = anchor[4]
            while at < len(lines) and not lines[at].strip():
                at += 1
        else:
            at = min(same_kind, key=lambda b: b[2].lower())[0]
        lines[at:at] = [entry]
        rst = "".join(lines)
        return add_doc_entries(rst, [e for e in entries if e != (module, name, kind)])
    return rst


# ---------------------------------------------------------------------------
# Trees
# ---------------------------------------------------------------------------


def _ruff(
    args: Sequence[str], cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
    )


def ruff_is_clean(path: Path, root: Path) -> bool:
    """Whether upstream's file already is ``ruff format`` and isort clean."""
    rel = str(path.relative_to(root))
    fmt = _ruff(["format", "--no-cache", "--check", rel], root)
    isort = _ruff(["check", "--no-cache", "--select", "I", rel], root)
    return fmt.returncode == 0 and isort.returncode == 0


def ruff_format_text(text: str, filename: Path, root: Path) -> str:
    """``ruff format`` a piece of Python with the config that applies to ``filename``."""
    result = _ruff(
        ["format", "--no-cache", "--stdin-filename", str(filename), "-"], root, text
    )
    if result.returncode != 0:
        raise ForkError(
            f"ruff format failed on a definition for {filename}:\n{result.stderr}"
        )
    return result.stdout


def ruff_fix_file(path: Path, root: Path) -> None:
    """Sort imports and format a whole file."""
    rel = str(path.relative_to(root))
    for args in (
        ["check", "--no-cache", "--select", "I", "--fix", "--exit-zero", "-q", rel],
        ["format", "--no-cache", "-q", rel],
    ):
        result = _ruff(args, root)
        if result.returncode != 0:
            raise ForkError(f"ruff {' '.join(args)} failed:\n{result.stderr}")


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


def patch_module_paths(patch_dir: Path = PATCH_DIR) -> list[Path]:
    """The patch modules, in a fixed order."""
    return sorted(p for p in patch_dir.glob("*.py") if p.name != "__init__.py")


def reference_names(module: str, reference: Path | None) -> set[str] | None:
    """Top-level names of a module of the pinned release (the definitions a body
    means to replace), or ``None`` when no reference tree is given."""
    if reference is None:
        return None
    path = reference / UPSTREAM / "distributions" / f"{module}.py"
    if not path.exists():
        return set()
    return set(read_target(path.read_text(), module, str(path)).definitions)


@dataclass
class TreeReport:
    """What :func:`patch_tree` changed."""

    changed: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


def patch_tree(
    tree: Path,
    *,
    check_version: bool = True,
    reference: Path | None = None,
    patch_dir: Path = PATCH_DIR,
    test_dir: Path = REPO_ROOT / "test",
) -> TreeReport:
    """Apply the patch modules, copy the tests and add docs entries, in place.

    :param tree: a NumPyro source tree (sdist or git checkout).
    :param check_version: refuse a tree that is not NumPyro 0.22.x.
    :param reference: a tree of the pinned release, whose definitions the
        bodies are meant to replace; ``None`` when ``tree`` is that release.
    """
    version = read_version(tree)
    if check_version and not version.startswith(NUMPYRO_SERIES):
        raise ForkError(
            f"{tree / UPSTREAM / 'version.py'}: NumPyro {version}, but the patch "
            f"modules are written for {NUMPYRO_SERIES}x; use --numpyro-src to "
            "target another NumPyro checkout"
        )
    report = TreeReport()
    distributions = tree / UPSTREAM / "distributions"
    exports: dict[str, str] = {}
    extra = set(package_extra_exports((patch_dir / "__init__.py").read_text()))
    new_docs: list[tuple[str, str, str]] = []
    for path in patch_module_paths(patch_dir):
        module = path.stem
        target_path = distributions / path.name
        rel = str(target_path.relative_to(tree))
        display = f"{PACKAGE}/distributions/{path.name}"
        if not target_path.exists():
            raise ForkError(f"{rel}: missing; {display} has no target module")
        patch = parse_patch_module(path.read_text(), display)
        original = target_path.read_text()
        clean = ruff_is_clean(target_path, tree)
        result = splice(
            patch,
            original,
            target_module=f"{UPSTREAM}.distributions.{module}",
            target_path=rel,
            replaces=reference_names(module, reference),
            formatter=lambda text, p=target_path: ruff_format_text(text, p, tree),
        )
        target_path.write_text(result.source)
        if clean:
            ruff_fix_file(target_path, tree)
        report.changed.append(rel)
        report.messages.append(
            f"{rel}: replaced {', '.join(result.replaced) or '-'}; appended "
            f"{', '.join(result.appended) or '-'}; imports added "
            f"{', '.join(result.added_imports) or '-'}"
        )
        for definition in patch.definitions:
            if definition.name in extra:
                exports[definition.name] = f"{UPSTREAM}.distributions.{module}"
        defs = {d.name: d for d in patch.definitions}
        for name in result.new_public:
            is_class = defs[name].source.lstrip().startswith(("class ", "@"))
            kind = "class" if is_class and name[:1].isupper() else "function"
            new_docs.append((f"{UPSTREAM}.distributions.{module}", name, kind))

    if exports:
        init = distributions / "__init__.py"
        rel = str(init.relative_to(tree))
        clean = ruff_is_clean(init, tree)
        init.write_text(export_names(init.read_text(), exports, rel))
        if clean:
            ruff_fix_file(init, tree)
        report.changed.append(rel)
        report.messages.append(f"{rel}: exports {', '.join(sorted(exports))}")

    report.changed.extend(copy_tests(tree, test_dir))
    docs = tree / "docs" / "source" / "distributions.rst"
    if docs.exists() and new_docs:
        docs.write_text(add_doc_entries(docs.read_text(), new_docs))
        report.changed.append(str(docs.relative_to(tree)))
        report.messages.append(
            f"{docs.relative_to(tree)}: documents {len(new_docs)} names"
        )
    return report


def copy_tests(tree: Path, test_dir: Path) -> list[str]:
    """Copy our tests to ``test/mixsupport/`` with the imports rewritten."""
    dest = tree / FORK_TEST_DIR
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    sources = sorted(
        p for p in test_dir.glob("test_*.py") if p.name not in PACKAGE_ONLY_TESTS
    )
    conftest = test_dir / "conftest.py"
    if conftest.exists():
        sources.append(conftest)
    init = dest / "__init__.py"
    init.write_text(
        "# Copyright Contributors to the Pyro project.\n"
        "# SPDX-License-Identifier: Apache-2.0\n"
    )
    written.append(str(init.relative_to(tree)))
    for path in sources:
        text = rewrite_package_names(path.read_text(), str(path), in_code=True)
        text = text.replace(
            "Copyright Contributors to the numpyro-mixsupport project.",
            "Copyright Contributors to the Pyro project.",
            1,
        )
        out = dest / path.name
        out.write_text(text)
        ruff_fix_file(out, tree)
        written.append(str(out.relative_to(tree)))
    return written


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


# ---------------------------------------------------------------------------
# Sdist, wheel, patch
# ---------------------------------------------------------------------------


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


def command_build(args: argparse.Namespace) -> int:
    build, dist = Path(args.build_dir), Path(args.dist_dir)
    start = time.monotonic()
    sdist = fetch_sdist(build, Path(args.sdist) if args.sdist else None)
    print(f"sdist {sdist.name}: sha256 {SDIST_SHA256} OK")
    pristine = build / "pristine"
    epoch = unpack_sdist(sdist, pristine)
    wheels = []
    for attempt in range(1 if args.no_reproducibility_check else 2):
        tree = build / f"numpyro-{NUMPYRO_VERSION}"
        _copy_source_tree(pristine, tree)
        report = patch_tree(tree)
        if attempt == 0:
            print("\n".join(report.messages))
        set_version(tree, FORK_VERSION)
        wheels.append(build_wheel(tree, build / f"wheel-{attempt}", epoch))
        shutil.rmtree(tree / "build", ignore_errors=True)
    if len(wheels) == 2:
        problems = compare_wheels(*wheels)
        if problems or sha256(wheels[0]) != sha256(wheels[1]):
            raise ForkError("the two wheel builds differ:\n" + "\n".join(problems))
        print(
            f"reproducible: two builds, {len(wheel_manifest(wheels[0]))} files, "
            f"identical contents and sha256 {sha256(wheels[0])}"
        )
    dist.mkdir(parents=True, exist_ok=True)
    wheel = dist / WHEEL_NAME
    if wheels[0].name != WHEEL_NAME:
        raise ForkError(f"built {wheels[0].name}, expected {WHEEL_NAME}")
    shutil.copyfile(wheels[0], wheel)
    for attempt in range(len(wheels)):
        shutil.rmtree(build / f"wheel-{attempt}")
    print(f"wrote {wheel} in {time.monotonic() - start:.0f} s")
    return 0


def command_patch(args: argparse.Namespace) -> int:
    build, dist = Path(args.build_dir), Path(args.dist_dir)
    if args.numpyro_src:
        base = Path(args.numpyro_src).resolve()
        read_version(base)
        reference = build / "pristine"
        if not reference.exists():
            reference = build / "reference"
            unpack_sdist(
                fetch_sdist(build, Path(args.sdist) if args.sdist else None), reference
            )
        check_version = False
    else:
        base = build / "pristine"
        sdist = fetch_sdist(build, Path(args.sdist) if args.sdist else None)
        # Unpacked by `build` from the same hash-checked sdist, else now.
        if not (base / "PKG-INFO").exists():
            unpack_sdist(sdist, base)
        reference, check_version = None, True
    work = build / "patch-tree"
    _copy_source_tree(base, work)
    try:
        report = patch_tree(work, check_version=check_version, reference=reference)
        print("\n".join(report.messages))
        diff = git_diff(base, work, report.changed)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    dist.mkdir(parents=True, exist_ok=True)
    out = Path(args.output) if args.output else dist / PATCH_NAME
    out.write_text(diff)
    git_apply_check(base, out)
    added = sum(
        1
        for line in diff.splitlines()
        if line.startswith("+") and not line.startswith("+++")
    )
    removed = sum(
        1
        for line in diff.splitlines()
        if line.startswith("-") and not line.startswith("---")
    )
    print(
        f"wrote {out}: {len(report.changed)} files, +{added} -{removed}; "
        f"git apply --check on {base}: OK"
    )
    return 0


# ---------------------------------------------------------------------------
# Testing the fork against stock
# ---------------------------------------------------------------------------


def _venv(path: Path, packages: Sequence[str], constraints: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    _run([sys.executable, "-m", "venv", str(path)])
    python = path / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", "-c", str(constraints), *packages])
    return python


def test_requirements(pyproject: Path = REPO_ROOT / "pyproject.toml") -> list[str]:
    """This project's ``test`` extra, less the linters, plus what NumPyro's tests
    need."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        return ["pytest", "pytest-xdist", "hypothesis", "scipy"] + list(
            EXTRA_TEST_REQUIREMENTS
        )
    extra = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]
    wanted = [
        r
        for r in extra.get("test", [])
        if not any(r.startswith(u) for u in UNUSED_TEST_REQUIREMENTS)
    ]
    return wanted + list(EXTRA_TEST_REQUIREMENTS)


def _pins() -> list[str]:
    pins = []
    for name in PINNED_FROM_HERE:
        try:
            pins.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    return pins


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
        classname = case.get("classname") or ""
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


def run_pytest(
    python: Path,
    cwd: Path,
    paths: Sequence[str],
    keyword: str | None,
    report: Path,
    workers: str,
) -> tuple[int, float]:
    """Run pytest in ``cwd`` with another interpreter, writing a JUnit XML
    report; returns the exit status and the seconds it took."""
    cmd = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o",
           "addopts=", "--junitxml", str(report), "-n", workers, *paths]  # fmt: skip
    if keyword:
        cmd += ["-k", keyword]
    start = time.monotonic()
    print("+ (cd", cwd, "&&", " ".join(cmd), ")", flush=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - start
    print("\n".join(result.stdout.splitlines()[-2:]), flush=True)
    if result.returncode not in (0, 1):
        print(result.stdout[-4000:], result.stderr[-4000:], sep="\n")
    return result.returncode, seconds


def numpyro_tests_keyword(tests: Sequence[tuple[str, str | None]]) -> str | None:
    """One ``-k`` expression that applies each file's own ``-k`` to that file
    only (``-k`` also matches the module's file name), so that all of NumPyro's
    files run in one pytest session."""
    parts = [f"(not {Path(rel).name} or ({k}))" for rel, k in tests if k]
    return " and ".join(parts) or None


def _which_numpyro(python: Path, cwd: Path) -> str:
    result = subprocess.run(
        [str(python), "-c", "import numpyro; print(numpyro.__version__, numpyro.__file__)"],
        cwd=cwd, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return result.stdout.strip()


def command_test(args: argparse.Namespace) -> int:
    build, dist = Path(args.build_dir), Path(args.dist_dir)
    wheel = dist / WHEEL_NAME
    tree = build / f"numpyro-{NUMPYRO_VERSION}"
    pristine = build / "pristine"
    for needed in (wheel, tree, pristine):
        if not needed.exists():
            raise ForkError(f"{needed}: missing; run `make fork` first")
    start = time.monotonic()
    constraints = build / "test-constraints.txt"
    constraints.write_text("\n".join(_pins()) + "\n")
    # Stock is built from the same hash-checked sdist as the fork.
    sdist = fetch_sdist(build)
    requirements = test_requirements()
    envs = {
        "fork": _venv(Path(args.fork_venv), [str(wheel), *requirements], constraints),
        "stock": _venv(Path(args.stock_venv), [str(sdist), *requirements], constraints),
    }
    print(f"environments ready in {time.monotonic() - start:.0f} s")
    # A folder without the numpyro sources, so that `import numpyro` is the
    # installed one; NumPyro's pytest settings (filterwarnings) come along.
    run_dir = build / "fork-test"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    (run_dir / "test").mkdir(parents=True)
    shutil.copyfile(pristine / "pyproject.toml", run_dir / "pyproject.toml")
    for rel, _ in NUMPYRO_TESTS:
        shutil.copyfile(pristine / rel, run_dir / rel)
    shutil.copytree(tree / FORK_TEST_DIR, run_dir / FORK_TEST_DIR)
    runs = [
        ("numpyro", [rel for rel, _ in NUMPYRO_TESTS], numpyro_tests_keyword(NUMPYRO_TESTS)),
        ("ours", [FORK_TEST_DIR], None),
    ]  # fmt: skip
    rows = [(f"numpyro {rel}" + (f" -k {k!r}" if k else ""), "numpyro", rel)
            for rel, k in NUMPYRO_TESTS]  # fmt: skip
    rows.append((f"ours {FORK_TEST_DIR}", "ours", FORK_TEST_DIR))
    results: dict[str, dict[str, Counts]] = {}
    run_times: dict[str, dict[str, float]] = {}
    for label, python in envs.items():
        print(f"{label}: numpyro {_which_numpyro(python, run_dir)}")
        for run, paths, keyword in runs:
            if label == "stock" and run == "ours":
                # Most of our tests need the patch: nothing to compare.
                continue
            report = run_dir / f"{label}-{run}.xml"
            code, seconds = run_pytest(
                python, run_dir, paths, keyword, report, args.workers
            )
            run_times.setdefault(label, {})[run] = seconds
            for row, row_run, rel in rows:
                if row_run == run:
                    module = rel.removesuffix(".py").replace("/", ".")
                    counts = junit_counts(report, module)
                    counts.exit_code, counts.seconds = code, seconds
                    results.setdefault(row, {})[label] = counts
    times = {label: sum(t.values()) for label, t in run_times.items()}
    print(format_table(results, times))
    status = check_results(results)
    print(
        f"fork test: {'OK' if status == 0 else 'FAILED'} in {time.monotonic() - start:.0f} s"
    )
    return status


def check_results(results: dict[str, dict[str, Counts]]) -> int:
    """1 when a suite ran nothing on the fork, ours failed there, or a NumPyro
    test fails on the fork and passes on stock; 0 otherwise. A suite not run on
    stock (ours) is judged on the fork alone."""
    status = 0
    for suite, by_env in results.items():
        fork, stock = by_env["fork"], by_env.get("stock")
        if fork.exit_code == 5 or fork.passed == 0:
            print(f"FAIL {suite}: no test ran on the fork")
            status = 1
        if suite.startswith("ours"):
            if fork.exit_code != 0:
                print(f"FAIL {suite} on the fork:", *fork.failures, sep="\n  ")
                status = 1
        elif stock is not None:
            regressions = sorted(set(fork.failures) - set(stock.failures))
            if regressions:
                print(
                    f"FAIL {suite}: fails on the fork, passes on stock:",
                    *regressions,
                    sep="\n  ",
                )
                status = 1
            fixed = sorted(set(stock.failures) - set(fork.failures))
            if fixed:
                print(
                    f"{suite}: fails on stock, passes on the fork:", *fixed, sep="\n  "
                )
    return status


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


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m numpyro_mixsupport.fork",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument("--build-dir", default=str(REPO_ROOT / "build"))
    parser.add_argument("--dist-dir", default=str(REPO_ROOT / "dist"))
    parser.add_argument(
        "--sdist",
        help="use this numpyro sdist instead of downloading it (hash checked)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build the patched NumPyro wheel")
    build.add_argument(
        "--no-reproducibility-check",
        action="store_true",
        help="build the wheel once instead of twice",
    )
    patch = commands.add_parser("patch", help="write the upstream patch")
    patch.add_argument(
        "--numpyro-src",
        help="a NumPyro git checkout to patch instead of the pinned sdist",
    )
    patch.add_argument("-o", "--output", help=f"default: <dist-dir>/{PATCH_NAME}")
    test = commands.add_parser(
        "test", help="run NumPyro's tests and ours, fork vs stock"
    )
    test.add_argument("--fork-venv", default=str(REPO_ROOT / ".ci-fork-venv"))
    test.add_argument("--stock-venv", default=str(REPO_ROOT / ".ci-stock-venv"))
    test.add_argument("-n", "--workers", default="2", help="pytest-xdist workers")
    args = parser.parse_args(argv)
    handler = {"build": command_build, "patch": command_patch, "test": command_test}
    try:
        return handler[args.command](args)
    except ForkError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as error:
        print(f"error: {error}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
