"""Fixtures shared by the Slack handler tests (a module's own fixture of the same name wins).

- ``app``: the real Bolt app against the fake Slack API, on the test database and clock, with
  the example board synced.
- ``ref``: the reference of an SCR referred to the Surrey board (no card posted).
"""

from __future__ import annotations

import pytest

from tests.slack.interactions import refer


@pytest.fixture
def app(make_bolt_app, uow_factory, clock, board):
    return make_bolt_app(uow_factory=uow_factory, clock=clock)


@pytest.fixture
def ref(uow_factory, clock, board) -> str:
    return refer(uow_factory, clock)
