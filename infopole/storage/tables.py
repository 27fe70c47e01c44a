"""The relational schema. Alembic migrations in ``migrations/`` are generated from and checked
against this metadata (a test fails if they drift apart)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out, on every database (SQLite keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


class SourceState(Base):
    """What a collector remembers about one source between runs: its cursor and its health."""

    __tablename__ = "source_state"

    source_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    cursor: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_run_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_item_at: Mapped[datetime | None]
    last_error_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    error_count: Mapped[int] = mapped_column(default=0)
    items_total: Mapped[int] = mapped_column(default=0)


class SourceCandidateRow(Base):
    """A community or channel found by source discovery, scored, awaiting the administrator's decision."""

    __tablename__ = "source_candidates"
    __table_args__ = (UniqueConstraint("kind", "target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    members: Mapped[int | None]
    city: Mapped[str | None] = mapped_column(String(200))
    settlement: Mapped[str | None] = mapped_column(String(200))
    found_by: Mapped[list[Any]] = mapped_column(default=list)
    sample_size: Mapped[int] = mapped_column(default=0)
    factors: Mapped[list[Any]] = mapped_column(default=list)
    score: Mapped[float] = mapped_column(Float, default=0.0, index=True)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class RawPayloadRow(Base):
    __tablename__ = "raw_payloads"
    __table_args__ = (UniqueConstraint("item_key", "payload_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[str] = mapped_column(String(80), index=True)
    item_key: Mapped[str] = mapped_column(String(200), index=True)
    payload_hash: Mapped[str] = mapped_column(String(32))
    fetched_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]]


class PostRow(Base):
    """The current state of a post; every text change is also kept in ``post_revisions``."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("platform", "owner_id", "post_id"),
        Index("ix_posts_published_at", "published_at"),
    )

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[str] = mapped_column(String(80))
    post_id: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[str] = mapped_column(String(80), index=True)
    url: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[str] = mapped_column(String(80), default="")
    author_is_community: Mapped[bool] = mapped_column(Boolean, default=False)
    parent_key: Mapped[str | None] = mapped_column(String(200), index=True)
    reply_to_key: Mapped[str | None] = mapped_column(String(200))
    copy_of_key: Mapped[str | None] = mapped_column(String(200))
    published_at: Mapped[datetime]
    edited_at: Mapped[datetime | None]
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    is_pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    likes: Mapped[int] = mapped_column(default=0)
    reposts: Mapped[int] = mapped_column(default=0)
    views: Mapped[int] = mapped_column(default=0)
    comments: Mapped[int] = mapped_column(default=0)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    attachments: Mapped[list[Any]] = mapped_column(default=list)
    content_hash: Mapped[str] = mapped_column(String(32))
    revision: Mapped[int] = mapped_column(default=1)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class PostRevisionRow(Base):
    __tablename__ = "post_revisions"
    __table_args__ = (UniqueConstraint("post_key", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_key: Mapped[str] = mapped_column(ForeignKey("posts.key", ondelete="CASCADE"), index=True)
    revision: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    edited_at: Mapped[datetime | None]
    seen_at: Mapped[datetime]


class AnalysisRow(Base):
    """The latest analysis of a post's latest revision; ``indexed`` is cleared when either changes,
    so a post that failed to reach the index is retried on the next run."""

    __tablename__ = "analyses"

    post_key: Mapped[str] = mapped_column(ForeignKey("posts.key", ondelete="CASCADE"), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(32))
    model_id: Mapped[str] = mapped_column(String(120))
    analysed_at: Mapped[datetime]
    block: Mapped[str | None] = mapped_column(String(80), index=True)
    sentiment: Mapped[str] = mapped_column(String(16))
    is_incident: Mapped[bool] = mapped_column(Boolean, index=True)
    incident_score: Mapped[float] = mapped_column(Float)
    risk_score: Mapped[float] = mapped_column(Float)
    settlement: Mapped[str | None] = mapped_column(String(120))
    result: Mapped[dict[str, Any]]
    indexed: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # the cases step has read this analysis; cleared with ``indexed``, so each run reads only what is new
    cases_taken: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), index=True)


class IncidentRow(Base):
    """A case of the appeals queue. ``version`` guards against lost updates: a write based on a
    stale read fails instead of silently overwriting someone else's change."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(Text)
    block: Mapped[str | None] = mapped_column(String(80), index=True)
    settlement: Mapped[str | None] = mapped_column(String(120))
    department_id: Mapped[str | None] = mapped_column(String(80), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    priority: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime]
    first_answer_due: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)
    kind: Mapped[str] = mapped_column(String(16), default="message", server_default="message")
    street: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    address: Mapped[str] = mapped_column(Text, default="", server_default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    channel: Mapped[str] = mapped_column(String(32), default="social", server_default="social")
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    reject_reason: Mapped[str | None] = mapped_column(String(32))
    escalated_at: Mapped[datetime | None]
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
    due_at: Mapped[datetime | None] = mapped_column(index=True)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own protocol


class IncidentPostRow(Base):
    __tablename__ = "incident_posts"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    post_key: Mapped[str] = mapped_column(ForeignKey("posts.key"), primary_key=True, unique=True)
    added_at: Mapped[datetime]
    joined_by: Mapped[str] = mapped_column(String(32), default="opened", server_default="opened")


class IncidentUpdateRow(Base):
    __tablename__ = "incident_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[str | None] = mapped_column(String(80))
    note: Mapped[str] = mapped_column(Text, default="")
    action: Mapped[str] = mapped_column(String(24), default="routed", server_default="routed")
    previous_status: Mapped[str | None] = mapped_column(String(16))
    previous_department_id: Mapped[str | None] = mapped_column(String(80))
    held_hours: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(String(200))
    link: Mapped[str] = mapped_column(Text, default="", server_default="")
    formal: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ReplyCheckRow(Base):
    """Whether an official answer recorded on a case (an ``incident_updates`` row with a link) was
    really seen on the platform, and how the citizens under it reacted. One row per answer."""

    __tablename__ = "reply_checks"

    update_id: Mapped[int] = mapped_column(
        ForeignKey("incident_updates.id", ondelete="CASCADE"), primary_key=True
    )
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    post_key: Mapped[str | None] = mapped_column(String(200))  # what the link resolved to
    state: Mapped[str] = mapped_column(String(16), index=True)  # verified, not_found, removed
    replied_at: Mapped[datetime]
    checked_at: Mapped[datetime]
    verified_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    reaction: Mapped[str] = mapped_column(String(16), default="none", server_default="none")
    reaction_key: Mapped[str | None] = mapped_column(String(200))  # the comment that decided it


class CaseEventRow(Base):
    """The case webhook's outbox: one event per case version, written in the transaction that made
    the version, delivered later by the cases step (so a failed send never loses the event)."""

    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("incident_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    event: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), index=True)  # pending, delivered, dead
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(index=True)
    last_status: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    delivered_at: Mapped[datetime | None]


class AlertRow(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # idempotency: one alert per cause
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(index=True)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(80))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    department_id: Mapped[str | None] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class AuditEventRow(Base):
    """Who viewed or changed what (152-ФЗ): append-only."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    client: Mapped[str] = mapped_column(String(80), default="")


class AlertUpdateRow(Base):
    """One cause of an alert: the first one and every later one grouped into it (a story's new
    posts, a spike's next hour, an escalation). The unique ``key`` makes re-detection a no-op."""

    __tablename__ = "alert_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    severity: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AlertDeliveryRow(Base):
    """The outbox: one message to one recipient over one channel, written in the same transaction
    as the alert it announces, so a decided alert is never lost. ``status`` is pending → sending
    (claimed, before the network call) → sent, or back to pending with ``next_attempt_at``, or failed."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (Index("ix_alert_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # alert / update / escalation
    recipient: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(300))
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    remote_id: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]


class WebSessionRow(Base):
    """A signed-in browser. Kept on the server so logout and password changes end it for real, and
    stored by the SHA-256 of its id so a leaked database does not hand out live sessions."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    login: Mapped[str] = mapped_column(String(80), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    client: Mapped[str] = mapped_column(String(80), default="")


class LoginAttemptRow(Base):
    """One try to sign in: the throttle counts recent failures per login and client address."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_login_client_at", "login", "client", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    login: Mapped[str] = mapped_column(String(80))
    client: Mapped[str] = mapped_column(String(80))
    success: Mapped[bool] = mapped_column(Boolean, default=False)


class SubscriberCountRow(Base):
    """Subscribers of a source, one count per source and day: the trend of an official page
    (госпаблик, counted after every crawl) and the audience of every other wall, group or channel
    (counted once a day) that the risk score weighs."""

    __tablename__ = "subscriber_counts"

    source_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # local date of the municipality
    count: Mapped[int]
    measured_at: Mapped[datetime]


class DeadLetterRow(Base):
    """An item a pipeline step failed on (a post the analyzer crashes on, a document the index rejects).

    Failures are counted per (step, item); after ``schedule.dead_letter_after`` attempts the item is
    ``dead``: the step skips it until an operator replays it (``infopole deadletters replay``)."""

    __tablename__ = "dead_letters"

    step: Mapped[str] = mapped_column(String(32), primary_key=True)
    item_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    attempts: Mapped[int] = mapped_column(default=0)
    dead: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    first_failed_at: Mapped[datetime]
    last_failed_at: Mapped[datetime]
    error: Mapped[str] = mapped_column(Text, default="")
    replays: Mapped[int] = mapped_column(default=0)


class SavedSearchRow(Base):
    """An analyst's saved query (``index.query`` text, parsed again on each run). ``shared`` shows it
    to every analyst; ``watch`` makes it a watchlist of the alerts as well."""

    __tablename__ = "saved_searches"
    __table_args__ = (UniqueConstraint("owner", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(80), index=True)  # the user's login
    name: Mapped[str] = mapped_column(String(200))
    query: Mapped[str] = mapped_column(Text)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    watch: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    severity: Mapped[str] = mapped_column(String(16), default="medium")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class TokenSlotRow(Base):
    """The next free request slot of one API token, shared by every worker process and machine.

    VK counts requests per token, not per process, so the rate limiter lives here when a database
    is configured. ``token_hash`` is a SHA-256 of the platform and the token: never the token."""

    __tablename__ = "token_slots"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_slot: Mapped[float] = mapped_column(Float)  # unix seconds of the earliest next request


class TokenParkRow(Base):
    """A method of one token refused until ``parked_until`` (VK error 29: its daily quota is spent)."""

    __tablename__ = "token_parks"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    method: Mapped[str] = mapped_column(String(100), primary_key=True)
    parked_until: Mapped[datetime]
    code: Mapped[int] = mapped_column(default=0)
