"""Run ``casedesk`` as a board manager would, in-process, or as the installed script.

The ``casedesk`` fixture returns a function running ``casedesk *args`` and returning a
:class:`Result` (exit status, stdout, stderr). It calls :func:`bot.__main__.main` in the test's
own process, as the installed script does (``sys.exit(main())``): a ``SystemExit`` (argparse's
usage errors, ``--help``) gives its status, and an exception that escapes ``main`` gives status 1
and a traceback on stderr, as the interpreter would. A test marked ``entry_point`` runs the
installed script in a subprocess instead: those few keep the real end-to-end check (the console
script, the import of every command group, a fresh interpreter's streams and exit status) that
every test paid about a second for.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.__main__ import main


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


def run_installed(*args: str) -> Result:
    """Run the installed ``casedesk`` script in a subprocess."""
    exe = casedesk_executable()
    done = subprocess.run([exe, *args], capture_output=True, text=True, timeout=60, check=False)
    return Result(done.returncode, done.stdout, done.stderr)


def _exit_status(code: object) -> int:
    """Return the status ``sys.exit(code)`` gives the process (a message is printed first)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def run_in_process(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    """Run ``main(args)`` here, with what it prints captured."""
    capsys.readouterr()  # start from nothing printed
    try:
        code = _exit_status(main(list(args)))
    except SystemExit as done:
        code = _exit_status(done.code)
    except Exception:  # reported as the interpreter would: a traceback, status 1
        traceback.print_exc()
        code = 1
    out, err = capsys.readouterr()
    return Result(code, out, err)


@pytest.fixture
def casedesk(request: pytest.FixtureRequest, capsys) -> Callable[..., Result]:
    """Return a function running ``casedesk *args`` and returning its :class:`Result`."""
    if request.node.get_closest_marker("entry_point"):
        return run_installed
    return lambda *args: run_in_process(capsys, *args)
