"""The shell every platform fake shares: a threaded HTTP server on 127.0.0.1 in a daemon thread.

Subclasses set up their state, then call ``super().__init__`` with their request handler;
tests use them as context managers (``with FakeVkServer(...).start() as fake``).
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self


class LocalServer:
    thread_name = "fake"

    def __init__(self, handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1", port: int = 0) -> None:
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class ScriptedErrors:
    """Errors a test scripts per method: after ``after`` good calls, answer ``code`` ``times`` times."""

    def __init__(self) -> None:
        self._queues: dict[str, deque[tuple[int, int]]] = defaultdict(deque)  # method -> (skip, code)
        self._lock = threading.Lock()

    def add(self, method: str, code: int, *, times: int = 1, after: int = 0) -> None:
        with self._lock:
            for n in range(times):
                self._queues[method].append((after if n == 0 else 0, code))

    def take(self, method: str) -> int | None:
        """The error code this call of ``method`` must answer, if one is scripted for it."""
        with self._lock:
            queue = self._queues.get(method)
            if not queue:
                return None
            skip, code = queue[0]
            if skip > 0:
                queue[0] = (skip - 1, code)
                return None
            queue.popleft()
            return code
