"""``GET /metrics`` on the dashboard, for Prometheus only: off unless a token is configured.

The metrics (queue sizes, sources, dead letters, open cases) are not personal data, but they tell
an outsider how the МЦУ works, and the dashboard faces the municipality's network. A scraper holds
no session and no CSRF token, so the route takes a bearer token instead of a sign-in: set
``INFOPOLE_METRICS_TOKEN`` and give Prometheus the same value (``authorization: {credentials_file:
…}`` in its scrape config). Without the setting the route does not exist (404), so an installation
that never thought about metrics exposes nothing.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException

from flows.metrics import metrics_router
from infopole.runtime import Runtime

PATH = "/metrics"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="infopole-metrics"'}


def bearer_guard(token: str) -> Callable[[str], None]:
    """A dependency that lets through only ``Authorization: Bearer <token>`` (compared in constant time)."""
    expected = f"Bearer {token}".encode()

    def guard(authorization: Annotated[str, Header()] = "") -> None:
        if not hmac.compare_digest(authorization.strip().encode(), expected):
            raise HTTPException(401, "Нужен токен метрик (Authorization: Bearer …)", headers=CHALLENGE)

    return guard


def mount_metrics(app: FastAPI, runtime: Runtime) -> bool:
    """Add ``/metrics`` behind the bearer token if one is set; says whether it was added."""
    secret = runtime.settings.metrics_token
    token = secret.get_secret_value().strip() if secret is not None else ""
    if not token:
        return False
    app.include_router(metrics_router(runtime), dependencies=[Depends(bearer_guard(token))])
    return True
