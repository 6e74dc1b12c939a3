"""Argument types shared by the command groups: dates and nations that fail with one line."""

from __future__ import annotations

import argparse
from datetime import date

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
