"""Schema migrations, run from code: ``casedesk db upgrade`` and the tests call these.

The scripts live in ``store/migrations`` (shipped as package data); there is no alembic.ini.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """Return an Alembic configuration for the database at ``url``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url  # not a main option: URLs may hold '%', which ini escapes
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply every migration up to ``revision`` to the database at ``url``."""
    command.upgrade(alembic_config(url), revision)


def head_revision() -> str:
    """Return the newest migration's revision id."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database at ``engine`` is at (None: never migrated)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
