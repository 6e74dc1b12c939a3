"""``casedesk db upgrade``: apply the schema migrations to ``DATABASE_URL``."""

from __future__ import annotations

import argparse

from bot.domain.errors import InvalidInput


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``db`` group."""
    parser = sub.add_parser("db", help="database schema")
    cmds = parser.add_subparsers(dest="db_command", metavar="upgrade")
    cmds.required = True
    up = cmds.add_parser(
        "upgrade",
        help="apply every migration to DATABASE_URL (default sqlite:///casedesk.db)",
    )
    up.add_argument("--revision", default="head", help="migrate to this revision (default head)")
    up.set_defaults(handler=_upgrade)


def _upgrade(args: argparse.Namespace) -> int:
    # SQLAlchemy and Alembic load only when this command runs (a fast start for the others).
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from store.db import database_url, make_engine
    from store.migrate import current_revision, upgrade

    url = database_url()
    shown = make_url(url).render_as_string(hide_password=True)
    engine = make_engine(url)
    try:
        upgrade(url, args.revision)
        revision = current_revision(engine)
    except SQLAlchemyError as err:
        first = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
        raise InvalidInput(f"cannot migrate the database {shown}: {first}") from None
    finally:
        engine.dispose()
    print(f"database {shown} is at revision {revision}")
    return 0
