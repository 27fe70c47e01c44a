"""The whole analysis of a post: one ``Analyzer`` loads every model once and maps posts in batches.

    analyzer = Analyzer.load(municipality)          # or Analyzer.load(None): no geo-linking
    analyses = analyzer.map(posts)                  # list[Analysis], same order as posts

Non-Russian texts get only ``language`` and ``lemmas``; classifiers see the normalised text
(``nlp.normalize``), NER and geo-linking the text as written, so offsets point into it. A comment
whose post is known (``parents``) is also read under it (``nlp.thread``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import TypeVar

from threadpoolctl import threadpool_limits

from infopole.config.municipality import Municipality
from infopole.domain.analysis import Analysis
from infopole.domain.post import Post, PostKind
from infopole.domain.spread import Spread
from nlp import language
from nlp.geo import GeoLinker
from nlp.incident import IncidentClassifier, IncidentScore
from nlp.lemmas import lemma_text
from nlp.ner import NerTagger, officials_mentioned
from nlp.normalize import normalize
from nlp.pack import Checkpoints, CountCache
from nlp.risk import assess, reach_per_hour
from nlp.sentiment import SentimentClassifier
from nlp.stories import Membership, StoryIndex
from nlp.subtopic import choose as choose_subtopic
from nlp.thread import incident_in_thread, topics_in_thread
from nlp.topic import TopicClassifier, Topics
from nlp.toxicity import ToxicityClassifier

T = TypeVar("T")
RUSSIAN = (language.RUSSIAN, language.UNDETERMINED)  # texts without letters are analysed as Russian


def chop(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class Document:
    """What the analysis needs of a post: identity, text and how far it spreads (``nlp.risk``)."""

    key: str
    text: str
    title: str = ""
    reach: int = 0
    published_at: datetime | None = None
    by_page: bool = False  # a comment in the name of a community: the page answering, not a resident
    audience: int = 0  # subscribers of the post's source; 0: unknown
    observed_at: datetime | None = None  # when ``reach`` was counted; None: unknown, so no growth
    parent_text: str = ""  # a comment's post (title and text); empty: a post, or its post unknown

    @classmethod
    def of(cls, post: Post, spread: Spread | None = None, parent: Post | None = None) -> Document:
        comment = post.kind is PostKind.COMMENT
        by_page = post.author_is_community and comment
        spread = spread or Spread()
        return cls(
            post.key,
            post.text,
            post.title,
            post.metrics.reach,
            post.published_at,
            by_page,
            spread.audience,
            spread.observed_at,
            cls.of(parent).full_text if parent is not None and comment else "",
        )

    @property
    def full_text(self) -> str:
        return f"{self.title}\n{self.text}" if self.title else self.text


class Analyzer:
    def __init__(
        self,
        ner: NerTagger,
        geo: GeoLinker,
        topic: TopicClassifier,
        sentiment: SentimentClassifier,
        incident: IncidentClassifier,
        toxicity: ToxicityClassifier,
        officials: Sequence[str] = (),
        batch_size: int = 64,
        stories: StoryIndex | None = None,
    ) -> None:
        self.ner = ner
        self.geo = geo
        self.topic = topic
        self.sentiment = sentiment
        self.incident = incident
        self.toxicity = toxicity
        self.officials = tuple(officials)
        self.batch_size = batch_size
        self.stories = stories if stories is not None else StoryIndex()
        natasha = metadata.version("natasha")
        models = "+".join(model.model.model_id for model in (topic, sentiment, incident, toxicity))
        self.model_id = f"infopole-nlp/1:natasha-{natasha}+{models}"

    @classmethod
    def load(
        cls,
        municipality: Municipality | None = None,
        models_dir: Path | None = None,
        batch_size: int = 64,
        checkpoints: Checkpoints | None = None,
    ) -> Analyzer:
        """``checkpoints``: a local Hugging Face checkpoint per classifier name (the setting
        ``nlp_checkpoints``) in place of its committed pack."""
        sentiment = SentimentClassifier.load(models_dir, checkpoints)
        # a round-3 incident pack reads the scores of the committed sentiment pack it was trained with
        # (loaded by ``IncidentClassifier.load`` when a checkpoint replaces sentiment); since round 4
        # the incident pack reads none
        features = None if "sentiment" in (checkpoints or {}) else sentiment
        return cls(
            ner=NerTagger(),
            geo=GeoLinker(municipality),
            topic=TopicClassifier.load(models_dir, checkpoints),
            sentiment=sentiment,
            incident=IncidentClassifier.load(models_dir, features, checkpoints),
            toxicity=ToxicityClassifier.load(models_dir, checkpoints),
            officials=municipality.officials if municipality else (),
            batch_size=batch_size,
        )

    def map(
        self,
        posts: Sequence[Post],
        spreads: Mapping[str, Spread] | None = None,
        stories: bool = True,
        parents: Mapping[str, Post] | None = None,
    ) -> list[Analysis]:
        """``spreads``: what the store knows of each post's spread by key (``PostStore.spreads``).
        ``stories=False``: no ``duplicate_of`` / ``story_id`` and the story index is not touched — for
        a cache of analyses, whose posts must join the index later, in order (``join_stories``).
        ``parents``: the posts the comments answer, by key (``PostStore.parents``)."""
        spreads, parents = spreads or {}, parents or {}
        documents = [
            Document.of(post, spreads.get(post.key), parents.get(post.parent_key or "")) for post in posts
        ]
        return self.map_documents(documents, stories)

    def join_stories(self, posts: Sequence[Post], analyses: Sequence[Analysis]) -> list[Analysis]:
        """The analyses with the duplicate cluster and story of each post, decided against the index
        in the given order (the store's: oldest first), each post then held by it. Stories depend on
        what came before, so they are never cached with the rest of an analysis."""
        return self._join([Document.of(post) for post in posts], list(analyses))

    def _join(self, documents: Sequence[Document], analyses: list[Analysis]) -> list[Analysis]:
        for i, (document, analysis) in enumerate(zip(documents, analyses, strict=True)):
            if analysis.language not in RUSSIAN:
                continue
            membership = self.stories.add(
                document.key, document.full_text, analysis.lemmas, document.published_at, _places(analysis)
            )
            analyses[i] = replace(
                analysis, duplicate_of=membership.duplicate_of, story_id=membership.story_id
            )
        return analyses

    def remember(self, pairs: Iterable[tuple[Post, Analysis]]) -> int:
        """Seed the duplicate and story index with analysed posts (the store's recent ones, oldest
        first), keeping their stored ``duplicate_of`` and ``story_id``; the number taken."""
        taken = 0
        for post, analysis in sorted(pairs, key=lambda pair: (pair[0].published_at, pair[0].key)):
            if post.key in self.stories.entries or analysis.language not in RUSSIAN:
                continue
            self.stories.add(
                post.key,
                Document.of(post).full_text,
                analysis.lemmas,
                post.published_at,
                _places(analysis),
                known=Membership(analysis.duplicate_of, analysis.story_id),
            )
            taken += 1
        return taken

    def forget(self) -> None:
        """Empty the duplicate and story index."""
        self.stories.forget()

    def map_documents(self, documents: Sequence[Document], stories: bool = True) -> list[Analysis]:
        out: list[Analysis] = []
        # numpy's BLAS threads fight each other on a shared 2-core machine (10× slower NER):
        # one thread per process; scale with processes
        with threadpool_limits(limits=1):
            for batch in chop(documents, self.batch_size):
                analysed = self._batch(batch)
                out.extend(self._join(batch, analysed) if stories else analysed)
        return out

    def _batch(self, documents: Sequence[Document]) -> list[Analysis]:
        languages = [language.detect(document.full_text) for document in documents]
        russian = [i for i, lang in enumerate(languages) if lang in RUSSIAN]
        texts = [normalize(documents[i].full_text) for i in russian]
        cache = CountCache(texts)  # the four classifiers share one hashing of the batch
        topics = self.topic.map(texts, cache)
        sentiment_scores = self.sentiment.model.scores(texts, cache=cache)
        sentiments = self.sentiment.adapt(sentiment_scores)
        shared = self.incident.sentiment is self.sentiment
        incidents = self.incident.map(texts, cache, sentiment_scores if shared else None)
        toxicities = self.toxicity.map(texts, cache)
        threads = [normalize(documents[i].parent_text) for i in russian]
        above = self._posts_above(threads, texts, topics, incidents)
        results: dict[int, Analysis] = {}
        entity_lists = list(self.ner.map([documents[i].full_text for i in russian]))
        for k, i in enumerate(russian):
            document = documents[i]
            entities = entity_lists[k]
            addresses, settlement = self.geo(document.full_text)
            officials = officials_mentioned(entities, document.full_text, self.officials)
            incident, topic, thread = incidents[k], topics[k], threads[k]
            if thread:
                incident = incident_in_thread(texts[k], incident, above[thread][1])
            if document.by_page:  # a page's replies to residents name their problems; nobody asks it to act
                incident = replace(incident, is_incident=False, joined=False)
            if thread:
                topic = topics_in_thread(topic, above[thread][0])
            risk = assess(
                texts[k],
                negative=sentiments[k].scores["negative"],
                toxicity=toxicities[k],
                incident=incident.score if incident.is_incident else 0.0,
                reach=document.reach,
                officials=tuple(officials),
                per_hour=reach_per_hour(document.reach, document.published_at, document.observed_at),
                audience=document.audience,
            )
            reason = ""
            if incident.is_incident:
                parts = ["присоединяется к жалобе поста"] if incident.joined else []
                parts += [f"проблема: «{incident.problem}»"] if incident.problem else []
                place = addresses[0].text if addresses else settlement
                if place:
                    parts.append(f"место: {place}")
                if topic.block:
                    parts.append(f"блок: {topic.block}")
                reason = "; ".join(parts)
            lemmas = lemma_text(document.full_text)
            subtopic = choose_subtopic(texts[k], set(lemmas.split()), topic.blocks, topic.scores)
            results[i] = Analysis(
                post_key=document.key,
                model_id=self.model_id,
                block=topic.block,
                blocks=topic.blocks,
                block_scores=topic.scores,
                subtopic=subtopic.name if subtopic else None,
                subtopic_score=subtopic.score if subtopic else 0.0,
                sentiment=sentiments[k].label,
                sentiment_scores=sentiments[k].scores,
                is_incident=incident.is_incident,
                incident_score=incident.score,
                incident_reason=reason,
                toxicity=toxicities[k],
                risk_score=risk.score,
                risk_factors=risk.factors,
                entities=tuple(entities),
                addresses=tuple(addresses),
                settlement=settlement,
                lemmas=lemmas,
                language=languages[i],
            )
        return [
            results.get(i)
            or Analysis(
                post_key=document.key,
                model_id=self.model_id,
                lemmas=lemma_text(document.full_text),
                language=languages[i],
            )
            for i, document in enumerate(documents)
        ]

    def _posts_above(
        self,
        threads: Sequence[str],
        texts: Sequence[str],
        topics: Sequence[Topics],
        incidents: Sequence[IncidentScore],
    ) -> dict[str, tuple[Topics, IncidentScore]]:
        """How the topic and incident packs read each distinct post the batch's comments answer
        (``threads``: normalised, empty for none), by text. A post in the batch itself (a crawl
        often brings a post and its comments together) keeps the reading it already got; only the
        others are scored, once however many comments answer them."""
        wanted = {text for text in threads if text}
        in_batch = {text: k for k, text in enumerate(texts) if text in wanted}
        readings = {text: (topics[k], incidents[k]) for text, k in in_batch.items()}
        missing = sorted(wanted - readings.keys())
        if missing:
            scored = zip(self.topic.map(missing), self.incident.map(missing), strict=True)
            readings.update(zip(missing, scored, strict=True))
        return readings


def _places(analysis: Analysis) -> list[str]:
    """The settlement and streets of a post: extra terms of its story vector."""
    streets = [address.street for address in analysis.addresses if address.street]
    return [analysis.settlement, *streets] if analysis.settlement else streets
