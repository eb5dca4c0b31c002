"""The package's layout: small modules, no import cycles, no hidden imports, and every folder says what it is."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "kcrecord"
MAX_LINES = 400

# Function-level imports of kcrecord modules inside kcrecord, each with the reason it cannot be at the top.
ALLOWED_LOCAL_IMPORTS = {
    ("kcrecord.cli", "kcrecord.preview.serve"): "tornado and livereload are loaded only for `build.py serve`",
    ("kcrecord.cli", "kcrecord.new_incident"): "each command loads only what it uses (a build starts sooner)",
    ("kcrecord.cli", "kcrecord.importers.wapo_cli"): "each command loads only what it uses (a build starts sooner)",
    ("kcrecord.cli", "kcrecord.outputs.review"): "each command loads only what it uses (a build starts sooner)",
    ("kcrecord.engine.progress", "kcrecord.engine.progress_bars"): "rich is loaded only when bars are drawn",
}


def modules() -> dict[str, Path]:
    """Return every module of the package by its dotted name."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _resolve(name: str, node: ast.ImportFrom | ast.Import, known: dict[str, Path]) -> list[str]:
    """Return the kcrecord modules an import statement in module `name` loads."""
    targets: list[str] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            targets.append(alias.name)
    else:
        base = node.module or ""
        if node.level:
            package = name.split(".")
            if known[name].name != "__init__.py":
                package = package[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join(package + ([base] if base else []))
        for alias in node.names:  # `from package import module` loads the module, else a name of base
            targets.append(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    loaded: list[str] = []
    for target in targets:
        # `import a.b.c` loads a, a.b and a.b.c; count the deepest module that exists.
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target.startswith("kcrecord") and target not in loaded:
            loaded.append(target)
    return loaded


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_graph() -> tuple[dict[str, set[str]], list[tuple[str, int, str]]]:
    """Return each module's top-level kcrecord imports, and every import made inside a function or class."""
    known = modules()
    graph: dict[str, set[str]] = {name: set() for name in known}
    local: list[tuple[str, int, str]] = []
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))

        def visit(node: ast.AST, nested: bool, name: str = name) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    for target in _resolve(name, child, known):
                        if nested:
                            local.append((name, child.lineno, target))
                        elif target != name:
                            graph[name].add(target)
                    if nested and not _resolve(name, child, known):
                        local.append((name, child.lineno, ast.unparse(child)))
                elif isinstance(child, ast.If) and _is_type_checking(child):
                    continue  # never run
                else:
                    inner = nested or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                    visit(child, inner)

        visit(tree, False)
    return graph, local


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def connect(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(REPO)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these modules into smaller ones named for what they do (at most {MAX_LINES} lines)"


def test_no_import_cycles() -> None:
    graph, _ = import_graph()
    assert cycles(graph) == []


def test_the_import_graph_sees_imports() -> None:
    graph, local = import_graph()
    assert "kcrecord.content.load" in graph["kcrecord.content.validate"]
    assert "kcrecord.content.yaml_strict" in graph["kcrecord.content.load"]  # `from kcrecord.content import x`
    assert ("kcrecord.cli", "kcrecord.preview.serve") in {(module, target) for module, _, target in local}
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_function_level_imports_of_kcrecord_modules() -> None:
    _, local = import_graph()
    hidden = sorted(
        f"{module}:{line} imports {target}"
        for module, line, target in local
        if target.startswith("kcrecord") and (module, target) not in ALLOWED_LOCAL_IMPORTS
    )
    assert hidden == [], "import these at the top of the module (or say in ALLOWED_LOCAL_IMPORTS why not)"
    used = {(module, target) for module, _, target in local}
    assert set(ALLOWED_LOCAL_IMPORTS) <= used, "an allowed function-level import is gone: drop it from the list"


def test_every_sub_package_says_what_it_is() -> None:
    for folder in sorted(p for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"):
        if not any(folder.glob("*.py")):
            continue  # data only, such as templates
        init = folder / "__init__.py"
        assert init.is_file(), f"{folder.relative_to(REPO)} has no __init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc, f"{init.relative_to(REPO)} has no docstring"
        assert len(doc.split()) >= 8 and doc.rstrip().endswith("."), (
            f"{init.relative_to(REPO)}: say in a sentence or two what this part of the package does"
        )
