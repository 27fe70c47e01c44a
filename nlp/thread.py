"""A comment read under the post it answers.

«и у нас 🤬» or «подтверждаю, вчера так же» names no problem: under a resident's complaint it is
one more resident with the same live problem, under a concert poster it is chatter. And «когда уже
сделают?» under a post about the ferry is about the ferry. The classifiers read one text, so the
analyzer reads each comment alone first and then, when it knows the comment's post
(``Document.parent_text``), with these rules:

- **joining**: a comment that joins its post (``JOINING``: «тоже», «и у нас», «та же история»,
  «подтверждаю», «поддерживаю», «+1» …) under a post the incident pack calls an incident is an
  incident, unless it says the problem is over or answers in the manner of an official
  (``BLOCKING``: the incident pack's own cues);
- **support**: under such a post, a comment the pack was unsure of (a score of ``SUPPORT`` or more,
  below the pack's threshold) is an incident too, with the same exceptions: «Садовая 3 — кран сухой
  с утра» names its own case of the post's problem without a joining word;
- **topic**: a comment's blocks weigh its post's blocks too, at ``POST_WEIGHT``; with no block of
  its own it takes its post's. A thread is about its post's subject unless the comment says otherwise.

The joining rule was chosen on blind set 5 with its thread links (``parent`` in ``tests/data``),
blind sets 1–4 checked; ``SUPPORT`` on blind sets 1–7 with the round 8 packs (0.15–0.4 compared),
then checked on blind set 8 with the round 9 packs. The topic rule first applied to incident
comments only (``POST_WEIGHT`` 0.5); reading every comment with its post, at 1.0, was chosen on
blind sets 5–7 in session 7.
``nlp/README.md`` («Comments in their thread») has the figures.
"""

from __future__ import annotations

import re

from nlp.incident import IncidentScore, cue_matches
from nlp.topic import Topics

JOINING = re.compile(
    r"\b(?:тоже|то же(?: самое)?|та же|те же|такая же|такой же|такие же|так же|"
    r"и у (?:нас|меня|нее|него|них|мамы|родителей)|и нам|и мы|"
    r"подтверждаю|поддерживаю|присоединяюсь|аналогичн\w*)\b"
    r"|^\s*\+\s*\d*\s*$|^\s*\+{1,3}\s"
)
BLOCKING = ("resolved", "done", "reply", "announcement", "elsewhere")  # ``nlp.incident.CUES``
SUPPORT = 0.25  # blind sets 1–7, round 8 packs: mean incident F1 0.899 (no rule), 0.900 at 0.3, 0.902 at 0.25
POST_WEIGHT = 1.0  # every comment: 0.5, 0.7, 1.0, 1.5, 2.0 compared on blind sets 1–7 (nlp/README.md)


def joins(text: str) -> bool:
    """The comment attaches itself to what it answers (lower-cased, «ё» as «е», like the cues)."""
    return bool(JOINING.search(text.lower().replace("ё", "е")))


def incident_in_thread(text: str, own: IncidentScore, parent: IncidentScore) -> IncidentScore:
    """The comment's incident decision read under its post (``text``: the comment, normalised). A
    joining comment takes the post's score; a supported one keeps its own (its text alone is less
    sure), and both are marked ``joined``."""
    if own.is_incident or not parent.is_incident:
        return own
    joining = joins(text)
    if not joining and own.score < SUPPORT:
        return own
    hits = cue_matches(text)
    if any(hits[name] for name in BLOCKING):
        return own
    score = max(own.score, parent.score) if joining else own.score
    return IncidentScore(score, True, own.problem or parent.problem, joined=True)


def topics_in_thread(own: Topics, parent: Topics) -> Topics:
    """A comment's blocks weigh its post's at ``POST_WEIGHT``: «а педиатр когда появится? возим
    детей через реку» under a post about the clinic is about the clinic, not the river. A comment
    its own relevance gate left without a block takes its post's: «у третьего подъезда так же»
    under a post about a yard not cleared of snow is about the yards, whether or not it reads as a
    complaint (thanks and chatter in that thread are counted under the same block too)."""
    if not parent.block:
        return own
    scores = dict.fromkeys([*own.scores, *parent.scores], 0.0)
    if own.block:
        for block, score in own.scores.items():
            scores[block] += score
    for block, score in parent.scores.items():
        scores[block] += POST_WEIGHT * score
    # ``scores`` holds each side's top few; a listed block beyond them counts 0 (ties: by name)
    ranked = sorted({*own.blocks, *parent.blocks}, key=lambda block: (-scores.get(block, 0.0), block))
    top = sorted(scores, key=lambda block: (-scores[block], block))[
        : max(len(own.scores), len(parent.scores))
    ]
    return Topics(ranked[0], tuple(ranked), {block: round(scores[block], 4) for block in top}, own.keywords)
