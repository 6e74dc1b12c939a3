"""Serve a WSGI app on waitress, on an ephemeral port of 127.0.0.1, from a thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bot.server import make_http_server


@contextmanager
def serving(wsgi_app: Any, *, threads: int = 4) -> Iterator[str]:
    """Run ``wsgi_app`` on the bot's own waitress set-up; yield its base URL, then stop it."""
    server = make_http_server(wsgi_app, host="127.0.0.1", port=0, threads=threads)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        # Let in-flight requests finish before the sockets and the wake-up pipe close.
        server.task_dispatcher.shutdown(cancel_pending=False, timeout=5)
        server.close()
        thread.join(timeout=5)
