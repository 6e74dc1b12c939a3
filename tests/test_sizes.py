"""The size budget, enforced (STYLE.md §Size): no file over 400 lines, no function over 60.

Read with ``ast`` from every module of ours, the tests and the benchmarks (migrations, generated
by Alembic and never edited, are left out). A function's length is its ``def`` to its last line,
docstring included.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("bot", "handlers", "store", "messages", "tests", "bench")
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60


def sources() -> list[Path]:
    return [
        path
        for folder in FOLDERS
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def too_long(path: Path, root: Path = ROOT) -> list[str]:
    source = path.read_text(encoding="utf-8")
    name = path.relative_to(root)
    found = []
    if (lines := source.count("\n")) > MAX_FILE_LINES:
        found.append(f"{name}: {lines} lines")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(f"{name}: {node.name} is {length} lines")
    return found


def test_no_file_is_over_400_lines_and_no_function_over_60():
    assert [problem for path in sources() for problem in too_long(path)] == []


def test_the_budget_finds_a_long_function(tmp_path):
    long = tmp_path / "long.py"
    long.write_text("def f():\n" + "    x = 1\n" * 60, encoding="utf-8")
    assert too_long(long, tmp_path) == ["long.py: f is 61 lines"]
