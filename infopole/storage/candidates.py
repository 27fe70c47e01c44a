"""Candidate sources found by discovery, kept for the administrator's decision.

A candidate found again is updated (title, members, score) but keeps its decision, so a
rejected group does not come back as new on the next discovery run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from infopole.domain.candidate import Candidate, CandidateStatus, Factor
from infopole.domain.source import SourceKind
from infopole.storage.db import Database
from infopole.storage.tables import SourceCandidateRow


@dataclass
class CandidateReport:
    new: int = 0
    updated: int = 0


class CandidateStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def save(self, candidates: Iterable[Candidate], now: datetime) -> CandidateReport:
        report = CandidateReport()
        with self.db.session() as session:
            for candidate in candidates:
                row = session.scalar(
                    select(SourceCandidateRow).where(
                        SourceCandidateRow.kind == candidate.kind.value,
                        SourceCandidateRow.target == candidate.target,
                    )
                )
                if row is None:
                    row = SourceCandidateRow(
                        kind=candidate.kind.value, target=candidate.target, status=CandidateStatus.NEW.value,
                        first_seen_at=now,
                    )  # fmt: skip
                    session.add(row)
                    report.new += 1
                else:
                    report.updated += 1
                row.title = candidate.title[:300]
                row.url = candidate.url
                row.description = candidate.description
                row.members = candidate.members
                row.city = candidate.city
                row.settlement = candidate.settlement
                row.found_by = sorted(set(row.found_by or ()) | set(candidate.found_by))
                row.sample_size = candidate.sample_size
                row.factors = [factor.to_json() for factor in candidate.factors]
                row.score = candidate.score
                row.last_seen_at = now
        return report

    def list(self, status: CandidateStatus | None = None, min_score: float = 0.0) -> list[Candidate]:
        with self.db.session() as session:
            query = select(SourceCandidateRow).where(SourceCandidateRow.score >= min_score)
            if status is not None:
                query = query.where(SourceCandidateRow.status == status.value)
            query = query.order_by(SourceCandidateRow.score.desc(), SourceCandidateRow.id)
            return [_to_candidate(row) for row in session.scalars(query)]

    def get(self, candidate_id: int) -> Candidate | None:
        with self.db.session() as session:
            row = session.get(SourceCandidateRow, candidate_id)
            return _to_candidate(row) if row else None

    def decide(self, candidate_id: int, status: CandidateStatus, now: datetime) -> Candidate:
        with self.db.session() as session:
            row = session.get(SourceCandidateRow, candidate_id)
            if row is None:
                raise KeyError(candidate_id)
            row.status = status.value
            row.decided_at = now
            session.flush()
            return _to_candidate(row)


def _to_candidate(row: SourceCandidateRow) -> Candidate:
    return Candidate(
        kind=SourceKind(row.kind),
        target=row.target,
        title=row.title,
        url=row.url,
        description=row.description,
        members=row.members,
        city=row.city,
        settlement=row.settlement,
        found_by=tuple(row.found_by or ()),
        sample_size=row.sample_size,
        factors=tuple(Factor.from_json(item) for item in row.factors or ()),
        id=row.id,
        status=CandidateStatus(row.status),
        first_seen_at=row.first_seen_at,
        decided_at=row.decided_at,
    )
