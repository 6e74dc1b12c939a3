"""The dependency rule of every layer, enforced (STYLE.md §Layout, ARCHITECTURE.md §The
dependency rule): an import that runs up a layer fails CI, and the handlers have no import circle.

Imports are read with ``ast`` from every module (nothing is imported to check), so an import
inside a function or under ``TYPE_CHECKING`` counts too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_architecture import imported_modules

ROOT = Path(__file__).resolve().parents[1]
OURS = ("bot", "handlers", "store", "messages")

ENTRY_POINTS = ("bot.__main__", "bot.cli", "bot.app", "bot.server")
"""They wire everything, so they may import anything; nothing else imports them."""

BASICS = ("bot.config", "bot.clock", "bot.logs", "bot.trouble")
"""Settings, time, logging: shared by every outer layer."""

MAY_IMPORT: dict[str, tuple[str, ...]] = {
    "bot.domain": ("bot.domain",),
    "store": ("store", "bot.domain"),
    "bot.services": ("bot.services", "bot.domain", "store", "bot.clock"),
    "messages": ("messages", "bot.domain", "bot.services.views"),
    "bot.slack": ("bot.slack", "bot.config"),
    "bot.notify": ("bot.notify", "bot.services", "bot.domain", "store", "messages", "bot.slack",
                   *BASICS),
    "bot.jobs": ("bot.jobs", "bot.notify", "bot.services", "bot.domain", "store", *BASICS),
    "handlers": ("handlers", "bot.services", "bot.domain", "messages", "store.outage", *BASICS),
    "bot.config": ("bot.config", "bot.domain"),
    "bot.clock": ("bot.clock",),
    "bot.logs": ("bot.logs", "bot.domain", "bot.slack"),
    "bot.trouble": ("bot.trouble", "store.outage"),
}  # fmt: skip
"""Layer -> the packages of ours it may import (a module belongs to its longest prefix)."""


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def modules() -> list[tuple[str, Path]]:
    found = []
    for top in OURS:
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found.append((name, path))
    return found


def imports_of(module: str, path: Path) -> set[str]:
    source = path.read_text(encoding="utf-8")
    found = imported_modules(source, module, is_package=path.name == "__init__.py")
    return {name for name in found if name.split(".")[0] in OURS}


def layer_of(module: str) -> str | None:
    layers = [layer for layer in (*MAY_IMPORT, *ENTRY_POINTS) if _within(module, (layer,))]
    return max(layers, key=len) if layers else None


def rule_breaks(module: str, imports: set[str]) -> list[str]:
    if module == "bot":
        return []  # the package's own docstring
    layer = layer_of(module)
    if layer is None:
        return [f"{module} belongs to no layer: add it to MAY_IMPORT"]
    if layer in ENTRY_POINTS:
        return []
    bad = [f"{module} imports {n} (an entry point)" for n in imports if _within(n, ENTRY_POINTS)]
    allowed = MAY_IMPORT[layer]
    for name in sorted(imports):
        if not _within(name, allowed) and not _within(name, ENTRY_POINTS):
            bad.append(f"{module} imports {name} ({layer} may import {', '.join(allowed)})")
    return bad


@pytest.mark.parametrize(("module", "path"), modules(), ids=[n for n, _ in modules()])
def test_every_module_imports_only_the_layers_below_it(module, path):
    assert rule_breaks(module, imports_of(module, path)) == []


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("bot.services.voting", "from bot.notify.owed import OWED"),
        ("bot.services.voting", "from handlers.voting import field_value"),
        ("store.models", "from bot.services.views import CaseRef"),
        ("bot.notify.delivery", "from handlers.context import Deps"),
        ("bot.jobs.sweep", "from bot.server import build_runtime"),
        ("bot.slack.gateway", "from store.models import OutboxRow"),
        ("handlers.voting", "from store.repositories import CASE_ACCESS"),
        ("handlers.voting", "from bot.notify.sender import Sender"),
        ("messages.render", "from store.models import CaseRow"),
    ],
)
def test_the_checker_catches_an_import_up_a_layer(module, line):
    assert rule_breaks(module, imported_modules(line, module))


def test_the_handlers_import_no_circle():
    graph = {
        name: {i for i in imports_of(name, path) if i.startswith("handlers.")}
        for name, path in modules()
        if name.startswith("handlers.")
    }
    seen: set[str] = set()

    def visit(node: str, trail: tuple[str, ...]) -> None:
        assert node not in trail, "import circle: " + " -> ".join((*trail, node))
        if node in seen:
            return
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, (*trail, node))
        seen.add(node)

    for name in sorted(graph):
        visit(name, ())
