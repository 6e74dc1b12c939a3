"""Fixtures for the handler tests that need a board and a case: the app and a referred case.

A test module may define its own ``app`` or ``ref`` instead; these are the common ones.
"""

from __future__ import annotations

import pytest
from slack_bolt import App

from tests.handlers.interactions import refer


@pytest.fixture
def app(make_bolt_app, uow_factory, clock, board) -> App:
    """Return the real Bolt app on the fake Slack API, the test database and the fixed clock."""
    return make_bolt_app(uow_factory=uow_factory, clock=clock)


@pytest.fixture
def ref(uow_factory, clock, board) -> str:
    """Refer an SCR to the Surrey board; return its reference."""
    return refer(uow_factory, clock)


@pytest.fixture
def reached(app, monkeypatch) -> list[object]:
    """Record every request that reaches Bolt (``app.dispatch``), then dispatch it."""
    requests: list[object] = []
    dispatch = app.dispatch

    def spy(request):
        requests.append(request)
        return dispatch(request)

    monkeypatch.setattr(app, "dispatch", spy)
    return requests
