"""Near-duplicates and stories: which earlier post a post copies, and which event it tells of.

Every post is compared with the recent posts the ``StoryIndex`` holds (a time window, bounded
in size), then added to it, so a new batch meets the earlier ones:

- ``duplicate_of`` is the key of the first post of its duplicate cluster: the same words after
  normalisation (case, links, mentions, punctuation and emoji dropped), or a near copy — word
  3-shingles with Jaccard ≥ ``near`` or one text containing ≥ ``contained`` of the other's
  shingles (a repost with a comment); candidates come from MinHash LSH and are verified on the
  shingle sets. The first post of a cluster has ``duplicate_of`` null: it copies nothing.
- ``story_id`` is shared by posts about the same event: tf-idf cosine of content lemmas (with
  the settlement and streets found by geo-linking as extra terms) ≥ ``similar`` to a post of the
  story within ``story_hours``; a copy is always in its original's story. A post with fewer than
  ``min_terms`` content lemmas («спасибо!») gets no story.

The index is memory only; between runs it is seeded from stored analyses with ``remember``
(the pipeline's analyse step feeds it the recent posts), which carry ``duplicate_of`` and
``story_id``, so clusters keep their ids across runs and processes without a table of their own.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from nlp.normalize import URL

WORD = re.compile(r"[0-9a-zа-я]+")
MENTION = re.compile(r"\[(?:id|club|public)\d+\|[^\]]*\]|(?<!\w)@\w+")
PERMUTATIONS = 64
BANDS = 16  # 16 bands of 4 rows: a pair with Jaccard 0.5 becomes a candidate with p ≈ 0.65, 0.7 → 0.98
PRIME = (1 << 32) + 15
_RNG = np.random.default_rng(20240601)
_A = _RNG.integers(1, 1 << 31, PERMUTATIONS, dtype=np.uint64)
_B = _RNG.integers(0, 1 << 31, PERMUTATIONS, dtype=np.uint64)

_STOP_WORDS = """
а без более бы был была были было быть в вам вас весь во вот все всего всех вы где да даже для до
его ее если есть еще же за здесь и из или им их к как какой когда кто ли либо мне может мой мы на
над надо наш не него нее нет ни них но ну о об однако он она они оно от очень по под после при про
с со так также такой там те тем то того тоже той только том ты у уже хотя чего чей чем что чтобы
эта эти это этот я свой который мочь сам себя день год раз время сегодня вчера завтра
добрый здравствуйте спасибо пожалуйста подсказать сказать говорить знать хотеть сделать делать
просить прошу человек люди житель жители вопрос ответ информация стать становиться улица
хороший плохой новый большой продать купить кто-нибудь ребята друг всем
"""
STOP = frozenset(_STOP_WORDS.split())  # lemmas that tell nothing of an event


def words(text: str) -> list[str]:
    """Lower-case words of the text without links, mentions, punctuation and emoji; «ё» as «е»."""
    text = MENTION.sub(" ", URL.sub(" ", text)).lower().replace("ё", "е")
    return WORD.findall(text)


def _hash(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=4).digest(), "little")


def shingles(tokens: Sequence[str], size: int = 3) -> frozenset[int]:
    if len(tokens) < size:
        return frozenset()
    return frozenset(_hash(" ".join(tokens[i : i + size])) for i in range(len(tokens) - size + 1))


def minhash(hashes: frozenset[int]) -> np.ndarray:
    values = np.fromiter(hashes, dtype=np.uint64, count=len(hashes))
    return np.asarray(((values[:, None] * _A + _B) % PRIME).min(axis=0), dtype=np.uint64)


def content_terms(lemmas: str) -> list[str]:
    return [t for t in lemmas.split() if t not in STOP and (len(t) >= 3 or t.isdigit())]


@dataclass
class _Entry:
    key: str
    at: datetime | None
    shingles: frozenset[int]
    terms: Counter[str]
    root: str  # the first post of its duplicate cluster (itself if it copies nothing)
    story: str | None
    bands: list[tuple[int, int]] = field(default_factory=list)
    exact: str = ""
    vector: dict[str, float] = field(default_factory=dict)  # weighted with the idf of its arrival


@dataclass(frozen=True)
class Membership:
    duplicate_of: str | None
    story_id: str | None


def story_key(key: str) -> str:
    return "s" + hashlib.sha1(key.encode()).hexdigest()[:12]


class StoryIndex:
    def __init__(
        self,
        window_hours: float = 72,
        story_hours: float = 48,
        near: float = 0.6,
        contained: float = 0.8,
        similar: float = 0.25,
        min_terms: int = 3,
        min_words: int = 5,
        capacity: int = 20_000,
        candidates: int = 50,
    ) -> None:
        self.window = timedelta(hours=window_hours)
        self.story_window = timedelta(hours=story_hours)
        self.near = near
        self.contained = contained
        self.similar = similar
        self.min_terms = min_terms
        self.min_words = min_words
        self.capacity = capacity
        self.candidates = candidates  # posts sharing the most terms, compared by cosine
        self.forget()

    def forget(self) -> None:
        self.entries: dict[str, _Entry] = {}
        self.exact: dict[str, str] = {}
        self.bands: dict[tuple[int, int], set[str]] = defaultdict(set)
        self.postings: dict[str, set[str]] = defaultdict(set)
        self.df: Counter[str] = Counter()
        self.newest: datetime | None = None
        self.evicted_at: datetime | None = None

    def __len__(self) -> int:
        return len(self.entries)

    # --- the two decisions ----------------------------------------------------------------

    def add(
        self,
        key: str,
        text: str,
        lemmas: str,
        at: datetime | None = None,
        places: Iterable[str] = (),
        known: Membership | None = None,
    ) -> Membership:
        """Decide the post's memberships against the index, then hold it; ``known``: stored ones."""
        if key in self.entries:
            self._remove(key)
        tokens = words(text)
        exact = hashlib.sha1(" ".join(tokens).encode()).hexdigest() if len(tokens) >= self.min_words else ""
        grams = shingles(tokens) if len(tokens) >= self.min_words else frozenset()
        terms = Counter(content_terms(lemmas))
        for place in places:
            terms["@" + place.lower().replace("ё", "е")] += 1
        entry = _Entry(key, at, grams, terms, key, None, exact=exact, vector=self._vector(terms))
        if grams:
            signature = minhash(grams).reshape(BANDS, -1)
            entry.bands = [(band, _hash(row.tobytes().hex())) for band, row in enumerate(signature)]
        if known is not None:
            entry.root = known.duplicate_of or key
            entry.story = known.story_id
        else:
            original = self._original(entry)
            if original is not None:
                entry.root = original.root
                entry.story = original.story
            if entry.story is None and sum(terms.values()) >= self.min_terms:
                entry.story = self._story(entry) or story_key(key)
        self._hold(entry)
        return Membership(entry.root if entry.root != key else None, entry.story)

    def _original(self, entry: _Entry) -> _Entry | None:
        if entry.exact and entry.exact in self.exact:
            found = self.entries.get(self.exact[entry.exact])
            if found is not None and self._near_in_time(entry, found, self.window):
                return found
        candidates: set[str] = set()
        for band in entry.bands:
            candidates |= self.bands.get(band, set())
        best: tuple[float, _Entry] | None = None
        for key in candidates:
            other = self.entries[key]
            if not self._near_in_time(entry, other, self.window):
                continue
            common = len(entry.shingles & other.shingles)
            jaccard = common / len(entry.shingles | other.shingles)
            containment = common / min(len(entry.shingles), len(other.shingles))
            score = max(jaccard / self.near, containment / self.contained)
            if score >= 1 and (best is None or score > best[0]):
                best = (score, other)
        return best[1] if best else None

    def _story(self, entry: _Entry) -> str | None:
        vector = entry.vector
        candidates: Counter[str] = Counter()
        for term in entry.terms:
            for key in self.postings.get(term, ()):
                candidates[key] += 1
        best: tuple[float, str] | None = None
        for key, shared in candidates.most_common(self.candidates):
            other = self.entries[key]
            if shared < 2 or other.story is None or not self._near_in_time(entry, other, self.story_window):
                continue
            cosine = sum(weight * other.vector.get(term, 0.0) for term, weight in vector.items())
            if cosine >= self.similar and (best is None or cosine > best[0]):
                best = (cosine, other.story)
        return best[1] if best else None

    def _vector(self, terms: Counter[str]) -> dict[str, float]:
        total = len(self.entries) + 1
        vector = {
            term: (1 + math.log(count)) * (math.log((total + 10) / (self.df[term] + 1)) + 1)
            for term, count in terms.items()
        }
        norm = math.sqrt(sum(value * value for value in vector.values())) or 1.0
        return {term: value / norm for term, value in vector.items()}

    @staticmethod
    def _near_in_time(entry: _Entry, other: _Entry, window: timedelta) -> bool:
        if entry.at is None or other.at is None:
            return True
        return abs(entry.at - other.at) <= window

    # --- holding and evicting ------------------------------------------------------------------

    def _hold(self, entry: _Entry) -> None:
        self.entries[entry.key] = entry
        if entry.exact:
            self.exact.setdefault(entry.exact, entry.key)
        for band in entry.bands:
            self.bands[band].add(entry.key)
        for term in entry.terms:
            self.postings[term].add(entry.key)
            self.df[term] += 1
        if entry.at is not None and (self.newest is None or entry.at > self.newest):
            self.newest = entry.at
            self._evict()
        while len(self.entries) > self.capacity:
            self._remove(next(iter(self.entries)))

    def _evict(self) -> None:
        if self.newest is None or (self.evicted_at and self.newest - self.evicted_at < timedelta(hours=1)):
            return  # an hour's slack keeps eviction off the per-post path
        self.evicted_at = self.newest
        since = self.newest - self.window
        for key in [k for k, e in self.entries.items() if e.at is not None and e.at < since]:
            self._remove(key)

    def _remove(self, key: str) -> None:
        entry = self.entries.pop(key)
        if entry.exact and self.exact.get(entry.exact) == key:
            del self.exact[entry.exact]
        for band in entry.bands:
            self.bands[band].discard(key)
            if not self.bands[band]:
                del self.bands[band]
        for term in entry.terms:
            self.postings[term].discard(key)
            if not self.postings[term]:
                del self.postings[term]
            self.df[term] -= 1
            if self.df[term] <= 0:
                del self.df[term]
