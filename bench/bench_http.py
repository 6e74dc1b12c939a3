"""Latency of Slack requests through the real HTTP server (waitress), full stack vs bare Bolt.

Measures, in one run, each over a persistent connection, signed like Slack signs:

- casedesk: ``/review help`` through ``build_runtime`` (SQLite file, the real app, its error
  handler and middleware), which renders the help template and ``respond``s through the fake
  Slack API's response_url before answering (``process_before_response``).
- bare Bolt, no-op: an ``App`` whose ``/review`` listener only acks.
- bare Bolt, respond: the same listener also ``respond``s a fixed text, to separate the cost
  of the extra HTTP round trip from the cost of casedesk's own work.
- casedesk button click: a signed ``block_actions`` payload for the card's "Declare a conflict"
  button on a case referred in the bench's SQLite db (the example board synced first), which
  reads the case's status and opens the conflict modal through the fake Slack API's
  ``views.open``.
- bare Bolt button click: an ``App`` whose ``declare_conflict`` action listener only acks.

Prints p50/p99 over the measured requests and the process RSS after 1,000 casedesk requests.
Everything (server, fake Slack API, load generator) runs in this one process on localhost.
Run: ``.venv/bin/python bench/bench_http.py [--requests N]``. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil
from slack_bolt import App
from slack_sdk import WebClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import Settings  # noqa: E402
from bot.domain.boards import ReviewType  # noqa: E402
from bot.server import build_runtime, make_wsgi_app  # noqa: E402
from bot.services.boards import sync_board_file  # noqa: E402
from bot.services.cases import ReferCase, refer_case  # noqa: E402
from messages.ids import ActionId  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from tests.fakes.signing import (  # noqa: E402
    SIGNING_SECRET,
    USER_ID,
    block_actions_payload,
    interactive_body,
    signed_headers,
    slash_command_body,
)
from tests.fakes.slack_api import FakeSlackApi  # noqa: E402
from tests.fakes.wsgi_server import serving  # noqa: E402

BOT_TOKEN = "xoxb-bench-token"
WARMUP = 20
BOARD_FILE = Path(__file__).resolve().parents[1] / "examples" / "board.toml"


def measure(url: str, body: str, n: int) -> list[float]:
    """POST a freshly signed ``body`` ``n`` times; return each round trip in milliseconds."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    timings = []
    try:
        for i in range(WARMUP + n):
            headers = signed_headers(body, SIGNING_SECRET)
            start = time.perf_counter()
            conn.request("POST", "/slack/events", body=body.encode(), headers=headers)
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - start) * 1000
            if response.status != 200:
                raise SystemExit(f"request {i} answered {response.status}")
            if i >= WARMUP:
                timings.append(elapsed)
    finally:
        conn.close()
    return timings


def bare_app(fake: FakeSlackApi, *, respond_too: bool) -> App:
    """Return a Bolt app with one ``/review`` listener that acks (and maybe responds)."""
    app = App(
        client=WebClient(token=BOT_TOKEN, base_url=fake.base_url),
        signing_secret=SIGNING_SECRET,
        process_before_response=True,
    )

    @app.command("/review")
    def handle_review_command(ack, respond) -> None:
        ack()
        if respond_too:
            respond(text="help", response_type="ephemeral")

    return app


def bare_action_app(fake: FakeSlackApi) -> App:
    """Return a Bolt app with one ``declare_conflict`` action listener that only acks."""
    app = App(
        client=WebClient(token=BOT_TOKEN, base_url=fake.base_url),
        signing_secret=SIGNING_SECRET,
        process_before_response=True,
    )

    @app.action(ActionId.DECLARE_CONFLICT.value)
    def handle_conflict_button(ack) -> None:
        ack()

    return app


def referred_case(runtime) -> str:
    """Sync the example board into the bench db and refer one case; return its reference."""
    now = runtime.clock.now()
    with runtime.uow_factory() as uow:
        sync_board_file(BOARD_FILE, uow=uow, now=now)
    cmd = ReferCase(
        board_id="surrey-children",
        actor=USER_ID,
        review_type=ReviewType.SCR,
        pseudonym="Child A",
        subject_name="Bench Subject",
        summary="Bench referral.",
    )
    with runtime.uow_factory() as uow:
        return refer_case(cmd, uow=uow, now=now).case.reference


def report(label: str, timings: list[float]) -> None:
    """Print p50 and p99 of ``timings``."""
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    print(f"  {label:<28} p50 {cuts[49]:6.2f} ms   p99 {cuts[98]:6.2f} ms   (n={len(timings)})")


def run(n: int) -> None:
    """Run the five measurements and the RSS reading."""
    with FakeSlackApi() as fake, tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(
            {
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": fake.base_url,
                "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
            }
        )
        body = slash_command_body(text="help", response_url=fake.response_url("bench"))
        upgrade(settings.database_url)  # build_runtime refuses a database not at head
        runtime = build_runtime(settings)
        reference = referred_case(runtime)
        click = interactive_body(
            block_actions_payload(
                action_id=ActionId.DECLARE_CONFLICT.value,
                value=reference,
                response_url=fake.response_url("bench-click"),
            )
        )
        apps: list[tuple[str, Callable[[], App], str]] = [
            ("casedesk /review help", lambda: runtime.app, body),
            ("bare Bolt, no-op ack", lambda: bare_app(fake, respond_too=False), body),
            ("bare Bolt, ack + respond", lambda: bare_app(fake, respond_too=True), body),
            ("casedesk click (conflict)", lambda: runtime.app, click),
            ("bare Bolt click, no-op ack", lambda: bare_action_app(fake), click),
        ]
        print(
            f"HTTP latency through waitress on localhost, {n} requests each after {WARMUP} warm-up"
        )
        try:
            for label, make, request_body in apps:
                wsgi = make_wsgi_app(make(), health_check=runtime.health_check)
                with serving(wsgi) as url:
                    report(label, measure(url, request_body, n))
            opened = len(fake.calls_to("views.open"))
            print(f"  (views.open calls made by the casedesk click: {opened})")
            with serving(make_wsgi_app(runtime.app, health_check=runtime.health_check)) as url:
                measure(url, body, 1000 - WARMUP)
            rss = psutil.Process().memory_info().rss / (1024 * 1024)
            print(
                f"  process RSS after 1,000 more casedesk requests: {rss:.1f} MiB "
                "(server, fake Slack API and load generator together)"
            )
        finally:
            runtime.close()
        if fake.violations:
            print("  fake Slack API violations:", *fake.violations, sep="\n    ")


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="measured requests per app")
    run(max(parser.parse_args().requests, 200))


if __name__ == "__main__":
    main()
