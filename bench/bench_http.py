"""Latency of Slack requests through the real HTTP server (waitress), full stack vs bare Bolt.

Measures, in one run, each over a persistent connection, signed like Slack signs:

- casedesk: ``/review help`` through ``build_runtime`` (SQLite file, the real app, its error
  handler and middleware), which renders the help template and ``respond``s through the fake
  Slack API's response_url before answering (``process_before_response``).
- bare Bolt, no-op: an ``App`` whose ``/review`` listener only acks.
- bare Bolt, respond: the same listener also ``respond``s a fixed text, to separate the cost
  of the extra HTTP round trip from the cost of casedesk's own work.

A button click is not measured yet: no action handler is registered at this stage (the
referral and vote handlers land later); add it here when one is.

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
from bot.server import build_runtime, make_wsgi_app  # noqa: E402
from tests.fakes.signing import SIGNING_SECRET, signed_headers, slash_command_body  # noqa: E402
from tests.fakes.slack_api import FakeSlackApi  # noqa: E402
from tests.fakes.wsgi_server import serving  # noqa: E402

BOT_TOKEN = "xoxb-bench-token"
WARMUP = 20


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


def report(label: str, timings: list[float]) -> None:
    """Print p50 and p99 of ``timings``."""
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    print(f"  {label:<28} p50 {cuts[49]:6.2f} ms   p99 {cuts[98]:6.2f} ms   (n={len(timings)})")


def run(n: int) -> None:
    """Run the three measurements and the RSS reading."""
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
        runtime = build_runtime(settings)
        apps: list[tuple[str, Callable[[], App]]] = [
            ("casedesk /review help", lambda: runtime.app),
            ("bare Bolt, no-op ack", lambda: bare_app(fake, respond_too=False)),
            ("bare Bolt, ack + respond", lambda: bare_app(fake, respond_too=True)),
        ]
        print(f"HTTP latency through waitress on localhost, {n} requests each after {WARMUP} "
              "warm-up")
        print("  (button click: no action handler registered yet; slash command only)")
        try:
            for label, make in apps:
                wsgi = make_wsgi_app(make(), health_check=runtime.health_check)
                with serving(wsgi) as url:
                    report(label, measure(url, body, n))
            with serving(make_wsgi_app(runtime.app, health_check=runtime.health_check)) as url:
                measure(url, body, 1000 - WARMUP)
            rss = psutil.Process().memory_info().rss / (1024 * 1024)
            print(f"  process RSS after 1,000 more casedesk requests: {rss:.1f} MiB "
                  "(server, fake Slack API and load generator together)")
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
