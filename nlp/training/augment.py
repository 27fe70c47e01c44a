"""Training-data augmentation for the weakly supervised classifiers (incident, topic).

Two sources of realistic short complaints that the templates alone do not give:

- ``noisy``: a text as residents type it in comments — lower case, punctuation dropped, a typo
  (a letter dropped, doubled or swapped), an emoji; applied to positives *and* negatives, so
  the noise itself carries no label;
- ``excerpts``: the one or two sentences of a real appeal that name the problem, in the
  register of a comment (no greeting, no address to an official) — the 800 appeals are long
  formal letters, comments under a post are a sentence long.
"""

from __future__ import annotations

import random
import re

EMOJI = ["😡", "🤬", "😤", "🙄", "😢", "👎", "🤦", "😒", "😠", "((("]
PUNCTUATION = re.compile(r"[.,;:!?«»\"()—–-]+")
SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")
GREETING = re.compile(
    r"^(?:здравствуйте|добрый (?:день|вечер)|уважаем\w+|доброго времени суток|прошу|просим)\b",
    re.IGNORECASE,
)


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def noisy(text: str, rng: random.Random) -> str:
    """One comment-style variant of ``text``; each change applied with its own probability."""
    if rng.random() < 0.7:
        text = text.lower()
    if rng.random() < 0.5:
        text = PUNCTUATION.sub(" ", text)
    words = text.split()
    if words and rng.random() < 0.5:
        i = rng.randrange(len(words))
        words[i] = typo(words[i], rng)
    text = " ".join(words).replace("ё", "е") if rng.random() < 0.5 else " ".join(words)
    if rng.random() < 0.25:
        text += " " + rng.choice(EMOJI) * rng.randint(1, 3)
    return text


def excerpts(text: str, cue: re.Pattern[str], rng: random.Random, limit: int = 220) -> list[str]:
    """Up to two short pieces of ``text`` (1–2 sentences from a sentence matching ``cue``)."""
    sentences = [s.strip() for s in SENTENCE.split(text) if len(s.strip()) > 15]
    sentences = [s for s in sentences if not GREETING.match(s)]
    out = []
    for i, sentence in enumerate(sentences):
        if not cue.search(sentence.lower()):
            continue
        piece = sentence
        if i + 1 < len(sentences) and rng.random() < 0.4:
            piece = f"{piece} {sentences[i + 1]}"
        if len(piece) <= limit:
            out.append(piece)
        if len(out) == 2:
            break
    return out
