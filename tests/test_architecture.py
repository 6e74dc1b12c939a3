"""The dependency rule, enforced: ``bot.domain`` imports only the standard library and ``holidays``.

Source: STYLE.md §Layout ("bot.domain → nothing of ours") and ARCHITECTURE.md. The imports are
read with ``ast`` from every ``.py`` file under ``bot/domain`` (nothing is imported to check), so
an import inside a function or under ``TYPE_CHECKING`` counts too.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = ROOT / "bot" / "domain"

FORBIDDEN = {
    "slack_bolt",
    "slack_sdk",
    "sqlmodel",
    "sqlalchemy",
    "jinja2",
    "apscheduler",
    "store",
    "handlers",
    "messages",
}
THIRD_PARTY_ALLOWED = {"holidays"}


def imported_modules(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Return the absolute names of the modules ``source`` (module ``module``) imports."""
    names: set[str] = set()
    package = module if is_package else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            names.add(target)
    return names


def violations(module: str, imports: set[str]) -> list[str]:
    """Return the imports of ``module`` that break the domain's dependency rule."""
    bad = []
    for name in sorted(imports):
        top = name.split(".")[0]
        if top in FORBIDDEN or top.startswith("slack"):
            bad.append(f"{module} imports {name} (an outer layer or framework)")
        elif top == "bot":
            if not (name == "bot.domain" or name.startswith("bot.domain.")):
                bad.append(f"{module} imports {name} (bot.domain may import only bot.domain)")
        elif top not in sys.stdlib_module_names and top not in THIRD_PARTY_ALLOWED:
            bad.append(f"{module} imports {name} (only the standard library and holidays)")
    return bad


def domain_modules() -> list[tuple[str, Path]]:
    files = sorted(DOMAIN.rglob("*.py"))
    return [
        (".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"), p)
        for p in files
    ]


def test_the_domain_package_has_modules_to_check():
    names = [name for name, _ in domain_modules()]
    assert "bot.domain.calendar" in names
    assert "bot.domain.protocols" in names


@pytest.mark.parametrize(
    ("module", "path"), domain_modules(), ids=[name for name, _ in domain_modules()]
)
def test_domain_module_imports_only_stdlib_holidays_and_the_domain(module, path):
    source = path.read_text(encoding="utf-8")
    imports = imported_modules(source, module, is_package=path.name == "__init__.py")
    assert violations(module, imports) == []


@pytest.mark.parametrize(
    "line",
    [
        "import slack_bolt",
        "from slack_sdk.models import blocks",
        "import slack_something_new",
        "from sqlmodel import Session",
        "import sqlalchemy as sa",
        "from jinja2 import Environment",
        "from apscheduler.schedulers.background import BackgroundScheduler",
        "from store.models import Case",
        "import handlers.votes",
        "from messages import render",
        "from bot.services import voting",
        "from bot import config",
        "from ..services import voting",
        "import requests",
        "def later():\n    import sqlalchemy",
    ],
)
def test_the_checker_catches_a_forbidden_import(line):
    imports = imported_modules(line, "bot.domain.example")
    assert violations("bot.domain.example", imports)


@pytest.mark.parametrize(
    "line",
    [
        "from bot.domain.errors import InvalidInput",
        "from .calendar import WorkingCalendar",
        "import holidays",
        "from datetime import date",
        "from __future__ import annotations",
    ],
)
def test_the_checker_allows_stdlib_holidays_and_the_domain(line):
    imports = imported_modules(line, "bot.domain.example")
    assert violations("bot.domain.example", imports) == []


def test_relative_imports_in_a_package_init_resolve_inside_the_package():
    imports = imported_modules("from .calendar import Nation", "bot.domain", is_package=True)
    assert imports == {"bot.domain.calendar"}
    assert violations("bot.domain", imports) == []
