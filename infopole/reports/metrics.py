"""Case metrics for any group of cases (a topic block, a department, the whole municipality).

The same definitions as the department ratings (``infopole.incidents.ratings``), so the
quarterly report and the ratings page never give two answers to one question:

- response time: working hours from registration to the first real answer (interim or final;
  an отписка is not an answer), median and 90th percentile (nearest rank);
- share within the deadline: of the cases whose first answer was due by ``as_of`` or was given,
  the share answered by the deadline;
- reopen rate: the share of cases reopened at least once (the resident said it is not fixed);
- positive reaction: the share of answered cases under whose posts the resident who wrote them
  left a positive comment after the answer. Together with the reopen rate this is the
  satisfaction proxy; nobody asks residents directly, and the reports say so.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from infopole.config.municipality import Municipality
from infopole.domain.incident import Incident, IncidentStatus, UpdateAction
from infopole.incidents.ratings import percentile
from infopole.incidents.sla import SlaState, calendar_for, first_answer, first_answer_due, sla_state
from infopole.reports.facts import PostFact

ACCELERATED_DAYS = 30  # «механизм ускоренного решения»: less than the 30 days of 59-ФЗ


@dataclass(frozen=True, slots=True)
class CaseMetrics:
    cases: int
    appeals: int  # formal appeals under 59-ФЗ among them
    answered: int
    median_hours: float | None
    p90_hours: float | None
    due: int  # cases whose first answer was due by as_of, or was given
    in_time: int
    overdue: int  # open and past the pending deadline at as_of
    resolved: int  # answered finally or resolved
    accelerated: int  # final answer or resolution within 30 calendar days
    reopened: int
    formal_replies: int
    positive_reactions: int

    @property
    def in_time_share(self) -> float | None:
        return self.in_time / self.due if self.due else None

    @property
    def reopen_rate(self) -> float | None:
        return self.reopened / self.cases if self.cases else None

    @property
    def positive_share(self) -> float | None:
        return self.positive_reactions / self.answered if self.answered else None

    @property
    def resolved_share(self) -> float | None:
        return self.resolved / self.cases if self.cases else None

    @property
    def accelerated_share(self) -> float | None:
        return self.accelerated / self.resolved if self.resolved else None


def case_metrics(
    cases: Sequence[Incident],
    municipality: Municipality,
    as_of: datetime,
    reactions: Sequence[PostFact] = (),
    authors: Mapping[str, str] | None = None,
) -> CaseMetrics:
    calendar = calendar_for(municipality.sla, municipality.timezone)
    policy = municipality.sla
    hours: list[float] = []
    due = in_time = 0
    for case in cases:
        answer = first_answer(case)
        deadline = first_answer_due(case, policy, calendar)
        if answer is not None:
            hours.append(calendar.working_time_between(case.opened_at, answer.at).total_seconds() / 3600)
        if answer is not None or deadline <= as_of:
            due += 1
            in_time += answer is not None and answer.at <= deadline
    positive = positive_reactions(cases, reactions, authors or {})
    return CaseMetrics(
        cases=len(cases),
        appeals=sum(c.kind.value == "appeal" for c in cases),
        answered=len(hours),
        median_hours=round(statistics.median(hours), 1) if hours else None,
        p90_hours=round(percentile(hours, 0.9), 1) if hours else None,
        due=due,
        in_time=in_time,
        overdue=sum(sla_state(c, policy, calendar, as_of) is SlaState.OVERDUE for c in cases),
        resolved=sum(_final(c) is not None for c in cases),
        accelerated=sum(_accelerated(c) for c in cases),
        reopened=sum(any(u.action is UpdateAction.REOPENED for u in c.updates) for c in cases),
        formal_replies=sum(u.action is UpdateAction.FORMAL_REPLY for c in cases for u in c.updates),
        positive_reactions=len(positive),
    )


def _final(case: Incident) -> datetime | None:
    """When the case last got its final answer or was resolved, if it stands so now."""
    if case.status not in (IncidentStatus.ANSWERED, IncidentStatus.RESOLVED):
        return None
    finals = [u.at for u in case.updates if u.action in (UpdateAction.ANSWERED, UpdateAction.RESOLVED)]
    return max(finals) if finals else None


def _accelerated(case: Incident) -> bool:
    final = _final(case)
    return final is not None and final - case.opened_at < timedelta(days=ACCELERATED_DAYS)


def positive_reactions(
    cases: Iterable[Incident], reactions: Sequence[PostFact], authors: Mapping[str, str]
) -> set[int]:
    """Ids of answered cases whose own residents (the authors of the case's posts, ``authors``
    maps a post key to its author) wrote a positive comment under them after the first answer."""
    by_parent: dict[str, list[PostFact]] = defaultdict(list)
    for comment in reactions:
        if comment.parent_key:
            by_parent[comment.parent_key].append(comment)
    out: set[int] = set()
    for case in cases:
        answer = first_answer(case)
        if answer is None or case.id is None:
            continue
        residents = {authors[key] for key in case.post_keys if authors.get(key)}
        comments = (c for key in case.post_keys for c in by_parent.get(key, []))
        if any(
            c.sentiment == "positive" and c.published_at >= answer.at and c.author_id in residents
            for c in comments
        ):
            out.add(case.id)
    return out
