"""Slack listeners, one module per workflow step, each with ``register(app)``."""

from __future__ import annotations

from slack_bolt import App

from handlers import commands, decision, extend, home, referral, reminders, voting


def register_all(app: App) -> None:
    """Register every handler module's listeners on ``app``, in this explicit order."""
    commands.register(app)
    voting.register(app)
    decision.register(app)
    referral.register(app)
    home.register(app)
    reminders.register(app)
    extend.register(app)
