"""The subtopic of a post: one of the taxonomy's 195, within the blocks the topic model chose.

No subtopic-labelled posts exist, so this is weak supervision made explicit rather than a trained
model: the evidence for a subtopic is its keyword rules (``nlp.subtopics``: what residents write
when they mean it) and the share of its name's lemmas found in the post (each name lemma weighted
by how few subtopic names share it, so «снег» says little and «борщевик» a lot). Only subtopics of
the post's own blocks compete, the evidence discounted by how far their block's score is below the
top block's; a block with one subtopic names it, and a catch-all («Здравоохранение прочее») is given
only when its block is sure and nothing more specific of it matched.

A subtopic is returned only when it is confident: a minimum score and a clear lead over the
runner-up — a tie between two subtopics is reported as «no subtopic», not as a coin toss.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from infopole.config.blocks import subtopic_to_block
from nlp.lemmas import lemmatize
from nlp.subtopics import CATCH_ALL, RULES

# One rule part matched leaves 0.4 of the doubt: one plain rule gives 0.6, a rule with context
# («яма» and «двор») or two rules 0.84. The same saturating form as the block lexicon (``nlp.topic``).
HIT_DECAY = 0.4
# A post that repeats a subtopic's whole name (lemmas) adds 0.35: names are formal («Нарушение
# правил уборки…») and their words often only set the scene («детская площадка» under a fallen tree),
# so the name supports a rule and breaks ties but never makes a subtopic alone (0.35 < MIN_SCORE).
NAME_WEIGHT = 0.35
# A single rule (0.6) in the top block is enough; the name alone is not.
MIN_SCORE = 0.55
# The best must beat the runner-up by this much: one rule each (0.6 vs 0.6) is a tie and gives no
# subtopic, two against one (0.84 vs 0.6) is a lead.
MIN_LEAD = 0.15
# Subtopics of the blocks scoring at least this share of the top block's score compete: a yard
# pothole may come out «Дороги» 0.58 first and «Благоустройство» 0.35 second, and the yard decides.
BLOCK_SHARE = 0.5
# A block scoring below this holds no subtopic: the topic model lists blocks from 0.2, and on the
# Troitsk appeals the subtopics found in blocks below 0.3 were mostly of a block that was itself wrong.
MIN_BLOCK = 0.3
# A competing block's evidence is discounted by this much of its gap to the top block: at share 0.5
# it keeps 0.75 of its weight, so its subtopic must speak clearly louder than the top block's.
BLOCK_DISCOUNT = 0.5
# A block with a single subtopic names it: as strong as two rules, if the block is sure and one of
# the subtopic's own rules matched (the block lexicon is broader: «магазин» makes «Торговля», but a
# shop is not «Нестационарная торговля»).
SOLE_EVIDENCE = 0.84
# A catch-all subtopic: a bit above MIN_SCORE, if the block is sure.
CATCH_ALL_EVIDENCE = 0.6
# «Sure» is the block's own blended score (``nlp.topic``) at least this: about two keyword hits of the
# block lexicon with the model agreeing. Below it the block itself is a guess (on the Troitsk appeals
# a weak «Торговля» or «Связь» block named its only subtopic for posts about the virus or the metro).
SURE_BLOCK = 0.5
# A rule counts at most this many hits however many parts it has: a third part narrows a rule, it is
# not a third piece of evidence.
MAX_RULE_HITS = 2
# Function words and words every second subtopic name uses: they say nothing about the subtopic.
NAME_STOP = frozenset(
    {"и", "или", "в", "во", "на", "с", "со", "от", "по", "для", "к", "о", "об", "из", "за", "не", "т", "п"}
    | {"др", "прочее", "другой", "нарушение", "правило", "ненадлежащий", "отсутствие", "проблема"}
    | {"необходимый", "организация", "содержание", "работа", "вопрос"}
)


@dataclass(frozen=True, slots=True)
class Subtopic:
    name: str  # the exact taxonomy name, «★» included
    block: str
    score: float  # 0–1: rule and name evidence, discounted if its block is not the top block


@dataclass(frozen=True, slots=True)
class _Rule:
    parts: tuple[int, ...]  # indices into ``_Table.patterns``: all must occur
    absent: tuple[int, ...] = ()  # none may occur («!двор»: a pothole on a road, not in a yard)


@dataclass(frozen=True, slots=True)
class _Table:
    """The rules compiled once, each distinct part once (the yard and snow parts recur in many rules)."""

    patterns: tuple[re.Pattern[str], ...]
    leads: tuple[frozenset[str] | None, ...]  # per pattern, see ``_leads``
    rules: dict[str, tuple[_Rule, ...]]


LEAD = 3  # letters of a word's start that a stem's lead is checked against
QUANTIFIERS = "?*{"


def _alternatives(source: str) -> list[str] | None:
    """The top-level alternatives of a leading ``(?:…)`` group (or of the whole source), or None if
    the source is not of that shape."""
    depth, start, out = 0, 0, []
    body = source
    if source.startswith("(?:"):
        for i, char in enumerate(source):
            depth += char == "(" and source[i - 1 : i] != "\\"
            depth -= char == ")" and source[i - 1 : i] != "\\"
            if depth == 0:
                body = source[3:i]
                break
        else:
            return None
    depth = 0
    for i, char in enumerate(body):
        if char in "()" and body[i - 1 : i] != "\\":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth == 0:
            out.append(body[start:i])
            start = i + 1
    out.append(body[start:])
    if body is source and len(out) > 1:
        return None  # «a|b» at the top level: the rest of the source would bind to the last one only
    return out


def _leads(source: str) -> frozenset[str] | None:
    """The letters (at most ``LEAD``) some word of the text must start with for ``\\b<source>`` to
    match, one set member per alternative; None when that cannot be read off the source, and the
    pattern is then always searched. A cheap set lookup spares most regex searches: the rules of a
    post's blocks are a few hundred patterns, and most of them name words the post does not have."""
    alternatives = _alternatives(source)
    if alternatives is None:
        return None
    leads: set[str] = set()
    for alternative in alternatives:
        alternative = alternative.removeprefix("\\b")
        if alternative.startswith("(?:"):
            inner = _leads(alternative)
            if inner is None:
                return None
            leads |= inner
            continue
        lead = ""
        for i, char in enumerate(alternative[:LEAD]):
            if not char.isalnum() or alternative[i + 1 : i + 2] in tuple(QUANTIFIERS):
                break
            lead += char
        if not lead:
            return None
        leads.add(lead)
    return frozenset(leads)


