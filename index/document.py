"""The record both index backends store: one analysed post, flattened for search and facets.

``IndexDocument`` is built from a ``(Post, Analysis)`` pair by the pure function
``build_document``, so the embedded store and Elasticsearch index exactly the same values
and a reindex after a model update is just "build again, upsert again". Display values
(block names, settlements as the gazetteer spells them) are kept as they are; backends
normalise them with ``norm`` for filtering so that ``block:жкх`` finds «ЖКХ».
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from infopole.domain.analysis import Analysis
from infopole.domain.post import Post
from nlp.lemmas import lemma_text, tokens


def norm(value: str) -> str:
    """The filter key of a keyword value: case and «ё» must not decide whether a filter matches."""
    return value.strip().casefold().replace("ё", "е")


def words_text(text: str) -> str:
    """The exact-word form of a text: the tokens of ``nlp.lemmas`` joined by spaces.

    Phrases are matched against this (not the lemmas), and both backends only split it on
    spaces, so a phrase matches the same tokens whichever engine runs it.
    """
    return " ".join(tokens(text))


@dataclass(frozen=True, slots=True)
class IndexDocument:
    """One searchable post or comment. ``id`` is ``Post.key``, so re-indexing is idempotent."""

    id: str
    text: str
    published_at: datetime
    platform: str
    kind: str = "post"
    title: str = ""
    lemmas: str = ""  # space-separated lemmas of title and text (nlp.lemmas)
    source_id: str = ""
    owner_id: str = ""
    author_id: str = ""  # pseudonym
    url: str = ""
    parent_key: str | None = None
    likes: int = 0
    reposts: int = 0
    views: int = 0
    comments: int = 0
    reach: int = 0
    block: str | None = None  # the top block
    blocks: tuple[str, ...] = ()
    block_scores: dict[str, float] = field(default_factory=dict)
    # display only: kept in the stored record (ES ``_source`` under ``dynamic: false``, the embedded
    # ``doc`` JSON) but neither mapped nor a column, so adding it changed no mapping; older records
    # read back as None
    subtopic: str | None = None
    sentiment: str = "neutral"
    is_incident: bool = False
    incident_score: float = 0.0
    risk_score: float = 0.0
    toxicity: float = 0.0
    entities: tuple[str, ...] = ()  # normal forms, unique, in order of first mention
    settlement: str | None = None
    street: str | None = None
    lat: float | None = None
    lon: float | None = None
    story_id: str | None = None
    duplicate_of: str | None = None
    department: str | None = None
    model_id: str = ""
    is_deleted: bool = False

    @property
    def full_text(self) -> str:
        """Title and text as one string: what words, phrases and highlights are computed over."""
        return f"{self.title}\n{self.text}" if self.title else self.text

    @property
    def words(self) -> str:
        return words_text(self.full_text)

    def to_json(self) -> dict[str, Any]:
        # a shallow copy field by field: ``asdict`` deep-copies recursively and was 40 % of indexing time
        data = {name: getattr(self, name) for name in FIELD_NAMES}
        data["published_at"] = self.published_at.isoformat()
        data["blocks"] = list(self.blocks)
        data["entities"] = list(self.entities)
        data["block_scores"] = dict(self.block_scores)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IndexDocument:
        data = dict(data)
        data["published_at"] = datetime.fromisoformat(data["published_at"])
        data["blocks"] = tuple(data.get("blocks") or ())
        data["entities"] = tuple(data.get("entities") or ())
        data["block_scores"] = dict(data.get("block_scores") or {})
        return cls(**data)


FIELD_NAMES = tuple(item.name for item in fields(IndexDocument))


def build_document(post: Post, analysis: Analysis, *, department: str | None = None) -> IndexDocument:
    """Flatten an analysed post into what the index stores.

    ``department`` is passed in (routing by block and territory is the domain's decision,
    not the index's); it feeds the block × department heat map. The analysis must be of
    this post: a mismatched pair would silently index one post's topics under another's text.
    """
    if analysis.post_key != post.key:
        raise ValueError(f"analysis of {analysis.post_key!r} does not belong to post {post.key!r}")
    full_text = f"{post.title}\n{post.text}" if post.title else post.text
    lemmas = analysis.lemmas or lemma_text(full_text)
    address = next((item for item in analysis.addresses if item.street or item.lat is not None), None)
    lat, lon = (post.geo.lat, post.geo.lon) if post.geo else (None, None)
    if lat is None and address is not None and address.lat is not None and address.lon is not None:
        lat, lon = address.lat, address.lon
    settlement = analysis.settlement or next(
        (item.settlement for item in analysis.addresses if item.settlement), None
    )
    blocks = tuple(dict.fromkeys([*([analysis.block] if analysis.block else []), *analysis.blocks]))
    return IndexDocument(
        id=post.key,
        text=post.text,
        title=post.title,
        lemmas=lemmas,
        platform=post.platform.value,
        source_id=post.source_id,
        owner_id=post.owner_id,
        author_id=post.author_id,
        published_at=post.published_at,
        url=post.url,
        kind=post.kind.value,
        parent_key=post.parent_key,
        likes=post.metrics.likes,
        reposts=post.metrics.reposts,
        views=post.metrics.views,
        comments=post.metrics.comments,
        reach=post.metrics.reach,
        block=analysis.block or (blocks[0] if blocks else None),
        blocks=blocks,
        block_scores=dict(analysis.block_scores),
        subtopic=analysis.subtopic,
        sentiment=analysis.sentiment,
        is_incident=analysis.is_incident,
        incident_score=analysis.incident_score,
        risk_score=analysis.risk_score,
        toxicity=analysis.toxicity,
        entities=tuple(dict.fromkeys(entity.normal for entity in analysis.entities if entity.normal)),
        settlement=settlement,
        street=address.street if address else None,
        lat=lat,
        lon=lon,
        story_id=analysis.story_id,
        duplicate_of=analysis.duplicate_of,
        department=department,
        model_id=analysis.model_id,
        is_deleted=post.is_deleted,
    )
