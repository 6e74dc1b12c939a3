"""Latency of Slack requests through the real HTTP server (waitress): casedesk vs bare Bolt.

Every app below is served the same way, in one run: ``make_wsgi_app`` on the bot's own waitress
set-up, one persistent connection, each request freshly signed like Slack signs it (the signing
is done before the clock starts; Bolt's verification of it is inside every figure). The load
generator runs in this process too, on localhost; the fake Slack Web API runs in a process of its
own, as Slack's API is not in the bot's process (in this one, the fake's checking of each call
against Slack's method specs and ``slack_sdk.models`` would hold the interpreter's lock and count
as the bot's latency).

The slash command, ``/review help``:

- casedesk: the real app from ``build_runtime`` (SQLite file, middleware, error handler, the
  router), which renders the help template and returns it as the acknowledgement's body (the
  HTTP response), with no request to the response_url (``handlers.reply``).
- bare Bolt, no-op: an ``App`` whose ``/review`` listener only acks, empty. The raw baseline.
- bare Bolt, same answer in ack: the listener acks with the same help message in the body, rendered
  once before the run. The fair baseline: it answers as casedesk answers (same bytes back, no
  Slack call), so the ratio against it is casedesk's own overhead (routing, rendering, its
  middleware). Before casedesk answered in its ack, both ``respond``ed to the response_url
  instead: that round trip to the fake Slack API was inside both figures.

The button click, "Declare a conflict" on a case referred in the bench's database:

- casedesk: reads the case for the person (the case, its board, their membership and roles, in
  one statement) and opens the conflict modal through the fake's ``views.open``.
- bare Bolt, no-op: an action listener that only acks. The raw baseline.
- bare Bolt, same call: the listener acks and calls ``views.open`` with the same modal, rendered
  once before the run. The fair baseline: the ratio against it is casedesk's database read,
  rendering and middleware.

Each line prints p50 and p99; the ratio lines divide casedesk's p50 by each baseline's p50 (raw:
everything casedesk does beyond an empty ack, the click's Slack round trip included; fair:
casedesk's own work). The count of response_url posts shows the slash commands made none.
Then the process RSS after 1,000 more casedesk requests. Figures vary with the machine's load:
compare runs made one after the other, never with a threshold in a test.
Run: ``.venv/bin/python bench/bench_http.py [--requests N]``. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from slack_bolt import App
from slack_sdk import WebClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import Settings  # noqa: E402
from bot.domain.boards import ReviewType  # noqa: E402
from bot.domain.limits import MAX_LENGTH  # noqa: E402
from bot.server import build_runtime, make_wsgi_app, signing_secret  # noqa: E402
from bot.services.boards import sync_board_file  # noqa: E402
from bot.services.cases import ReferCase, refer_case  # noqa: E402
from bot.services.queries import case_by_ref  # noqa: E402
from messages.ids import ActionId  # noqa: E402
from messages.render import render_message, render_view  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from tests.fakes.signing import (  # noqa: E402
    SIGNING_SECRET,
    USER_ID,
    block_actions_payload,
    interactive_body,
    signed_headers,
    slash_command_body,
)
from tests.fakes.slack_api import RESPONSE_URL, FakeSlackApi  # noqa: E402
from tests.fakes.wsgi_server import serving  # noqa: E402

BOT_TOKEN = "xoxb-bench-token"
WARMUP = 20
ROUND = 25
BOARD_FILE = Path(__file__).resolve().parents[1] / "examples" / "board.toml"


def _serve_fake(conn) -> None:
    """Run the fake Slack Web API until told to stop; then send back what it was asked."""
    with FakeSlackApi() as fake:
        conn.send(fake.url)
        conn.recv()
        conn.send((Counter(call.method for call in fake.calls), list(fake.violations)))


@dataclass
class RemoteSlackApi:
    """The fake Slack Web API (``tests.fakes.slack_api``) in a process of its own, as Slack is.

    In the bench's own process its checking of every call (method specs, ``slack_sdk.models``)
    would take the interpreter's lock from the servers it answers, and count as their latency.
    """

    url: str = ""
    counts: Counter = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)

    def __enter__(self) -> RemoteSlackApi:
        self._conn, child = multiprocessing.get_context("spawn").Pipe()
        self._process = multiprocessing.get_context("spawn").Process(
            target=_serve_fake, args=(child,), daemon=True
        )
        self._process.start()
        self.url = self._conn.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.send("stop")
        self.counts, self.violations = self._conn.recv()
        self._process.join(timeout=10)

    @property
    def base_url(self) -> str:
        """Return the Web API base URL to give a WebClient (``SLACK_API_URL``)."""
        return f"{self.url}/api/"

    def response_url(self, name: str) -> str:
        """Return a ``response_url`` to put in a payload."""
        return f"{self.url}/response/{name}"


def measure(url: str, body: str, n: int, *, warmup: int = WARMUP) -> list[float]:
    """POST a freshly signed ``body`` ``n`` times; return each round trip in milliseconds."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    timings = []
    try:
        for i in range(warmup + n):
            headers = signed_headers(body, SIGNING_SECRET)
            start = time.perf_counter()
            conn.request("POST", "/slack/events", body=body.encode(), headers=headers)
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - start) * 1000
            if response.status != 200:
                raise SystemExit(f"request {i} answered {response.status}")
            if i >= warmup:
                timings.append(elapsed)
    finally:
        conn.close()
    return timings


