"""Turning an incident post (or an appeal from another channel) into a case: a pure function of
its content, the analysis and the municipality's rules. The caller saves the result."""

from __future__ import annotations

from datetime import datetime

from infopole.config.municipality import Municipality
from infopole.domain.analysis import Analysis
from infopole.domain.incident import CaseKind, Incident, IncidentStatus, Priority
from infopole.domain.post import Post
from infopole.incidents import sla
from infopole.incidents.joining import street_of
from infopole.incidents.routing import route

TITLE_LENGTH = 140


def priority_of(analysis: Analysis, urgent_risk: float = 0.7) -> Priority:
    return Priority.HIGH if analysis.risk_score >= urgent_risk else Priority.NORMAL


def registered_at(post: Post, now: datetime) -> datetime:
    """When a case opened from ``post`` counts as registered: when the post was published.

    The citizen has waited since he wrote, and the МЦУ's reaction to a post in a social network is
    measured from its publication (regional practice of the ЦУР «Инцидент Менеджмент»), not from
    whenever our crawler came by: crawl lag is the МЦУ's own delay and buys the department no time.
    So a case opened from an older post — a backfill, the demo's history, a post found late —
    keeps its real date: the overview and the ratings place it in its own period, and its SLA
    clock shows honestly how late it is (an old complaint nobody answered *is* overdue). Never
    later than ``now`` (a post dated in the future by a wrong clock) — the time of detection.
    """
    return min(post.published_at, now)


def open_incident(post: Post, analysis: Analysis, municipality: Municipality, now: datetime) -> Incident:
    """A new case for a social-network post, routed and with its deadline; the caller saves it."""
    return new_case(
        opened_at=registered_at(post, now),
        title=title_of(post.title or post.text),
        block=analysis.block,
        settlement=analysis.settlement,
        municipality=municipality,
        now=now,
        priority=priority_of(analysis),
        street=street_of(analysis),
        post_keys=[post.key],
        lat=post.geo.lat if post.geo else None,
        lon=post.geo.lon if post.geo else None,
    )


def new_case(
    *,
    title: str,
    block: str | None,
    settlement: str | None,
    municipality: Municipality,
    now: datetime,
    priority: Priority = Priority.NORMAL,
    kind: CaseKind = CaseKind.MESSAGE,
    channel: str = "social",
    street: str | None = None,
    description: str = "",
    address: str = "",
    lat: float | None = None,
    lon: float | None = None,
    external_id: str | None = None,
    post_keys: list[str] | None = None,
    opened_at: datetime | None = None,
    actor: str = "system",
) -> Incident:
    """A routed case from any channel. ``opened_at`` (registration) may precede ``now`` for
    appeals imported from elsewhere: the 59-ФЗ term runs from registration, not from our import."""
    registered = opened_at or now
    policy = municipality.sla
    calendar = sla.calendar_for(policy, municipality.timezone)
    incident = Incident(
        id=None,
        block=block,
        settlement=settlement,
        department_id=None,
        status=IncidentStatus.NEW,
        priority=priority,
        opened_at=registered,
        first_answer_due=None,
        title=title,
        post_keys=list(post_keys or []),
        kind=kind,
        street=street,
        description=description,
        address=address,
        lat=lat,
        lon=lon,
        channel=channel,
        external_id=external_id,
    )
    incident.first_answer_due = sla.first_answer_due(incident, policy, calendar)
    decision = route(block, settlement, municipality)
    if decision.department_id is None:
        incident.send_to_triage(registered, decision.reason, actor)
    else:
        incident.assign(decision.department_id, registered, actor, note=decision.reason)
    pending = sla.deadline(incident, policy, calendar)
    incident.due_at = pending.due_at if pending else None
    return incident


def title_of(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TITLE_LENGTH else text[: TITLE_LENGTH - 1].rstrip() + "…"
