"""No import cycle in tui_scraper, counting the imports under `if TYPE_CHECKING:`.

A cycle hidden under TYPE_CHECKING still ties the modules together (the type checker
and every reader follow it), so grimp's graph keeps those imports. import-linter's
contracts in pyproject.toml hold the app's layers; this checks the whole package, module
by module and, for each package, between its children taken whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import grimp
import pytest

# Cycles allowed to remain: none. A known cycle to be removed would be named here.
KNOWN_CYCLES: tuple[frozenset[str], ...] = ()


def cycles(edges: Mapping[str, Iterable[str]]) -> list[frozenset[str]]:
    """The graph's strongly connected parts of more than one node (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            part: set[str] = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                part.add(member)
                if member == node:
                    break
            if len(part) > 1:
                found.append(frozenset(part))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def unknown(found: list[frozenset[str]]) -> list[list[str]]:
    return [sorted(part) for part in found if not any(part <= known for known in KNOWN_CYCLES)]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("tui_scraper", exclude_type_checking_imports=False, cache_dir=None)


def test_the_cycle_finder_finds_a_cycle_and_only_it() -> None:
    found = cycles({"a": ["b"], "b": ["c", "d"], "c": ["a"], "d": []})
    assert found == [frozenset({"a", "b", "c"})]


def test_the_graph_keeps_type_checking_imports(graph: grimp.ImportGraph) -> None:
    without = grimp.build_graph("tui_scraper", exclude_type_checking_imports=True, cache_dir=None)
    assert graph.count_imports() > without.count_imports()


def test_no_module_imports_itself_round_a_cycle(graph: grimp.ImportGraph) -> None:
    edges = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    assert unknown(cycles(edges)) == []


def test_no_package_has_children_that_import_each_other_round_a_cycle(
    graph: grimp.ImportGraph,
) -> None:
    """Each package's children taken whole (a subpackage with all it holds)."""
    found: list[frozenset[str]] = []
    for package in sorted(module for module in graph.modules if graph.find_children(module)):
        children = sorted(graph.find_children(package))
        edges = {
            child: [
                other
                for other in children
                if other != child
                and graph.direct_import_exists(importer=child, imported=other, as_packages=True)
            ]
            for child in children
        }
        found += cycles(edges)
    assert unknown(found) == []
