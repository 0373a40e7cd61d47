# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Splicing patch modules, statement edits and tests into NumPyro's sources.

A *patch module* (``numpyro_mixsupport/distributions/*.py`` and
``numpyro_mixsupport/infer/*.py``, but ``__init__`` and private modules) is a
docstring, an import header (the leading imports, ``__all__`` and
``__package_only__``) and a body of definitions. In NumPyro the header is
dropped and each definition lands in the same-named module:

* a top-level definition whose name the target defines replaces it in place;
  others are appended, and new public names join the target's ``__all__``;
* a class whose base is the target's class of the same name (``class
  MixtureGeneral(mixtures.MixtureGeneral)``) changes that class method by
  method: its methods and class attributes replace the same-named ones or are
  added at the end of the class, and its docstring is added to the class's;
* the names in ``__package_only__`` (``"Mixture"``, ``"MixtureGeneral.__init__"``)
  serve the package alone and are not spliced;
* a header import that binds a name the body uses and the target lacks is added
  to the target's imports, ``numpyro_mixsupport`` rewritten to ``numpyro``.

NumPyro's own code is changed only by *statement edits* (:class:`StatementEdit`),
which replace or insert statements located by their first line inside a named
function, with text written here. Tests land in NumPyro's test files: a test
snippet's imports join the file's imports and its body is appended
(:func:`merge_test_file`), and entries join the file's parametrized tables
(:func:`extend_table`).
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
import io
from pathlib import Path
import re
import subprocess
import symtable
import sys
import textwrap
import tokenize

PACKAGE = "numpyro_mixsupport"
UPSTREAM = "numpyro"


class ForkError(Exception):
    """A patch cannot be applied to the target tree; the message says why."""


# ---------------------------------------------------------------------------
# Reading patch modules
# ---------------------------------------------------------------------------


@dataclass
class Definition:
    """A definition of a patch module body: a top-level one (``name``), or a
    method or class attribute of a class that changes the target's class
    (``Class.name``, with ``parent`` the class)."""

    name: str
    source: str  # its text, leading comments and decorators included
    lineno: int  # first line of the text in the patch module
    parent: str | None = None

    @property
    def qualname(self) -> str:
        return self.name if self.parent is None else f"{self.parent}.{self.name}"


@dataclass
class ClassChange:
    """A class of a patch module that changes the target's class of that name."""

    name: str
    docstring: str | None
    members: list[Definition]


@dataclass
class PatchModule:
    """A parsed patch module: its header imports, its definitions, and the names
    that serve the package alone."""

    path: str
    header: list[ast.stmt]
    definitions: list[Definition]
    classes: dict[str, ClassChange]
    package_only: set[str]
    body_source: str  # the spliced body's text, for the name analysis

    def qualnames(self) -> list[str]:
        """What this module can carry into NumPyro: top-level names, and
        ``Class.member`` (and ``Class.__doc__``) of the classes that change the
        target's."""
        names = []
        for definition in self.definitions:
            if definition.name in self.classes:
                change = self.classes[definition.name]
                if change.docstring is not None:
                    names.append(f"{change.name}.__doc__")
                names.extend(m.qualname for m in change.members)
            else:
                names.append(definition.name)
        return names


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


def _is_header_assignment(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id in ("__all__", "__package_only__")
    )


def _literal_strings(node: ast.stmt, path: str) -> set[str]:
    value = node.value  # type: ignore[attr-defined]
    if not isinstance(value, (ast.List, ast.Tuple)) or not all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts
    ):
        raise ForkError(f"{path}:{node.lineno}: expected a literal tuple of strings")
    return {e.value for e in value.elts}


def _docstring_node(body: Sequence[ast.stmt]) -> ast.Expr | None:
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        return body[0]
    return None


def _base_dotted(base: ast.expr) -> str | None:
    if isinstance(base, ast.Name):
        return base.id
    if isinstance(base, ast.Attribute):
        inner = _base_dotted(base.value)
        return None if inner is None else f"{inner}.{base.attr}"
    return None


def parse_patch_module(source: str, path: str, module: str = "") -> PatchModule:
    """Split a patch module into header, definitions and class changes.

    :param source: the module's text.
    :param path: its path, for messages.
    :param module: the dotted name of the target module
        (``numpyro.distributions.mixtures``), which tells a class that changes
        the target's class from a new one.
    :raises ForkError: if the body holds an import or a statement that is not a
        definition, or ``__package_only__`` names what the module does not define.
    """
    tree = ast.parse(source, filename=path)
    lines = _lines(source)
    statements = list(tree.body)
    if _docstring_node(statements) is not None:
        statements = statements[1:]
    header: list[ast.stmt] = []
    package_only: set[str] = set()
    while statements and (
        isinstance(statements[0], (ast.Import, ast.ImportFrom))
        or _is_header_assignment(statements[0])
    ):
        node = statements.pop(0)
        if _is_header_assignment(node) and node.targets[0].id == "__package_only__":
            package_only = _literal_strings(node, path)
        header.append(node)
    bindings: dict[str, str] = {}
    for node in header:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bindings.update(_import_bindings(node, module))
    definitions: list[Definition] = []
    classes: dict[str, ClassChange] = {}
    spliced: list[str] = []
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
        name = names[0]
        if name in package_only:
            continue
        definitions.append(Definition(name, text, first))
        if isinstance(node, ast.ClassDef) and _changes_target_class(
            node, bindings, module
        ):
            classes[name] = _class_change(node, lines, package_only, path)
            spliced.extend(m.source for m in classes[name].members)
        else:
            spliced.append(text)
    defined = {n for s in statements for n in _defined_names(s)}
    for name in sorted(package_only):
        owner = name.split(".")[0]
        if owner not in defined:
            raise ForkError(
                f"{path}: __package_only__ names {name!r}, which the module does "
                "not define"
            )
    return PatchModule(
        path,
        header,
        definitions,
        classes,
        package_only,
        "".join(textwrap.dedent(s) + "\n" for s in spliced),
    )


def _changes_target_class(
    node: ast.ClassDef, bindings: dict[str, str], module: str
) -> bool:
    if len(node.bases) != 1 or not module:
        return False
    dotted = _base_dotted(node.bases[0])
    if dotted is None:
        return False
    head, _, rest = dotted.partition(".")
    resolved = bindings.get(head, head) + (f".{rest}" if rest else "")
    return resolved == f"{module}.{node.name}"


def _class_change(
    node: ast.ClassDef, lines: list[str], package_only: set[str], path: str
) -> ClassChange:
    docstring = None
    body = list(node.body)
    doc = _docstring_node(body)
    if doc is not None:
        docstring = doc.value.value  # type: ignore[attr-defined]
        body = body[1:]
    members = []
    for member in body:
        names = _defined_names(member)
        if len(names) != 1:
            raise ForkError(
                f"{path}:{member.lineno}: statement in class {node.name} is not a "
                "definition of one name"
            )
        if f"{node.name}.{names[0]}" in package_only:
            continue
        first = _first_line(member, lines)
        text = "".join(lines[first - 1 : member.end_lineno])
        members.append(Definition(names[0], text, first, parent=node.name))
    return ClassChange(node.name, docstring, members)


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
    # bottom up; of insertions at one line, the first given ends up first
    ordered = sorted(enumerate(edits), key=lambda p: (p[1].start, p[1].end, p[0]))
    for _, edit in reversed(ordered):
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


def _check_header(
    patch: PatchModule, target: TargetModule, target_module: str, target_path: str
) -> dict[str, tuple[str, ast.stmt]]:
    header_bindings: dict[str, tuple[str, ast.stmt]] = {}
    for node in patch.header:
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
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
    return header_bindings


def _needed_imports(
    patch: PatchModule,
    target: TargetModule,
    target_module: str,
    target_path: str,
    header_bindings: dict[str, tuple[str, ast.stmt]],
    sources: Sequence[Definition],
) -> list[tuple[str, ast.stmt]]:
    body = "".join(textwrap.dedent(d.source) + "\n" for d in sources)
    body_names = {d.name for d in patch.definitions}
    needed: list[tuple[str, ast.stmt]] = []
    for name in sorted(used_globals(body, patch.path) - body_names):
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
        user = next(
            (
                d.qualname
                for d in sources
                if name in used_globals(textwrap.dedent(d.source), patch.path)
            ),
            "?",
        )
        raise ForkError(
            f"{patch.path}: definition {user!r} uses {name!r}, which neither "
            f"{target_path} nor the import header binds"
        )
    return needed


def _class_node(target: TargetModule, name: str, target_path: str) -> ast.ClassDef:
    nodes = [n for n in target.definitions.get(name, []) if isinstance(n, ast.ClassDef)]
    if len(nodes) != 1:
        raise ForkError(
            f"{target_path}: expected one class {name!r} to change, found {len(nodes)}"
        )
    return nodes[0]


def _docstring_edit(node: ast.ClassDef, lines: Sequence[str], addition: str) -> Edit:
    # Add paragraphs to a class docstring, before its closing quotes.
    doc = _docstring_node(node.body)
    addition = textwrap.dedent(addition).strip("\n")
    if doc is None:
        indent = " " * (node.col_offset + 4)
        text = textwrap.indent(f'"""\n{addition}\n"""\n', indent)
        return Edit(node.body[0].lineno, node.body[0].lineno - 1, text)
    end_line = lines[doc.end_lineno - 1]
    indent = re.match(r"\s*", lines[doc.lineno - 1]).group(0)
    quote = end_line.rstrip()[-3:]
    closing = end_line.rstrip()[:-3]
    body = textwrap.indent(addition, indent)
    if closing.strip():
        text = f"{closing}\n\n{body}\n{indent}{quote}\n"
    else:
        text = f"{body}\n{indent}{quote}\n"
        text = ("\n" if lines[doc.end_lineno - 2].strip() else "") + text
    return Edit(doc.end_lineno, doc.end_lineno, text)


def splice(
    patch: PatchModule,
    target_source: str,
    *,
    target_module: str,
    target_path: str,
    carried: Iterable[str] | None = None,
    formatter: Callable[[str], str] | None = None,
) -> SpliceResult:
    """Splice definitions of a patch module into a target module's text.

    :param patch: the parsed patch module.
    :param target_source: the text of the target module.
    :param target_module: its dotted name (``numpyro.distributions.mixtures``).
    :param target_path: its path, for messages.
    :param carried: the definitions to splice, as in
        :meth:`PatchModule.qualnames`; all of them by default.
    :param formatter: formats a top-level definition's text (``ruff format``).
    :raises ForkError: naming the file and definition, when a definition is bound
        more than once or by an import in the target, when the body defines a
        private name the target defines too, when the body uses a name neither
        the target nor the header binds, or when a header binds a name to
        something else than the target.
    """
    available = patch.qualnames()
    carried = list(available if carried is None else carried)
    unknown = sorted(set(carried) - set(available))
    if unknown:
        raise ForkError(f"{patch.path}: does not define {', '.join(unknown)}")
    target = read_target(target_source, target_module, target_path)
    lines = _lines(target_source)
    header_bindings = _check_header(patch, target, target_module, target_path)

    top = [d for d in patch.definitions if d.name in carried]
    members = [
        m for c in patch.classes.values() for m in c.members if m.qualname in carried
    ]
    for definition in top:
        if definition.name.startswith("_") and definition.name in target.definitions:
            raise ForkError(
                f"{target_path}: {patch.path} defines {definition.name!r}, which is "
                "also a private helper of the target that its other definitions may "
                "call; give it another name"
            )
    for definition in [*top, *members]:
        rewrite_package_names(
            definition.source, f"{patch.path}:{definition.lineno}", in_code=False
        )
    needed = _needed_imports(
        patch, target, target_module, target_path, header_bindings, [*top, *members]
    )

    edits: list[Edit] = []
    replaced: list[str] = []
    appended: list[str] = []
    appended_text: list[str] = []
    for name, change in patch.classes.items():
        node = _class_node(target, name, target_path)
        class_members = {n: m for m in node.body for n in _defined_names(m)}
        additions = []
        if f"{name}.__doc__" in carried and change.docstring is not None:
            docstring = change.docstring.replace(PACKAGE, UPSTREAM)
            edits.append(_docstring_edit(node, lines, docstring))
            replaced.append(f"{name}.__doc__")
        for member in change.members:
            if member.qualname not in carried:
                continue
            text = rewrite_package_names(
                member.source, f"{patch.path}:{member.lineno}", in_code=False
            )
            existing = class_members.get(member.name)
            if existing is not None:
                edits.append(
                    Edit(_first_line(existing, lines), existing.end_lineno, text)
                )
                replaced.append(member.qualname)
            else:
                additions.append(text)
                appended.append(member.qualname)
        if additions:
            end = node.end_lineno
            edits.append(Edit(end + 1, end, "".join("\n" + t for t in additions)))
    for definition in top:
        if definition.name in patch.classes:
            continue
        text = rewrite_package_names(
            definition.source, f"{patch.path}:{definition.lineno}", in_code=False
        )
        if formatter is not None:
            text = formatter(text)
        if definition.name in target.definitions:
            nodes = target.definitions[definition.name]
            if len(nodes) > 1:
                raise ForkError(
                    f"{target_path}: definition {definition.name!r} is bound "
                    f"{len(nodes)} times at top level; cannot tell which to replace"
                )
            node = nodes[0]
            edits.append(Edit(_first_line(node, lines), node.end_lineno, text))
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
        end = len(lines)
        edits.append(Edit(end + 1, end, "\n\n" + "\n\n".join(appended_text)))

    new_public = [n for n in appended if "." not in n and not n.startswith("_")]
    all_node = next((n for n in target.tree.body if _is_all_assignment(n)), None)
    if all_node is not None and new_public:
        existing = {e.value for e in all_node.value.elts}  # type: ignore[attr-defined]
        missing = [n for n in new_public if n not in existing]
        if missing:
            edits.append(_all_insert_edit(all_node, lines, missing))
    edits.extend(_import_edits(target, needed))
    patched = apply_edits(target_source, edits)
    try:
        ast.parse(patched, filename=target_path)
    except SyntaxError as error:  # pragma: no cover - a bug here, not in the input
        raise ForkError(f"{target_path}: patched module does not parse: {error}")
    return SpliceResult(
        patched, replaced, appended, [name for name, _ in needed], new_public
    )


# ---------------------------------------------------------------------------
# Statement edits of NumPyro's code
# ---------------------------------------------------------------------------


@dataclass
class StatementEdit:
    """Replace, or insert text beside, statements inside a function of a target
    file, found by the first line of their source (whitespace collapsed).

    ``function`` may name several functions, one of which the target defines
    (NumPyro's master and its release differ); ``end`` is the first line of the
    last statement replaced (``start`` by default), in the same block as
    ``start``. ``captures`` maps a name to a regular expression whose first
    group, matched against the replaced statements, fills ``{name}`` in ``text``.
    """

    file: str
    function: Sequence[str]
    action: str  # "replace", "insert_after" or "insert_before"
    start: str
    text: str
    end: str | None = None
    captures: dict[str, str] = field(default_factory=dict)


def _first_source_line(node: ast.stmt) -> str:
    return " ".join(ast.unparse(node).splitlines()[0].split())


def _find_function(tree: ast.Module, qualname: str) -> ast.AST | None:
    scope: ast.AST = tree
    for part in qualname.split("."):
        scope = next(
            (
                n
                for n in getattr(scope, "body", [])
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and n.name == part
            ),
            None,
        )
        if scope is None:
            return None
    return scope


def _blocks(node: ast.AST):
    for name in ("body", "orelse", "finalbody", "handlers"):
        block = getattr(node, name, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.AST):
            yield block
            for child in block:
                yield from _blocks(child)


def edit_statements(source: str, edit: StatementEdit) -> str:
    """Apply one statement edit to a target module's text.

    :raises ForkError: if no function named in ``edit.function`` is defined, or
        the statements ``start`` (and ``end``) are not found exactly once in
        those that are.
    """
    tree = ast.parse(source)
    functions = [f for f in map(lambda q: _find_function(tree, q), edit.function) if f]
    if not functions:
        raise ForkError(
            f"{edit.file}: none of the functions {', '.join(edit.function)} is defined"
        )
    start = " ".join(edit.start.split())
    end = " ".join((edit.end or edit.start).split())
    matches = []
    for function in functions:
        for block in _blocks(function):
            for i, node in enumerate(block):
                if not _first_source_line(node).startswith(start):
                    continue
                j = next(
                    (
                        k
                        for k in range(i, len(block))
                        if _first_source_line(block[k]).startswith(end)
                    ),
                    None,
                )
                if j is not None:
                    matches.append((block[i], block[j]))
    if len(matches) != 1:
        raise ForkError(
            f"{edit.file}: statements starting {edit.start!r} found {len(matches)} "
            f"times in {', '.join(edit.function)}; expected once"
        )
    first, last = matches[0]
    lines = _lines(source)
    first_line = _first_line(first, lines)
    replaced = "".join(lines[first_line - 1 : last.end_lineno])
    values = {}
    for name, pattern in edit.captures.items():
        found = re.search(pattern, replaced)
        if found is None:
            raise ForkError(
                f"{edit.file}: {pattern!r} does not match the statements replaced"
            )
        values[name] = found.group(1)
    indent = " " * first.col_offset
    text = textwrap.indent(textwrap.dedent(edit.text.format(**values)), indent)
    if not text.endswith("\n"):
        text += "\n"
    if edit.action == "replace":
        change = Edit(first_line, last.end_lineno, text)
    elif edit.action == "insert_after":
        change = Edit(last.end_lineno + 1, last.end_lineno, text)
    elif edit.action == "insert_before":
        change = Edit(first_line, first_line - 1, text)
    else:
        raise ForkError(f"{edit.file}: unknown action {edit.action!r}")
    patched = apply_edits(source, [change])
    try:
        ast.parse(patched)
    except SyntaxError as error:
        raise ForkError(f"{edit.file}: edit gives code that does not parse: {error}")
    return patched


# ---------------------------------------------------------------------------
# Tests in NumPyro's test files
# ---------------------------------------------------------------------------


def merge_test_file(
    target_source: str,
    snippet: str,
    path: str,
    early: dict[str, list[str]] | None = None,
) -> str:
    """Add a test snippet to a NumPyro test file: its imports join the file's
    (those the file lacks), its definitions named in ``early`` go right before
    the first top-level assignment of the tables named there (those that refer
    to them), and the rest is appended."""
    early = early or {}
    tree = ast.parse(snippet, filename=path)
    lines = _lines(snippet)
    body = list(tree.body)
    if _docstring_node(body) is not None:
        body = body[1:]
    imports = []
    while body and isinstance(body[0], (ast.Import, ast.ImportFrom)):
        imports.append(body.pop(0))
    target = ast.parse(target_source)
    have = {
        ast.unparse(n)
        for n in target.body
        if isinstance(n, (ast.Import, ast.ImportFrom))
    }
    new_imports = [ast.unparse(n) + "\n" for n in imports if ast.unparse(n) not in have]
    edits = []
    before: dict[int, list[str]] = {}
    rest = []
    for node in body:
        text = "".join(lines[_first_line(node, lines) - 1 : node.end_lineno])
        names = _defined_names(node)
        tables = next((early[n] for n in names if n in early), None)
        if not tables:
            rest.append(text)
            continue
        anchor = next(
            (
                n
                for n in target.body
                if isinstance(n, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id in tables for t in n.targets)
            ),
            None,
        )
        if anchor is None:
            raise ForkError(f"{path}: no table {tables} to put {names[0]} before")
        before.setdefault(_first_line(anchor, _lines(target_source)), []).append(text)
    for line, texts in before.items():
        edits.append(Edit(line, line - 1, "".join(t + "\n\n" for t in texts)))
    if new_imports:
        top_imports = [
            n for n in target.body if isinstance(n, (ast.Import, ast.ImportFrom))
        ]
        after = top_imports[-1].end_lineno if top_imports else 0
        edits.append(Edit(after + 1, after, "".join(new_imports)))
    end = len(_lines(target_source))
    if rest:
        edits.append(Edit(end + 1, end, "\n\n" + "\n\n".join(rest)))
    return apply_edits(target_source, edits)


def extend_table(source: str, name: str, entries: Sequence[str], path: str) -> str:
    """Add entries (source text) at the end of the literal list, tuple or dict
    assigned to ``name`` at the top level of a test file."""
    tree = ast.parse(source)
    nodes = [
        n
        for n in tree.body
        if isinstance(n, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)
    ]
    if len(nodes) != 1 or not isinstance(
        nodes[0].value, (ast.List, ast.Tuple, ast.Dict)
    ):
        raise ForkError(f"{path}: no single literal table {name!r} to extend")
    value = nodes[0].value
    lines = _lines(source)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(lineno: int, col: int) -> int:
        # ast columns are UTF-8 byte offsets
        line = lines[lineno - 1]
        return starts[lineno - 1] + len(line.encode()[:col].decode())

    closing = offset(value.end_lineno, value.end_col_offset - 1)
    text = "".join(f"{entry.strip().rstrip(',')},\n" for entry in entries)
    elements = value.elts if not isinstance(value, ast.Dict) else value.values
    if not elements:
        return f"{source[:closing]}\n{text}{source[closing:]}"
    last = elements[-1]
    at = offset(last.end_lineno, last.end_col_offset)
    between = source[at:closing]
    if "," in between.split("#")[0]:
        at += between.index(",") + 1
        return f"{source[:at]}\n{text.rstrip(chr(10))}{source[at:]}"
    return f"{source[:at]},\n{text.rstrip(chr(10)).rstrip(',')}{source[at:]}"


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
# Formatting
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
