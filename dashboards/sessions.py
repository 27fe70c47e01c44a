"""Server-side sessions and the login throttle, both in the database.

The browser holds only a random session id, signed (itsdangerous) so a forged cookie is
rejected before any lookup; the database holds its SHA-256, the user and the CSRF token. A
login always issues a new id and deletes the old one (no session fixation); logout deletes it,
so a copied cookie dies with the session. Failed logins are counted per (login, client) in a
sliding window in the database, so the throttle holds across workers and restarts.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, func, select

from infopole.storage.db import Database
from infopole.storage.tables import LoginAttemptRow, WebSessionRow

SESSION_LIFETIME = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)  # do not write on every page view


@dataclass(frozen=True, slots=True)
class WebSession:
    token: str
    login: str
    csrf_token: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    def __init__(self, db: Database, secret: str) -> None:
        self.db = db
        self._signer = URLSafeSerializer(secret, salt="infopole-session")

    def cookie_value(self, token: str) -> str:
        return self._signer.dumps(token)

    def token_from_cookie(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            token = self._signer.loads(cookie)
        except BadSignature:
            return None
        return token if isinstance(token, str) else None

    def create(self, login: str, client: str, now: datetime) -> WebSession:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.db.session() as session:
            session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at < now))
            session.add(
                WebSessionRow(
                    id_hash=_hash(token),
                    login=login,
                    csrf_token=csrf,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + SESSION_LIFETIME,
                    client=client[:80],
                )
            )
        return WebSession(token, login, csrf)

    def get(self, token: str, now: datetime) -> WebSession | None:
        with self.db.session() as session:
            row = session.get(WebSessionRow, _hash(token))
            if row is None or row.expires_at <= now:
                return None
            if now - row.last_seen_at >= TOUCH_EVERY:
                row.last_seen_at = now
            return WebSession(token, row.login, row.csrf_token)

    def end(self, token: str) -> None:
        with self.db.session() as session:
            session.execute(delete(WebSessionRow).where(WebSessionRow.id_hash == _hash(token)))

    def end_all(self, login: str) -> None:
        """After a password change or deactivation every browser of that user must sign in again."""
        with self.db.session() as session:
            session.execute(delete(WebSessionRow).where(WebSessionRow.login == login))


class LoginThrottle:
    """At most ``limit`` failed logins per (login, client) and ``client_limit`` per client in ``window``."""

    def __init__(
        self, db: Database, limit: int = 5, window: timedelta = timedelta(minutes=10), client_limit: int = 30
    ) -> None:
        self.db, self.limit, self.window, self.client_limit = db, limit, window, client_limit

    def allowed(self, login: str, client: str, now: datetime) -> bool:
        since = now - self.window
        failures = (
            select(func.count())
            .select_from(LoginAttemptRow)
            .where(LoginAttemptRow.client == client[:80], LoginAttemptRow.at >= since)
            .where(LoginAttemptRow.success.is_(False))
        )
        with self.db.session() as session:
            per_login = session.scalar(failures.where(LoginAttemptRow.login == login[:80])) or 0
            per_client = session.scalar(failures) or 0
        return per_login < self.limit and per_client < self.client_limit

    def record(self, login: str, client: str, success: bool, now: datetime) -> None:
        with self.db.session() as session:
            session.execute(delete(LoginAttemptRow).where(LoginAttemptRow.at < now - self.window * 6))
            if success:  # the owner got in: their earlier typos no longer count against them
                session.execute(
                    delete(LoginAttemptRow).where(
                        LoginAttemptRow.login == login[:80], LoginAttemptRow.client == client[:80]
                    )
                )
            session.add(LoginAttemptRow(at=now, login=login[:80], client=client[:80], success=success))
