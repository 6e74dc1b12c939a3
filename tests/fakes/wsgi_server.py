"""Serve a WSGI app on waitress, on an ephemeral port of 127.0.0.1, from a thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bot.server import make_http_server


@contextmanager
def serving(wsgi_app: Any, *, threads: int = 4) -> Iterator[str]:
    """Run ``wsgi_app`` on the bot's own waitress set-up; yield its base URL, then stop it.

    waitress's ``run()`` loop cannot be stopped from another thread without closing sockets
    under its ``select`` (EBADF), so the loop here polls in short steps and checks a flag; the
    sockets close only after it has stopped.
    """
    server = make_http_server(wsgi_app, host="127.0.0.1", port=0, threads=threads)
    socket_map = getattr(server, "map", None) or server._map
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            server.asyncore.loop(timeout=0.05, map=socket_map, count=1)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        # Finish in-flight requests (the loop still runs to send their answers), stop the
        # loop, then close every socket it held (listener, connections, wake-up pipe).
        server.task_dispatcher.shutdown(cancel_pending=False, timeout=5)
        stop.set()
        thread.join(timeout=5)
        server.asyncore.close_all(socket_map)
