"""Information risk 0–1: how much a post threatens the administration's reputation or public order.

A noisy-OR of factor contributions, each a weight times a strength in 0–1: negativity,
toxicity, an incident, the post's reach, and sensitive subjects (emergencies, protests,
officials, corruption, children, deaths). Officials and children count in proportion to the
post's negativity, toxicity or incident score; reach counts only when something else does.
The factors that contributed are returned, strongest first, so an alert can say why it was
raised. Weights are set by hand in this
first version; a wave of posts (growth) is the alerts' business, not one post's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nlp.lexicon import subject_matches

WEIGHTS = {
    "negative": 0.35,
    "toxic": 0.3,
    "incident": 0.15,
    "reach": 0.3,
    "emergency": 0.45,
    "protest": 0.45,
    "corruption": 0.45,
    "death": 0.5,
    "children": 0.2,
    "official": 0.2,
    "named_official": 0.25,
}
MIN_CONTRIBUTION = 0.05


@dataclass(frozen=True)
class Risk:
    score: float
    factors: tuple[str, ...]


def reach_strength(reach: int) -> float:
    """0 for a post nobody saw, 0.5 at 1,000 views, 1 at 100,000."""
    return min(1.0, math.log10(1 + max(reach, 0)) / 5) ** 1.5 if reach > 0 else 0.0


def assess(
    text: str,
    negative: float,
    toxicity: float,
    incident: float = 0.0,
    reach: int = 0,
    officials: tuple[str, ...] = (),
) -> Risk:
    strengths = {
        "negative": max(0.0, (negative - 0.4) / 0.6),
        "toxic": max(0.0, (toxicity - 0.3) / 0.7),
        "incident": incident if incident >= 0.5 else 0.0,
        "reach": reach_strength(reach),
    }
    subjects = subject_matches(text)
    for subject in ("emergency", "protest", "corruption", "death", "children", "official"):
        strengths[subject] = min(1.0, 0.7 + 0.3 * len(subjects[subject])) if subject in subjects else 0.0
    strengths["named_official"] = 1.0 if officials else 0.0
    # officials and children are sensitive in a complaint or an insult, not in an announcement
    tone = max(strengths["negative"], strengths["toxic"], strengths["incident"])
    for subject in ("official", "named_official", "children"):
        strengths[subject] *= tone
    content = {name: WEIGHTS[name] * value for name, value in strengths.items() if name != "reach"}
    if not any(value >= MIN_CONTRIBUTION for value in content.values()):
        strengths["reach"] = 0.0  # a widely seen cat photo is no risk
    contributions = {name: WEIGHTS[name] * value for name, value in strengths.items()}
    remaining = 1.0
    for value in contributions.values():
        remaining *= 1 - value
    factors = sorted(
        (name for name, value in contributions.items() if value >= MIN_CONTRIBUTION),
        key=lambda name: -contributions[name],
    )
    named = [
        f"official:{', '.join(officials)}" if factor == "named_official" else factor for factor in factors
    ]
    return Risk(round(1 - remaining, 4), tuple(named))
