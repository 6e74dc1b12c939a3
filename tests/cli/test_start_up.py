"""A fast CLI (issue #14): ``workdays`` and ``deadlines`` load no framework, store or template.

Scripts call ``casedesk workdays`` and ``casedesk deadlines`` thousands of times, so each command
group imports its heavy dependencies inside the function that runs it. The one subprocess check
runs the commands the way the console script does (``from bot.__main__ import main``) in a fresh
interpreter and lists what got loaded; the AST check keeps every command module's top level to
the standard library and ``bot.domain``, so a new top-level import fails here, not in a bench.
The two commands load the ``holidays`` package's United Kingdom module alone (not its 250-odd
countries); a test checks that copy gives the same bank holidays, names included.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import holidays
import holidays.countries  # the usual path, loaded before any test could preload the UK alone
import pytest

from bot.__main__ import main
from bot.cli.common import load_uk_holidays_alone
from bot.domain.calendar import Nation

ROOT = Path(__file__).resolve().parents[2]
CLI_MODULES = sorted((ROOT / "bot" / "cli").glob("*.py")) + [ROOT / "bot" / "__main__.py"]

# Packages that must not load for `workdays` and `deadlines` (the list, and our own
# layers that pull them in).
FORBIDDEN = (
    "alembic",
    "apscheduler",
    "handlers",
    "jinja2",
    "messages",
    "psycopg",
    "pydantic",
    "pydantic_settings",
    "slack_bolt",
    "slack_sdk",
    "sqlalchemy",
    "sqlmodel",
    "store",
    "waitress",
)

COMMANDS = (
    ("workdays", "add", "2026-12-21", "5", "--nation", "england"),
    ("workdays", "count", "2026-12-21", "2027-01-08", "--nation", "scotland"),
    ("deadlines", "--protocol", "surrey", "--event", "decision=2026-12-21", "--json"),
)

# Builds the parser (what `casedesk --help` does), then runs each command through main() with
# stdout captured, and prints what it saw as JSON.
SCRIPT = """
import contextlib, io, json, sys
from bot.__main__ import build_parser, main
build_parser()
holidays_for_the_parser = "holidays" in sys.modules
runs = []
for argv in json.loads(sys.argv[1]):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(argv)
    runs.append([code, out.getvalue()])
forbidden = set(json.loads(sys.argv[2]))
loaded = sorted({m.split(".")[0] for m in sys.modules} & forbidden)
countries = sorted(m for m in sys.modules if m.startswith("holidays.countries"))
print(json.dumps({"parser_loads_holidays": holidays_for_the_parser, "runs": runs,
                  "loaded": loaded, "countries": countries}))
"""


def test_workdays_and_deadlines_run_without_loading_a_framework_store_or_template():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(COMMANDS), json.dumps(FORBIDDEN)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=ROOT,
    )
    seen = json.loads(done.stdout)

    assert seen["loaded"] == []
    assert seen["parser_loads_holidays"] is False
    # The United Kingdom's holidays alone, not the package of every country (preload_uk_holidays).
    assert seen["countries"] == ["holidays.countries.united_kingdom"]
    (add_code, add_out), (count_code, count_out), (json_code, json_out) = seen["runs"]
    # 24 Dec, then Christmas and Boxing Day (substitute Monday 28th) are skipped in England.
    assert (add_code, add_out) == (0, "2026-12-30\n")
    # Scotland: 1 January and the substitute for Saturday 2 January 2027 (Monday 4th) are off.
    assert (count_code, count_out) == (0, "10\n")
    rows = json.loads(json_out)
    assert json_code == 0
    assert {"rule": "national-bodies-informed", "due": "2026-12-30"}.items() <= rows[0].items()
    assert all(row["event"] == "decision" for row in rows)


def top_level_imports(source: str) -> list[str]:
    """Return the modules ``source`` imports when it is imported.

    Everything outside function bodies counts (module level, classes, ``try`` and ``if``
    blocks) except the body of ``if TYPE_CHECKING:``, which never runs.
    """
    names: list[str] = []
    pending: list[ast.AST] = list(ast.parse(source).body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names.append(node.module or "")
        elif isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            pending.extend(node.orelse)
        else:
            pending.extend(ast.iter_child_nodes(node))
    return sorted(names)


def light(name: str) -> bool:
    """Say whether a top-level import is cheap enough for every command's start-up."""
    top = name.split(".")[0]
    if top == "bot":
        return name.startswith(("bot.cli", "bot.domain"))
    return top in sys.stdlib_module_names or top == "__future__"


def test_every_command_module_imports_only_the_standard_library_and_domain_at_top_level():
    assert len(CLI_MODULES) >= 9  # the seven groups, their shared helpers and the entry point
    heavy = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in CLI_MODULES
        for name in top_level_imports(path.read_text(encoding="utf-8"))
        if not light(name)
    ]
    assert heavy == []


def test_the_check_catches_a_top_level_import_but_not_one_run_later():
    source = """
from __future__ import annotations
import argparse
from typing import TYPE_CHECKING
from bot.domain.errors import InvalidInput
try:
    import jinja2
except ImportError:
    pass
if TYPE_CHECKING:
    from bot.services.boards import BoardsSynced
else:
    from slack_bolt import App
from store.db import make_engine

def upgrade():
    from sqlalchemy import inspect
"""
    heavy = [name for name in top_level_imports(source) if not light(name)]
    assert heavy == ["jinja2", "slack_bolt", "store.db"]


def test_audit_export_formats_match_the_service_the_command_calls():
    from bot.cli.audit import FORMATS
    from bot.services.audit import ExportFormat

    assert FORMATS == tuple(f.value for f in ExportFormat)
    assert FORMATS[0] == ExportFormat.CSV


@pytest.mark.parametrize("nation", list(Nation), ids=str)
def test_the_uk_module_loaded_alone_gives_the_same_holidays_as_the_package(nation):
    years = range(1995, 2056)
    public = holidays.country_holidays("GB", subdiv=nation.subdivision, years=years)
    alone = load_uk_holidays_alone("casedesk_uk_holidays_alone")
    try:
        assert alone is not None
        assert alone.UnitedKingdom is not holidays.countries.UnitedKingdom  # a second copy
        own = alone.UnitedKingdom(subdiv=nation.subdivision, years=years)
    finally:
        sys.modules.pop("casedesk_uk_holidays_alone", None)
    assert sorted(own.items()) == sorted(public.items())
    assert len(public) >= 8 * len(years)  # every nation has at least 8 bank holidays a year


def test_main_in_process_prints_the_working_day_and_returns_zero(capsys):
    code = main(["workdays", "add", "2026-04-07", "-1", "--nation", "england"])
    # Good Friday (3 April) and Easter Monday (6 April) are skipped going back.
    assert (code, capsys.readouterr().out) == (0, "2026-04-02\n")