def interleaved(targets: list[tuple[str, str]], n: int) -> list[list[float]]:
    """Measure every (url, body) ``n`` times, in rounds of ``ROUND`` requests each in turn.

    Interleaving spreads any change in the machine's load over every app alike, so the ratios
    compare like with like.
    """
    timings: list[list[float]] = [measure(url, body, 0) for url, body in targets]  # warm-up
    for done in range(0, n, ROUND):
        for i, (url, body) in enumerate(targets):
            timings[i] += measure(url, body, min(ROUND, n - done), warmup=0)
    return timings


def bare_app(fake: RemoteSlackApi, *, answer: dict | None) -> App:
    """Return a Bolt app whose ``/review`` listener acks, empty or with ``answer`` as its body."""
    app = App(
        client=WebClient(token=BOT_TOKEN, base_url=fake.base_url),
        signing_secret=SIGNING_SECRET,
        process_before_response=True,
    )

    @app.command("/review")
    def handle_review_command(ack) -> None:
        if answer is None:
            ack()
        else:
            ack(**answer, response_type="ephemeral")

    return app


def bare_action_app(fake: RemoteSlackApi, *, open_view: dict | None) -> App:
    """Return a Bolt app whose ``declare_conflict`` listener acks (and opens ``open_view``)."""
    app = App(
        client=WebClient(token=BOT_TOKEN, base_url=fake.base_url),
        signing_secret=SIGNING_SECRET,
        process_before_response=True,
    )

    @app.action(ActionId.DECLARE_CONFLICT.value)
    def handle_conflict_button(ack, body, client) -> None:
        ack()
        if open_view is not None:
            client.views_open(trigger_id=body["trigger_id"], view=open_view)

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


def report(label: str, timings: list[float]) -> float:
    """Print p50 and p99 of ``timings``; return the p50."""
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    print(f"  {label:<34} p50 {cuts[49]:6.2f} ms   p99 {cuts[98]:6.2f} ms   (n={len(timings)})")
    return cuts[49]


def fixed_messages(runtime, reference: str) -> tuple[dict, dict]:
    """Render, once, the help message and the conflict modal the bare apps send."""
    with runtime.uow_factory() as uow:
        case = case_by_ref(reference, USER_ID, uow=uow)
    help_message = render_message("help", command="/review", unknown=None)
    metadata = json.dumps({"case": case.reference, "board": case.board_id})
    return help_message, render_view(
        "conflict_modal", case=case, metadata=metadata, limits=MAX_LENGTH
    )


