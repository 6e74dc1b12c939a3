"""Run the installed ``casedesk`` entry point in a subprocess, as a board manager would."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest


def casedesk_executable() -> str:
    """Return the installed ``casedesk`` script beside this interpreter, or the one on PATH."""
    beside = Path(sys.executable).parent / "casedesk"
    if beside.exists():
        return str(beside)
    found = shutil.which("casedesk")
    if found is None:
        pytest.fail("the casedesk entry point is not installed (pip install -e .)")
    return found


@dataclass(frozen=True)
class Result:
    """What a run of the command printed and returned."""

    code: int
    stdout: str
    stderr: str


@pytest.fixture(scope="session")
def casedesk():
    """Return a function running ``casedesk *args`` and returning its :class:`Result`."""
    exe = casedesk_executable()

    def run(*args: str) -> Result:
        done = subprocess.run([exe, *args], capture_output=True, text=True, timeout=60, check=False)
        return Result(done.returncode, done.stdout, done.stderr)

    return run
