"""Which department answers an incident: its topic block and place, from the municipality file."""

from __future__ import annotations

from dataclasses import dataclass

from infopole.config.municipality import Municipality


@dataclass(frozen=True, slots=True)
class Route:
    department_id: str | None  # None: the МЦУ head's triage queue
    reason: str


def route(block: str | None, settlement: str | None, municipality: Municipality) -> Route:
    if block is None:
        return Route(None, "тематика не определена")
    candidates = [d for d in municipality.departments if block in d.blocks]
    if settlement is not None:
        local = [d for d in candidates if settlement in d.settlements]
        candidates = local or [d for d in candidates if not d.settlements]
    else:
        candidates = [d for d in candidates if not d.settlements] or candidates
    if not candidates:
        return Route(None, f"нет ответственного за блок «{block}»")
    if len(candidates) > 1:
        names = ", ".join(d.name for d in candidates)
        return Route(None, f"несколько ответственных за блок «{block}»: {names}")
    return Route(candidates[0].id, f"блок «{block}»" + (f", {settlement}" if settlement else ""))
