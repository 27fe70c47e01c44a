"""Watchlists: saved searches («ЧП», «пожар», officials' names…) matching a new post.

The query text is parsed on each run with the run's clock (a relative date keeps meaning
"the last seven days"); a query that does not parse becomes an operator alert instead of
silently watching nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from index.document import build_document
from index.query import Query, QuerySyntaxError, parse_query
from infopole.alerts.match import matches
from infopole.alerts.rules import Analysed, post_details
from infopole.alerts.text import excerpt, local_time, where
from infopole.config.municipality import Severity, Watchlist
from infopole.domain.alert import Alert, AlertKind


def official_watchlists(officials: Sequence[str]) -> list[Watchlist]:
    """Each official's name as a phrase query: «Иванов» alone would also match «Иванова улица»."""
    return [Watchlist(name=f"Упоминание: {name}", query=f'"{name}"') for name in officials if name.strip()]


def compile_watchlists(
    watchlists: Sequence[Watchlist], now: datetime, tz: ZoneInfo
) -> tuple[list[tuple[Watchlist, Query]], list[Alert]]:
    compiled, broken = [], []
    for watchlist in watchlists:
        try:
            compiled.append((watchlist, parse_query(watchlist.query, now=now, tz=tz)))
        except QuerySyntaxError as error:
            broken.append(
                Alert(
                    key=f"operator:watchlist:{watchlist.name}:{watchlist.query}",
                    kind=AlertKind.OPERATOR,
                    severity=Severity.MEDIUM.value,
                    title=f"Список наблюдения «{watchlist.name}» не работает: ошибка в запросе",
                    created_at=now,
                    body=str(error),
                    details={"group": f"watchlist:{watchlist.name}"},
                )
            )
    return compiled, broken


def watchlist_alerts(
    pairs: Sequence[Analysed], watchlists: Sequence[Watchlist], now: datetime, tz: ZoneInfo
) -> list[Alert]:
    compiled, alerts = compile_watchlists(watchlists, now, tz)
    for post, analysis in pairs:
        document = build_document(post, analysis)
        for watchlist, query in compiled:
            if not matches(query, document):
                continue
            details = post_details(post, analysis) | {"watchlist": watchlist.name, "query": watchlist.query}
            alerts.append(
                Alert(
                    key=f"watch:{watchlist.name}:{post.key}",
                    kind=AlertKind.WATCHLIST,
                    severity=watchlist.severity.value,
                    title=f"«{watchlist.name}»: {where(analysis.block, analysis.settlement)}",
                    created_at=now,
                    body=(
                        f"Пост совпал со списком наблюдения «{watchlist.name}» (запрос: {watchlist.query}).\n"
                        f"Опубликовано {local_time(post.published_at, tz)}, источник "
                        f"{post.source_id or post.platform}.\n«{excerpt(post.text)}»"
                    ),
                    details=details,
                )
            )
    return alerts
