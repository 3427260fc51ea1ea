"""The package's import graph: no circles, and no import from a lower layer into a higher one.

Read from the source with ``ast`` (imports at module level and inside functions alike), so an
import hidden in a function to dodge a circle is caught too.
"""
from __future__ import annotations

import ast
import pathlib

import networkx as nx

ROOT = pathlib.Path(__file__).resolve().parents[1] / "sne_pyg"

# layer of every top-level part of the package: a module may import its own layer or lower ones
LAYERS = {
    "segment": 1, "process_group": 1, "cpu_allocator": 1, "argtypes": 1, "json_files": 1, "data": 1,
    "nn": 2, "symmetry": 2, "zoos": 2,
    "train": 3, "converters": 3, "ssl": 3, "probe": 3, "reducers": 3,
    "experiments": 4, "plots": 4,
    "cli": 5, "demo": 5,
}


def module_name(path: pathlib.Path) -> str:
    parts = ["sne_pyg", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, pathlib.Path]:
    return {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def imports_of(name: str, path: pathlib.Path, known: set[str]) -> list[tuple[str, int]]:
    """``(imported sne_pyg module, line)`` for every import in the file; ``from pkg import sub`` names ``pkg.sub``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names if alias.name.startswith("sne_pyg")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("sne_pyg"):
                continue
            subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known]
            out += [(t, node.lineno) for t in subs] if len(subs) == len(node.names) else [(target, node.lineno)]
    return out


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None   # the package root (front door) is exempt


def import_graph() -> nx.DiGraph:
    found = modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(found)
    for name, path in found.items():
        for target, line in imports_of(name, path, set(found)):
            if target != name:
                graph.add_edge(name, target, line=line)
    return graph


def test_every_part_of_the_package_has_a_layer():
    parts = {m.split(".")[1] for m in modules() if m.count(".") >= 1}
    assert parts <= set(LAYERS), f"give these a layer in LAYERS: {sorted(parts - set(LAYERS))}"


def test_no_import_circles():
    cycles = [sorted(c) for c in nx.strongly_connected_components(import_graph()) if len(c) > 1]
    assert not cycles, f"import circles: {cycles}"


def test_no_import_from_a_lower_layer_into_a_higher_one():
    upward = [f"{a} (layer {layer_of(a)}) line {d['line']} imports {b} (layer {layer_of(b)})"
              for a, b, d in import_graph().edges(data=True)
              if layer_of(a) is not None and layer_of(b) is not None and layer_of(b) > layer_of(a)]
    assert not upward, "\n".join(upward)


def test_the_checks_see_imports_hidden_in_functions(tmp_path):
    """The reader finds a function-level relative import (so a hidden upward import cannot pass)."""
    source = tmp_path / "mod.py"
    source.write_text("def f():\n    from ..train.loop import fit\n    return fit\n")
    assert imports_of("sne_pyg.data.mod", source, {"sne_pyg.train.loop"}) == [("sne_pyg.train.loop", 2)]

