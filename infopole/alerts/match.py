"""Does one document match a saved search? The query AST evaluated in Python, with no index.

Watchlists run on each new post before it reaches the index (and must not wait for it), so
the rule needs a pure matcher. It follows the embedded backend's semantics exactly: words
match lemmas, phrases match consecutive exact words, keyword filters compare ``norm``-ed
values (any element of a list field), and deleted documents match nothing.
"""

from __future__ import annotations

from datetime import datetime

from index.document import IndexDocument, norm
from index.query import And, Compare, DateRange, Flag, MatchAll, Not, Or, Phrase, Query, Term, Word

_COMPARE = {
    ">": float.__gt__,
    ">=": float.__ge__,
    "<": float.__lt__,
    "<=": float.__le__,
    "=": float.__eq__,
}


def matches(query: Query, document: IndexDocument) -> bool:
    if document.is_deleted:
        return False
    return _eval(query, document, set(document.lemmas.split()), f" {document.words} ")


def _eval(query: Query, document: IndexDocument, lemmas: set[str], words: str) -> bool:
    if isinstance(query, MatchAll):
        return True
    if isinstance(query, Word):
        return query.lemma in lemmas
    if isinstance(query, Phrase):
        return f" {' '.join(query.words)} " in words
    if isinstance(query, Term):
        value = getattr(document, query.field)
        items = value if isinstance(value, tuple) else (value,)
        return any(item and norm(str(item)) == query.value for item in items)
    if isinstance(query, Flag):
        return bool(getattr(document, query.field)) is query.value
    if isinstance(query, Compare):
        return _COMPARE[query.op](float(getattr(document, query.field)), query.value)
    if isinstance(query, DateRange):
        return _in_range(document.published_at, query.start, query.end)
    if isinstance(query, Not):
        return not _eval(query.child, document, lemmas, words)
    if isinstance(query, And):
        return all(_eval(child, document, lemmas, words) for child in query.children)
    if isinstance(query, Or):
        return any(_eval(child, document, lemmas, words) for child in query.children)
    raise TypeError(f"not a query node: {query!r}")


def _in_range(moment: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or moment >= start) and (end is None or moment < end)
