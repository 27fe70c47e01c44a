"""Named entities with natasha: PER, LOC, ORG with normal forms, as our own ``Entity`` records.

Only ``adapt_span`` touches natasha types. The tagger loads natasha's NER model (shipped in its
wheel) once; ``map`` runs over texts in batches. Offsets point into the text as given.

Speed: the network runs only on texts with a capitalised word that does not open a sentence
(names, places and organisations are written so; «нет воды третий день» has none), and normal
forms come from pymorphy2 parses of the span's words (cached) instead of natasha's segmenter
and morphology network, which cost more than the NER itself: a person's words go to the
nominative; a place or organisation is inflected up to its head noun («администрации
Кингисеппского района» → «администрация Кингисеппского района»).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from infopole.domain.analysis import Entity

# a capital letter that does not open the text or a sentence: a name is likely
INNER_CAPITAL = re.compile(r"(?<![.!?…\n])(?<![.!?…]\s)(?<![.!?…]\s\s)(?<=[\w\s«\"(,;:-])[А-ЯЁA-Z]")
WORD = re.compile(r"[А-Яа-яЁё]+")


def needs_ner(text: str) -> bool:
    return INNER_CAPITAL.search(text) is not None


def adapt_span(span: Any, text: str) -> Entity:
    """A natasha ``Span`` of the NER markup (type, start, stop) → ``Entity`` with its normal form."""
    surface = text[span.start : span.stop]
    return Entity(
        type=span.type, text=surface, normal=normal_form(surface, span.type), start=span.start, stop=span.stop
    )


@lru_cache(maxsize=100_000)
def _parse(word: str, person: bool) -> Any:
    from nlp.lemmas import _morph

    parses = _morph().parse(word)
    if person:
        named = [p for p in parses if {"Name", "Surn", "Patr"} & set(p.tag.grammemes)]
        if named:
            return named[0]
    return parses[0]


@lru_cache(maxsize=100_000)
def _nominative(word: str, person: bool, number: str | None = None) -> tuple[str, bool]:
    """The word in the nominative (keeping gender, in ``number`` if given) and whether it is a noun."""
    parse = _parse(word.lower(), person)  # natasha's MorphForm: UD pos and feats, inflect by UD values
    noun = parse.pos in ("NOUN", "PROPN")
    wanted = {"Nom"} | ({number} if number else set())
    if parse.feats.get("Case") in (None, "Nom") and not number:
        return word, noun
    inflected = parse.inflect(wanted) if parse.pos in ("NOUN", "PROPN", "ADJ", "DET", "NUM") else None
    if inflected is None:
        return word, noun
    form = str(inflected.word)
    if word.isupper() and len(word) > 1:
        form = form.upper()
    elif word[:1].isupper():
        form = form[:1].upper() + form[1:]
    return form, noun


def normal_form(surface: str, kind: str) -> str:
    person = kind == "PER"
    out, last = [], 0
    inflecting = True
    for match in WORD.finditer(surface):
        out.append(surface[last : match.start()])
        word = match.group(0)
        if inflecting:
            word, noun = _nominative(word, person)
            if noun and not person:
                inflecting = False  # the head noun: its dependents («Кингисеппского района») stay
        out.append(word)
        last = match.end()
    out.append(surface[last:])
    return "".join(out)


class NerTagger:
    def __init__(self, embedding: Any | None = None) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # pymorphy2 imports the deprecated pkg_resources
            from natasha import NewsNERTagger

            from nlp.vectors import embedding as shared_embedding

            self.embedding = embedding or shared_embedding()
            self.ner = NewsNERTagger(self.embedding)

    def __call__(self, text: str) -> list[Entity]:
        return next(self.map([text]))

    def map(self, texts: Iterable[str]) -> Iterator[list[Entity]]:
        """Entities per text; the NER network runs over the texts that need it, in one batch."""
        texts = list(texts)
        wanted = [i for i, text in enumerate(texts) if needs_ner(text)]
        markups = dict(zip(wanted, self.ner.map([texts[i] for i in wanted]), strict=True))
        for i, text in enumerate(texts):
            markup = markups.get(i)
            yield [adapt_span(span, text) for span in markup.spans] if markup is not None else []


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
