"""The layout reads top-down (bot/__init__.py): drawn again here from the code's own
imports (the AST, nothing is imported), no package imports one above it, and no two
packages import each other, even through others."""

import ast

from bot.settings import PROJECT_ROOT

# Top first. A module directly under bot/ (but app.py) is the ground.
LAYERS = [
    {"bot.app", "bot.ops"},
    {"actions", "bot.api", "bot.console", "bot.lti", "bot.obf_sandbox"},
    {"bot.chat", "bot.verify", "bot.obf", "bot.db", "bot.http"},
    {"falc"},  # a library: the actions and the `bagou` command read it
]
GROUND = len(LAYERS)
PACKAGES = ("bot", "actions", "falc", "rasa_ext")


def unit(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "bot" and len(parts) > 1 else parts[0]


def layer(name: str) -> int:
    for index, names in enumerate(LAYERS):
        if name in names:
            return index
    assert name.startswith("bot.") and (PROJECT_ROOT / f"{name.replace('.', '/')}.py").exists(), (
        f"{name}: a new package, give it its layer in tests/test_layers.py")
    return GROUND


def _runtime_imports(tree: ast.Module):
    """Imports that run: not those under `if TYPE_CHECKING:`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module == "bot":
            yield from (f"bot.{alias.name}" for alias in node.names)  # from bot import texts
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def import_graph() -> dict[str, dict[str, str]]:
    """unit -> {imported unit: the first module that imports it}."""
    graph: dict[str, dict[str, str]] = {}
    for package in PACKAGES:
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            module = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
            source = unit(module.removesuffix(".__init__"))
            found = graph.setdefault(source, {})
            for name in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
                target = unit(name)
                if name.split(".")[0] in PACKAGES and target not in (source, "bot"):
                    found.setdefault(target, module)
    return graph


def test_no_package_imports_a_higher_layer_and_rasa_ext_imports_none_of_ours():
    graph = import_graph()
    upward = [f"{graph[source][target]} imports {target}"
              for source in graph if source != "rasa_ext"
              for target in graph[source] if target != "rasa_ext"
              and layer(target) < layer(source)]
    assert upward == []
    # Code that runs inside Rasa (Python 3.10, Rasa's pins) cannot import ours.
    assert graph.get("rasa_ext", {}) == {}
    # Only the `bagou` command starts Rasa's side.
    assert {s for s in graph if "rasa_ext" in graph[s]} <= {"bot.ops"}


def test_no_two_packages_import_each_other():
    graph = {source: set(targets) for source, targets in import_graph().items()}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for target in graph.get(start, ()):
            if target == goal or (target not in seen and reaches(target, goal, seen | {target})):
                return True
        return False

    cycles = sorted(f"{a} -> {b} -> … -> {a}" for a in graph for b in graph[a]
                    if reaches(b, a, {b}))
    assert cycles == []
