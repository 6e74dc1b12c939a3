"""A WSGI guard in front of Bolt: Slack's signature first, then the request's shape, then Bolt.

Bolt verifies the signature too, but only once it has parsed the body: a body that is not form
data or JSON (or whose ``payload`` field is not JSON) failed inside Bolt's parsing as a 500 with
a traceback, and a payload missing a field a listener reads failed inside the listener. The
guard, for every request to the Slack endpoint:

1. reads the body once (at most ``max_bytes``: a 413 beyond);
2. verifies the signature and its timestamp (within 5 minutes) with
   :class:`slack_sdk.signature.SignatureVerifier` on the raw body, before parsing anything: a
   401 when a header is missing, the timestamp is stale or the signature does not match;
3. parses the body the way Bolt will (JSON, or form data: a slash command's fields or an
   interaction's ``payload`` JSON) and checks its shape
   (:func:`bot.slack.request_shape.shape_problem`):
   a 400 when it cannot be parsed or lacks a field Bolt or a listener reads;
4. passes the original body on to Bolt, unchanged.

A refusal answers a short plain-text body and logs one WARNING line naming what was wrong,
never the body; nothing reaches Bolt or the database.
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from slack_sdk.signature import Clock, SignatureVerifier

from bot.slack.request_shape import shape_problem

logger = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
MAX_AGE_SECONDS = 5 * 60
"""How far a request's timestamp may be from now (Slack's and Bolt's rule)."""


class Refused(Exception):
    """A request the guard answers itself.

    Args:
        status: the HTTP status line (``"400 Bad Request"``).
        reason: what was wrong, for the log (never a value from the request).
    """

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def unauthorized(reason: str) -> Refused:
    """Return the refusal of a request Slack did not sign (401)."""
    return Refused("401 Unauthorized", reason)


def bad_request(reason: str) -> Refused:
    """Return the refusal of a request that cannot be dispatched (400)."""
    return Refused("400 Bad Request", reason)


def guard_slack_requests(
    inner: WsgiApp,
    *,
    signing_secret: str | None,
    max_bytes: int,
    clock: Callable[[], float] = time.time,
) -> WsgiApp:
    """Wrap ``inner`` (Bolt's WSGI handler) so only signed, well-formed requests reach it.

    Args:
        inner: the WSGI app to pass accepted requests to.
        signing_secret: the Slack app's signing secret; None refuses every request (401).
        max_bytes: the largest body accepted.
        clock: returns the time now, in seconds since the epoch.
    """
    verifier = SignatureVerifier(signing_secret, _Clock(clock)) if signing_secret else None

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            body = read_body(environ, max_bytes)
            verify_signature(environ, body, verifier, clock())
            check_shape(environ, body)
        except Refused as refused:
            logger.warning("refused a request to the Slack endpoint: %s", refused.reason)
            return _answer(start_response, refused.status)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return inner(environ, start_response)

    return guarded


def read_body(environ: dict[str, Any], max_bytes: int) -> bytes:
    """Read the request's body, as long as its Content-Length says.

    Raises:
        Refused: the length is not a number (400) or more than ``max_bytes`` (413).
    """
    raw = str(environ.get("CONTENT_LENGTH") or "0").strip()
    if not raw.isdigit():
        raise bad_request("Content-Length is not a number")
    length = int(raw)
    if length > max_bytes:
        raise Refused("413 Request Entity Too Large", "body larger than the limit")
    stream = environ.get("wsgi.input")
    return stream.read(length) if stream is not None and length else b""


def verify_signature(
    environ: dict[str, Any], body: bytes, verifier: SignatureVerifier | None, now: float
) -> None:
    """Check ``X-Slack-Signature`` over the raw body and ``X-Slack-Request-Timestamp``.

    Raises:
        Refused: (401) no signing secret is set, a header is missing, the timestamp is not a
            number or more than 5 minutes from ``now``, or the signature does not match.
    """
    if verifier is None:
        raise unauthorized("no signing secret is set")
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE")
    if not timestamp or not signature:
        raise unauthorized("unsigned (no X-Slack-Signature or X-Slack-Request-Timestamp)")
    if not timestamp.isdigit():
        raise unauthorized("timestamp is not a number")
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        raise unauthorized("stale timestamp (more than 5 minutes from now)")
    # Slack signs UTF-8 text; bytes that are not cannot match once replaced.
    text = body.decode("utf-8", errors="replace")
    if not verifier.is_valid(body=text, timestamp=timestamp, signature=signature):
        raise unauthorized("signature does not match")


def check_shape(environ: dict[str, Any], body: bytes) -> None:
    """Parse the body as Bolt will and check that its kind of request has what Bolt reads.

    Raises:
        Refused: (400) the body is not UTF-8, not JSON or form data as its Content-Type says,
            or lacks what its kind of request needs.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("body is not UTF-8") from None
    malformed = shape_problem(parse_body(text, environ.get("CONTENT_TYPE")))
    if malformed is not None:
        raise bad_request(f"malformed {malformed}")


def parse_body(text: str, content_type: str | None) -> dict[str, Any]:
    """Parse a body into the payload Bolt will dispatch.

    Bolt reads a body as JSON when its Content-Type is exactly ``application/json`` or it starts
    with ``{``, else as form data, whose ``payload`` field (an interaction) is JSON. The declared
    type must agree, so the guard and Bolt never read one body two ways.

    Raises:
        Refused: (400) the Content-Type does not match the body, or it cannot be parsed.
    """
    media = (content_type or "").split(";")[0]
    declared = media.strip().lower()
    if media == JSON or text.startswith("{"):
        if declared != JSON:
            raise bad_request("a JSON body without the JSON content type")
        return _json_object(text, "body")
    if declared != FORM:
        raise bad_request("content type is neither form data nor JSON")
    if not text:
        raise bad_request("empty body")
    fields = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in fields:
        return _json_object(fields["payload"], "payload")
    return fields


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise bad_request(f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise bad_request(f"{what} is not a JSON object")
    return value


class _Clock(Clock):
    """The verifier's clock: the guard's, so both agree on what "now" is."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()


def _answer(start_response: Callable[..., Any], status: str) -> Iterable[bytes]:
    data = (status.split(" ", 1)[1] + "\n").encode()
    start_response(
        status,
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))],
    )
    return [data]
