"""What the command groups share: dates and nations that fail with one line; a fast start."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

from bot.domain.calendar import Nation
from bot.domain.errors import InvalidInput


def iso_date(value: str) -> date:
    """Parse YYYY-MM-DD for argparse, failing with a clear message."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date; write it as YYYY-MM-DD"
        ) from None


def nation(value: str) -> Nation:
    """Parse a nation for argparse, failing with a clear message."""
    try:
        return Nation.parse(value)
    except InvalidInput as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def add_nation(parser: argparse.ArgumentParser, *, required: bool) -> None:
    """Add ``--nation`` (england, wales, scotland, northern-ireland)."""
    parser.add_argument(
        "--nation",
        type=nation,
        required=required,
        default=None if required else Nation.ENGLAND,
        help="england, wales, scotland or northern-ireland"
        + ("" if required else " (default: england)"),
    )


# The holidays module that holds the bank holidays of England, Wales, Scotland and Northern Ireland.
UK_HOLIDAYS = "holidays.countries.united_kingdom"


def preload_uk_holidays() -> None:
    """Load the ``holidays`` package's United Kingdom module on its own, before a calendar needs it.

    The calendar asks ``holidays.country_holidays("GB", subdiv=...)`` for a nation's bank holidays.
    That imports the package ``holidays.countries``, whose ``__init__`` imports all of the
    package's 250-odd countries: about 100 ms, as long as the rest of ``casedesk workdays``
    together. Loaded first under its own name, the one module is found in ``sys.modules`` and the
    others are never read; it is the same code, so the days are the same.

    Only for a command's own process, which has one thread: the bot imports the package as usual.
    """
    if UK_HOLIDAYS not in sys.modules and "holidays.countries" not in sys.modules:
        load_uk_holidays_alone(UK_HOLIDAYS)


def load_uk_holidays_alone(name: str) -> ModuleType | None:
    """Load the United Kingdom module of ``holidays`` as ``name``, not running its package's init.

    Returns:
        The module, registered in ``sys.modules`` as ``name``; or None where a release of
        ``holidays`` lays its files out otherwise, and the package then loads as usual.
    """
    import holidays

    path = Path(holidays.__file__).parent / "countries" / "united_kingdom.py"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None or not path.is_file():
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception:  # a layout this code does not know: the package loads it as usual
        del sys.modules[name]
        return None
    return module
