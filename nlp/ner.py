"""Named entities with natasha: PER, LOC, ORG with normal forms, as our own ``Entity`` records.

Only ``adapt_span`` touches natasha types. The tagger loads natasha's models (shipped in its
wheel) once; ``map`` runs over texts. Offsets point into the text as given.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from infopole.domain.analysis import Entity


def adapt_span(span: Any) -> Entity:
    """A natasha ``DocSpan`` (normalised) → ``Entity``."""
    return Entity(
        type=span.type, text=span.text, normal=span.normal or span.text, start=span.start, stop=span.stop
    )


class NerTagger:
    def __init__(self, embedding: Any | None = None) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # pymorphy2 imports the deprecated pkg_resources
            from natasha import MorphVocab, NewsEmbedding, NewsMorphTagger, NewsNERTagger, Segmenter

            self.embedding = embedding or NewsEmbedding()
            self.segmenter = Segmenter()
            self.ner = NewsNERTagger(self.embedding)
            self.morph = NewsMorphTagger(self.embedding)
            self.vocab = MorphVocab()

    def __call__(self, text: str) -> list[Entity]:
        return next(self.map([text]))

    def map(self, texts: Iterable[str]) -> Iterator[list[Entity]]:
        """Entities per text; the NER network runs over the texts in batches."""
        from natasha import Doc
        from natasha.doc import adapt_spans

        texts = list(texts)
        markups = self.ner.map([text if text.strip() else "." for text in texts])
        for text, markup in zip(texts, markups, strict=True):
            if not text.strip() or not markup.spans:
                yield []
                continue
            doc = Doc(text)
            doc.segment(self.segmenter)
            doc.spans = list(adapt_spans(doc, markup.spans))
            doc.envelop_span_tokens()
            doc.envelop_sent_spans()
            doc.tag_morph(self.morph)  # normal forms need the morphology of the span's tokens
            entities = []
            for span in doc.spans:
                span.normalize(self.vocab)
                entities.append(adapt_span(span))
            yield entities


def officials_mentioned(entities: Sequence[Entity], text: str, officials: Sequence[str]) -> list[str]:
    """Configured officials (surnames or full names) named in the text, by PER entity or by surname."""
    from nlp.lemmas import lemmatize

    if not officials:
        return []
    people = {lemma for entity in entities if entity.type == "PER" for lemma in lemmatize(entity.normal)}
    words = set(lemmatize(text))
    found = []
    for official in officials:
        surname = lemmatize(official.split()[-1] if " " in official else official)
        if surname and (surname[0] in people or surname[0] in words):
            found.append(official)
    return found