@cache
def _table() -> _Table:
    unknown = set(RULES) - set(subtopic_to_block())
    if unknown:  # a typo in a key would silently disable its rules
        raise ValueError(f"nlp.subtopics: not taxonomy subtopics: {sorted(unknown)}")
    index: dict[str, int] = {}

    def part(source: str) -> int:
        return index.setdefault(source.removeprefix("\\b"), len(index))

    rules = {
        name: tuple(
            _Rule(
                tuple(part(p) for p in rule.split("&") if not p.startswith("!")),
                tuple(part(p[1:]) for p in rule.split("&") if p.startswith("!")),
            )
            for rule in rules
        )
        for name, rules in RULES.items()
    }
    return _Table(
        tuple(re.compile("\\b" + source) for source in index),
        tuple(_leads(source) for source in index),
        rules,
    )


@cache
def _name_lemmas() -> dict[str, tuple[dict[str, float], float]]:
    """Per subtopic, its name's content lemmas with inverse-document-frequency weights over the names,
    and their sum."""
    lemmas = {
        name: {
            lemma
            for lemma in lemmatize(name.removeprefix("★ "))
            if lemma not in NAME_STOP and not lemma.isdigit()
        }
        for name in subtopic_to_block()
    }
    frequency = Counter(lemma for found in lemmas.values() for lemma in found)
    total = len(lemmas)
    out = {}
    for name, found in lemmas.items():
        weights = {lemma: math.log(1 + total / frequency[lemma]) for lemma in found}
        out[name] = (weights, sum(weights.values()))
    return out


