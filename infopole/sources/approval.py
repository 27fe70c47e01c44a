"""Approving a discovered candidate adds it to the municipality file, then records the decision.

The dashboard's sources page and ``infopole sources approve`` both go through here, so they behave
the same: the file edit is ``infopole.sources.file.add_candidate`` (validated like ``infopole
check``, atomic), and only once the file is written is the candidate marked approved. A refused
edit (the page is already in the file, the file is broken or unwritable) leaves the candidate
pending, with the reason for the administrator. The caller writes one audit event from
``Approval.audit_after`` (or ``refusal_after``) under ``APPROVED_ACTION`` (``REFUSED_ACTION``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from infopole.domain.candidate import Candidate, CandidateStatus
from infopole.domain.source import Source
from infopole.sources.file import SourceEditError, add_candidate, write_atomically
from infopole.storage.candidates import CandidateStore

OBJECT_TYPE = "source_candidate"
APPROVED_ACTION = "candidate.approved"
REFUSED_ACTION = "candidate.approve.refused"


class CandidateNotFound(KeyError):
    """No candidate with that id."""


@dataclass(frozen=True)
class Approval:
    candidate: Candidate  # as decided
    source: Source  # as written to the file

    def audit_after(self) -> dict[str, Any]:
        return {"status": self.candidate.status.value, "source": self.source.model_dump(mode="json")}


def refusal_after(reason: str) -> dict[str, Any]:
    return {"status": CandidateStatus.NEW.value, "error": reason[:300]}


def approve_candidate(path: Path, store: CandidateStore, candidate_id: int, now: datetime) -> Approval:
    """Add the candidate to the file at ``path`` and mark it approved; the caller serialises
    edits of the file. Raises ``CandidateNotFound`` or ``SourceEditError`` (nothing changed)."""
    candidate = store.get(candidate_id)
    if candidate is None:
        raise CandidateNotFound(candidate_id)
    if candidate.status is CandidateStatus.APPROVED:
        raise SourceEditError(f"кандидат «{candidate.title}» уже одобрен")
    try:
        text = path.read_text(encoding="utf-8")
        new_text, _, source = add_candidate(text, candidate, str(path))
        write_atomically(path, new_text)
    except OSError as error:
        raise SourceEditError(f"файл муниципалитета не прочитан или не записан: {error}") from error
    decided = store.decide(candidate_id, CandidateStatus.APPROVED, now)
    return Approval(decided, source)
