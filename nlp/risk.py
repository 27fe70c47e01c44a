"""Information risk 0–1: how much a post threatens the administration's reputation or public order.

A noisy-OR of factor contributions, each a weight times a strength in 0–1: negativity,
toxicity, an incident, sensitive subjects (emergencies, protests, officials, corruption,
children, deaths), and how far the post spreads: its reach, its growth (reach per hour since
publication when its counters were read) and its source's audience (subscribers of the
community or channel). Officials and children count in proportion to the post's negativity,
toxicity or incident score; the three spread factors (``SPREAD``) count only when something
else does — a cat photo in a huge, fast-growing group is no risk. The factors that contributed
are returned, strongest first, so an alert can say why it was raised. Weights are set by hand;
a wave of *posts* (many posts on one story) is the alerts' business, not one post's.

**Spread.** Reach is what the post has gathered; growth says it is gathering it *now* (5,000
views in the first hour is a post spreading, the same views after a month are not); audience is
what it can still gather (a fresh post in a 100,000-member community has few views yet). Growth
is the average rate since publication at the moment the counters were read: nothing else is
kept (the store updates a post's counters in place), and a post read long after publication
has a long age, so an old post never shows growth it does not have. Without a publication or
observation time, or without an audience count, the factor is 0 and the score is what it was.
The spread weights keep the threshold's meaning: all three at their largest amplify by
1 − (1 − 0.3)(1 − 0.12)(1 − 0.08) ≈ 0.43, so the strongest bare word (a protest or a death,
0.45) stays below 0.7 at 1 − 0.55 × 0.57 ≈ 0.69.

**Confirmed sensitive events.** A word alone is weak evidence («горит распродажа», «учения по
пожарной безопасности», «взрыв эмоций»), so an emergency, a utility outage, corruption or a death
counts in two parts: the word (``WEIGHTS``, small) and, when the post confirms that the thing is
happening, ``CONFIRMED`` times the confirmation. A post confirms it by its tone (the incident
model's complaint, negativity, toxicity) or by facts: casualties, evacuation, emergency services
called for an emergency; a whole street or settlement, or days without, for an outage. The
confirmed weights are not fitted to any stream: they follow from what the alert threshold means
(0.7 by default: «the куратор must hear about this now»). A fully confirmed emergency, outage or
corruption report reaches it alone (0.7), a death outranks the emergency that caused it (0.8); a
bare word stays below it even with the largest reach, 1 − (1 − 0.35)(1 − 0.3) ≈ 0.55 (≈ 0.63 with
the largest growth and audience too).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from nlp.lexicon import subject_matches

WEIGHTS = {
    "negative": 0.35,
    "toxic": 0.3,
    "incident": 0.15,
    "reach": 0.3,
    # growth is a direct sign of spreading now, but mostly reach gathered fast: below reach
    "growth": 0.12,
    # audience is only what the post *could* reach: the weakest of the three spread factors
    "audience": 0.08,
    "emergency": 0.35,
    "outage": 0.3,
    "protest": 0.45,
    "corruption": 0.4,
    "death": 0.45,
    "children": 0.2,
    "official": 0.2,
    "named_official": 0.25,
}
# the same subjects once the post confirms the event (see the module docstring for why these values)
CONFIRMED = {
    "emergency": 0.7,
    "outage": 0.7,
    "corruption": 0.7,
    "death": 0.8,  # a death outranks the emergency that caused it
}
MIN_CONTRIBUTION = 0.05
SPREAD = ("reach", "growth", "audience")  # they amplify a risk, never raise one alone

# growth: reach per hour since publication, on a log scale between these rates
GROWTH_FLOOR_PER_HOUR = 100.0  # a town's ordinary post gathers its views at this pace or slower
GROWTH_FULL_PER_HOUR = 10_000.0  # a town's post spreading as fast as posts ever do there
MIN_AGE_HOURS = 1.0  # a post read minutes after publication is judged on its first hour
# audience: members of the source, on a log scale between these sizes
AUDIENCE_FLOOR = 1_000  # a house chat or a village page: no wider than its reach says
AUDIENCE_FULL = 100_000  # a city-wide public page or channel
SUBJECTS = ("emergency", "outage", "protest", "corruption", "death", "children", "official")

# Beside ``nlp.lexicon``'s subjects: emergencies it does not name, and utility outages.
EXTRA_SUBJECT_STEMS: dict[str, list[str]] = {
    "emergency": [
        r"возгоран",
        r"прорвал\w* (?:\w+ )?(?:труб|теплотрасс|водопровод|канализац|плотин)",
        r"прорыв\w* (?:\w+ )?(?:труб|теплотрасс|водопровод|канализац|плотин)",
        r"(?:запах|пахнет|пахло|воняет)\w* (?:\w+ )?газ",
        r"газом (?:\w+ )?(?:пахнет|пахло|воняет)",
        r"угарн\w* газ",
        r"отравлени",
        r"отравил",
        r"обрушил",
        r"столкнул",
        r"сбил\w* (?:пешеход|ребен|человек|женщин|мужчин)",
        r"кипят\w* (?:залива|хлещ|бь)",
    ],
    "outage": [
        r"(?:нет|без|отключ\w*|отрубил\w*|не дают|не дали|не будет)\s+(?:\w+\s+){0,2}?"
        r"(?:горяч\w* вод|холодн\w* вод|вод[ыау]\b|свет|электричеств|тепла|отоплени|газа\b)",
        r"(?:вод[ауы]|свет|электричеств\w*|отоплени\w*|тепло)\s+(?:\w+\s+)?(?:нет|отключ|пропал|отрубил)",
    ],
}
# facts that say the event is real and serious, whatever the tone
CONFIRMING_STEMS: dict[str, list[str]] = {
    "emergency": [
        r"пострадавш",
        r"пострадал",
        r"ранен",
        r"госпитализ",
        r"в больниц",
        r"эвакуир",
        r"эвакуац",
        r"погиб",
        r"ожог",
        r"травмир",
        r"жертв",
        r"(?:вывел|вывод|выводят|вывели)\w* (?:\w+ )?(?:жильц|жител|людей|детей|покупател|школьник)",
        r"вызвал\w* (?:\w+ )?(?:мчс|скор|пожарн|газов)",
    ],
    "outage": [
        r"(?:во )?вс[её]м? (?:микрорайон|район|посел|город|улиц|дом|подъезд|деревн)",
        r"(?:весь|вся|целы[йм]|целая) (?:микрорайон|район|посел|город|улиц|дом|подъезд|деревн)",
        r"(?:посел\w*|деревн\w*|микрорайон\w*|улиц\w*|район\w*) (?:\w+ )?"
        r"без (?:воды|света|тепла|отоплени|газа)",
        r"(?:втор|трет|четв[её]рт|пят)\w* (?:день|сутки|недел)",
        r"\d+ (?:дн|дня|дней|суток|час)",
    ],
}
NOT_CONFIRMING = re.compile(r"без пострадавш\w*|пострадавш\w* нет|никто не пострадал|не пострадал")


@dataclass(frozen=True)
class Risk:
    score: float
    factors: tuple[str, ...]


def reach_strength(reach: int) -> float:
    """0 for a post nobody saw, 0.5 at 1,000 views, 1 at 100,000."""
    return min(1.0, math.log10(1 + max(reach, 0)) / 5) ** 1.5 if reach > 0 else 0.0


def reach_per_hour(reach: int, published_at: datetime | None, observed_at: datetime | None) -> float:
    """Reach gathered per hour from publication to the moment the counters were read (at least the
    first hour); 0 when either moment is unknown, so no growth is invented."""
    if reach <= 0 or published_at is None or observed_at is None:
        return 0.0
    hours = (observed_at - published_at).total_seconds() / 3600
    return reach / max(hours, MIN_AGE_HOURS)


def _log_scale(value: float, floor: float, full: float) -> float:
    if value <= floor:
        return 0.0
    return min(1.0, math.log10(value / floor) / math.log10(full / floor))


def growth_strength(per_hour: float) -> float:
    """0 at 100 views an hour or less, 0.5 at 1,000, 1 at 10,000."""
    return _log_scale(per_hour, GROWTH_FLOOR_PER_HOUR, GROWTH_FULL_PER_HOUR)


def audience_strength(audience: int) -> float:
    """0 for a source of 1,000 members or fewer (or unknown), 0.5 at 10,000, 1 at 100,000."""
    return _log_scale(audience, AUDIENCE_FLOOR, AUDIENCE_FULL)


def _compile(table: dict[str, list[str]]) -> dict[str, re.Pattern[str]]:
    return {name: re.compile("|".join(rf"(?:\b{stem})" for stem in stems)) for name, stems in table.items()}


_EXTRA = _compile(EXTRA_SUBJECT_STEMS)
_CONFIRMING = _compile(CONFIRMING_STEMS)


def subjects_of(text: str) -> dict[str, list[str]]:
    """``nlp.lexicon``'s sensitive subjects plus this module's: the matched fragments per subject."""
    found = subject_matches(text)
    lowered = text.lower().replace("ё", "е")
    for name, pattern in _EXTRA.items():
        hits = [match.group(0) for match in pattern.finditer(lowered)]
        if hits:
            found[name] = [*found.get(name, []), *hits]
    return found


def confirmed_by_facts(text: str) -> set[str]:
    """The subjects whose seriousness the text states as a fact (casualties, a whole street…)."""
    lowered = NOT_CONFIRMING.sub(" ", text.lower().replace("ё", "е"))
    return {name for name, pattern in _CONFIRMING.items() if pattern.search(lowered)}


def assess(
    text: str,
    negative: float,
    toxicity: float,
    incident: float = 0.0,
    reach: int = 0,
    officials: tuple[str, ...] = (),
    per_hour: float = 0.0,
    audience: int = 0,
) -> Risk:
    """``per_hour``: ``reach_per_hour`` of the post; ``audience``: members of its source (0: unknown)."""
    strengths = {
        "negative": max(0.0, (negative - 0.4) / 0.6),
        "toxic": max(0.0, (toxicity - 0.3) / 0.7),
        "incident": incident if incident >= 0.5 else 0.0,
        "reach": reach_strength(reach),
        "growth": growth_strength(per_hour),
        "audience": audience_strength(audience),
    }
    subjects = subjects_of(text)
    for subject in SUBJECTS:
        strengths[subject] = min(1.0, 0.7 + 0.3 * len(subjects[subject])) if subject in subjects else 0.0
    strengths["named_official"] = 1.0 if officials else 0.0
    # officials and children are sensitive in a complaint or an insult, not in an announcement
    tone = max(strengths["negative"], strengths["toxic"], strengths["incident"])
    for subject in ("official", "named_official", "children"):
        strengths[subject] *= tone
    facts = confirmed_by_facts(text)
    contributions = {name: WEIGHTS[name] * value for name, value in strengths.items()}
    for subject, weight in CONFIRMED.items():
        if strengths[subject]:
            confirmation = 1.0 if subject in facts else tone
            contributions[subject] = max(contributions[subject], weight * confirmation)
    if not any(value >= MIN_CONTRIBUTION for name, value in contributions.items() if name not in SPREAD):
        for name in SPREAD:
            contributions[name] = 0.0  # a widely seen cat photo is no risk
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