@cache
def _by_block() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for name, block in subtopic_to_block().items():
        out.setdefault(block, []).append(name)
    return {block: tuple(names) for block, names in out.items()}


WORD = re.compile(r"\w+")


def _lowered(text: str) -> str:
    return text.lower().replace("ё", "е")


class _Matches:
    """Whether each rule part occurs in one text, each searched at most once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.table = _table()
        self.found: dict[int, bool] = {}
        words = WORD.findall(text)
        self.starts = {word[:length] for word in words for length in range(1, LEAD + 1)}

    def __call__(self, part: int) -> bool:
        found = self.found.get(part)
        if found is None:
            leads = self.table.leads[part]
            possible = leads is None or not leads.isdisjoint(self.starts)
            found = self.found[part] = possible and self.table.patterns[part].search(self.text) is not None
        return found


def rule_hits(name: str, text: str | _Matches) -> int:
    """Rule parts of ``name`` matched by the (lower-cased) text: a rule counts only if all its parts match
    and none of its absent parts does; a rule with context (two parts) counts twice."""
    matches = text if isinstance(text, _Matches) else _Matches(_lowered(text))
    hits = 0
    for rule in _table().rules.get(name, ()):
        if all(matches(part) for part in rule.parts) and not any(matches(part) for part in rule.absent):
            hits += min(len(rule.parts), MAX_RULE_HITS)
    return hits


def name_overlap(name: str, lemmas: Collection[str]) -> float:
    """The weighted share of the subtopic name's content lemmas found among the post's lemmas."""
    weights, total = _name_lemmas()[name]
    return sum(weight for lemma, weight in weights.items() if lemma in lemmas) / total if total else 0.0


def evidence(name: str, text: str | _Matches, lemmas: Collection[str]) -> float:
    """0–1: how strongly the post speaks of this subtopic, whatever its block."""
    rules = 1 - HIT_DECAY ** rule_hits(name, text)
    return 1 - (1 - rules) * (1 - NAME_WEIGHT * name_overlap(name, lemmas))


def ranked(
    text: str, lemmas: Collection[str], blocks: Sequence[str], scores: Mapping[str, float]
) -> list[Subtopic]:
    """Every subtopic of the competing blocks with its score, best first (ties by taxonomy order)."""
    if not blocks or scores.get(blocks[0], 0.0) <= 0:
        return []
    matches = _Matches(_lowered(text))
    top = scores[blocks[0]]
    out: list[Subtopic] = []
    for block in blocks:
        share = scores.get(block, 0.0) / top
        if share < BLOCK_SHARE or scores.get(block, 0.0) < MIN_BLOCK:
            continue
        names = _by_block().get(block, ())
        found = {name: evidence(name, matches, lemmas) for name in names if name not in CATCH_ALL}
        sure = scores[block] >= SURE_BLOCK
        if len(names) == 1 and sure and rule_hits(names[0], matches):
            found = {names[0]: max(found[names[0]], SOLE_EVIDENCE)}
        elif not any(found.values()) and sure:
            found.update({name: CATCH_ALL_EVIDENCE for name in names if name in CATCH_ALL})
        weight = 1 - BLOCK_DISCOUNT * (1 - share)
        out.extend(
            Subtopic(name, block, round(value * weight, 4)) for name, value in found.items() if value > 0
        )
    out.sort(key=lambda item: -item.score)
    return out


def choose(
    text: str, lemmas: Collection[str], blocks: Sequence[str], scores: Mapping[str, float]
) -> Subtopic | None:
    """The confident subtopic of a post, or None.

    ``text`` as the classifiers see it, ``lemmas`` the post's lemmas (``nlp.lemmas``), ``blocks`` its
    blocks best first and ``scores`` their scores (``nlp.topic.Topics``). The subtopic always belongs
    to one of ``blocks``.
    """
    candidates = ranked(text, lemmas, blocks, scores)
    if not candidates or candidates[0].score < MIN_SCORE:
        return None
    runner_up = candidates[1].score if len(candidates) > 1 else 0.0
    return candidates[0] if candidates[0].score - runner_up >= MIN_LEAD else None