Target = tuple[str, Callable[[], App], str]
"""What is measured: a label, a function that builds the app, the body of the request it gets."""


def run(n: int) -> None:
    """Run the six measurements, print the ratios and the RSS reading."""
    with RemoteSlackApi() as fake, tempfile.TemporaryDirectory() as tmp:
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
        secret = signing_secret(runtime.settings)
        apps = targets(runtime, fake, body)
        print(
            f"HTTP latency through waitress on localhost, {n} requests each after {WARMUP} "
            f"warm-up, interleaved in rounds of {ROUND}"
        )
        try:
            compare(apps, runtime, secret, n)
            report_rss(runtime, secret, body)
        finally:
            runtime.close()
    opened, posted = fake.counts["views.open"], fake.counts[RESPONSE_URL]
    print(f"  (views.open calls made by the two clicks that open the modal: {opened})")
    print(f"  (response_url posts made by the slash commands: {posted})")
    if fake.violations:
        print("  fake Slack API violations:", *fake.violations, sep="\n    ")


def targets(runtime, fake: RemoteSlackApi, body: str) -> list[Target]:
    """Return the six apps to measure: casedesk and two bare baselines, for a command and a click.

    The click is on a case referred in the bench's database; the bare apps answer with the help
    message and the conflict modal rendered once here.
    """
    reference = referred_case(runtime)
    help_message, modal = fixed_messages(runtime, reference)
    click = interactive_body(
        block_actions_payload(
            action_id=ActionId.DECLARE_CONFLICT.value,
            value=reference,
            response_url=fake.response_url("bench-click"),
        )
    )
    return [
        ("casedesk /review help", lambda: runtime.app, body),
        ("bare Bolt, no-op ack", lambda: bare_app(fake, answer=None), body),
        ("bare Bolt, same answer in ack", lambda: bare_app(fake, answer=help_message), body),
        ("casedesk click (conflict)", lambda: runtime.app, click),
        ("bare Bolt click, no-op ack", lambda: bare_action_app(fake, open_view=None), click),
        (
            "bare Bolt click, same views.open",
            lambda: bare_action_app(fake, open_view=modal),
            click,
        ),
    ]


def compare(apps: list[Target], runtime, secret: str, n: int) -> None:
    """Serve every app, measure them interleaved; print each p50 and p99, then the ratios."""
    p50 = {}
    with ExitStack() as servers:
        urls = [
            servers.enter_context(
                serving(
                    make_wsgi_app(make(), signing_secret=secret, health_check=runtime.health_check)
                )
            )
            for _, make, _ in apps
        ]
        timings = interleaved([(u, b) for u, (_, _, b) in zip(urls, apps, strict=True)], n)
    for (label, _, _), measured in zip(apps, timings, strict=True):
        p50[label] = report(label, measured)
    for kind, mine, raw, fair in (
        ("slash", *[label for label, _, _ in apps[:3]]),
        ("click", *[label for label, _, _ in apps[3:]]),
    ):
        print(
            f"  {kind}: casedesk / bare no-op = {p50[mine] / p50[raw]:.1f}x (raw), "
            f"casedesk / {re.sub(r'^bare Bolt( click)?, ', 'bare ', fair)} = "
            f"{p50[mine] / p50[fair]:.1f}x (fair)"
        )


def report_rss(runtime, secret: str, body: str) -> None:
    """Serve casedesk 1,000 more requests; print the process RSS after them."""
    wsgi = make_wsgi_app(runtime.app, signing_secret=secret, health_check=runtime.health_check)
    with serving(wsgi) as url:
        measure(url, body, 1000 - WARMUP)
    rss = psutil.Process().memory_info().rss / (1024 * 1024)
    print(
        f"  process RSS after 1,000 more casedesk requests: {rss:.1f} MiB "
        "(servers and load generator; the fake Slack API has its own process)"
    )


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="measured requests per app")
    run(max(parser.parse_args().requests, 200))


if __name__ == "__main__":
    main()
