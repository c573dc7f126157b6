"""The shape of the code: imports flow one way (faces on top, the catalogue's models at the bottom), and no
two modules import each other, directly or round a loop, function-level imports included (issue 13).

The layers are import-linter's contract in pyproject.toml ([tool.importlinter], also run by `make lint`);
the cycles are found here on grimp's import graph (the library import-linter is built on).
"""

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("cases", "observatory")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_every_import_linter_contract_is_kept():
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_contract_fails_the_check(tmp_path):
    """The check above can fail: a contract the code breaks (the services import the models) is reported."""
    config = tmp_path / "contracts.toml"
    config.write_text(
        "[tool.importlinter]\n"
        'root_packages = ["cases"]\n\n'
        "[[tool.importlinter.contracts]]\n"
        'name = "a contract the code breaks"\n'
        'type = "forbidden"\n'
        'source_modules = ["cases.services"]\n'
        'forbidden_modules = ["cases.models"]\n'
    )
    result = lint_imports("--config", str(config))
    assert result.returncode != 0
    assert "BROKEN" in result.stdout


# The faces (pyproject.toml, the contract's first layer): each stands on the layers below, never on another.
FACES = ["admin", "api", "site", "management", "middleware", "templatetags"]


def test_no_face_imports_another():
    """What two faces share lives a layer below them (cases.forms, cases.web), so none reaches another."""
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    reaching = [
        " -> ".join(chain)
        for importer in FACES
        for imported in FACES
        if importer != imported
        and (chain := graph.find_shortest_chain(f"cases.{importer}", f"cases.{imported}", as_packages=True))
    ]
    assert reaching == []


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every group of modules that import each other round a loop (the strongly connected components of the
    import graph with more than one module), each sorted, the groups in order."""
    imports = {module: sorted(graph.find_modules_directly_imported_by(module)) for module in graph.modules}
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []
    # Tarjan's algorithm, iteratively (a recursion as deep as the import chains would do too, but need not).
    for start in sorted(imports):
        if start in index:
            continue
        work = [(start, iter(imports[start]))]
        index[start] = lowest[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            module, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = lowest[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(imports[target])))
                    break
                if target in on_stack:
                    lowest[module] = min(lowest[module], index[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    lowest[parent] = min(lowest[parent], lowest[module])
                if lowest[module] == index[module]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == module:
                            break
                    if len(group) > 1:
                        cycles.append(sorted(group))
    return sorted(cycles)


def test_no_modules_import_each_other_round_a_loop():
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    cycles = import_cycles(graph)
    assert cycles == [], "import cycles:\n" + "\n".join(" <-> ".join(group) for group in cycles)


def test_the_cycle_finder_finds_loops_and_only_loops():
    graph = grimp.ImportGraph()
    for importer, imported in [
        ("app.a", "app.b"),
        ("app.b", "app.c"),
        ("app.c", "app.a"),  # a -> b -> c -> a
        ("app.d", "app.e"),
        ("app.e", "app.d"),  # d <-> e (a function-level import is an import like any other)
        ("app.f", "app.a"),  # f only leads into a loop
    ]:
        graph.add_import(importer=importer, imported=imported)
    assert import_cycles(graph) == [["app.a", "app.b", "app.c"], ["app.d", "app.e"]]
