"""Search over the information field with the analysts' query language, facets, highlights and
export. Facet links add a field filter to the query text, so every view is a query the analyst
can read, edit and save."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from dashboards.export import csv_bytes, xlsx_bytes
from dashboards.people import author_label, post_link
from dashboards.roles import Permission
from dashboards.web import Signed, Web
from index.base import Aggregations, SearchRequest, Sort
from index.document import IndexDocument
from index.query import QuerySyntaxError
from infopole.domain.user import User

PAGE = 50
EXPORT_LIMIT = 5000
SORTS = {
    Sort.TIME: "сначала новые",
    Sort.RELEVANCE: "по релевантности",
    Sort.RISK: "по риску",
    Sort.REACH: "по охвату",
}
SENTIMENTS = {"negative": "негатив", "neutral": "нейтрально", "positive": "позитив"}
EXPORT_COLUMNS = [
    "Дата",
    "Платформа",
    "Источник",
    "Блок",
    "Поселение",
    "Тональность",
    "Риск",
    "Автор",
    "Ссылка",
    "Текст",
]


def field_filter(name: str, value: str) -> str:
    return f'{name}:"{value}"' if any(ch in value for ch in ' ":()') else f"{name}:{value}"


def facets(aggs: Aggregations, q: str) -> list[tuple[str, list[dict[str, Any]]]]:
    def items(field: str, buckets: Any) -> list[dict[str, Any]]:
        return [
            {
                "key": b.key,
                "label": SENTIMENTS.get(b.key, b.key),
                "count": b.count,
                "q": f"{q} {field_filter(field, b.key)}".strip(),
            }
            for b in buckets
        ]

    return [
        ("Блоки", items("block", aggs.blocks)),
        ("Поселения", items("settlement", aggs.settlements)),
        ("Тональность", items("sentiment", aggs.sentiments)),
        ("Источники", items("source", aggs.sources)),
        ("Платформы", items("platform", aggs.platforms)),
    ]


def export_row(doc: IndexDocument, viewer: User, salt: str, web: Web) -> list[Any]:
    return [
        web.local(doc.published_at),
        doc.platform,
        doc.source_id,
        doc.block or "",
        doc.settlement or "",
        SENTIMENTS.get(doc.sentiment, doc.sentiment),
        round(doc.risk_score, 2),
        author_label(viewer, doc.author_id, salt=salt),
        post_link(viewer, doc.url),
        doc.full_text,
    ]


def router(web: Web) -> APIRouter:
    api = APIRouter()
    salt = web.runtime.settings.author_salt.get_secret_value()

    @api.get("/search", response_class=HTMLResponse)
    def search(
        request: Request,
        signed: Annotated[Signed, Depends(web.viewer(Permission.SEARCH))],
        q: Annotated[str, Query(max_length=2000)] = "",
        sort: Sort = Sort.TIME,
        size: Annotated[int, Query(ge=10, le=500)] = PAGE,
    ) -> HTMLResponse:
        error, page, aggs = "", None, None
        try:
            page = web.runtime.index.search(SearchRequest(query=q, sort=sort, size=size))
            aggs = web.runtime.index.aggregate(q, size=12)
        except QuerySyntaxError as exc:
            error = str(exc)
        hits = []
        for hit in page.hits if page else ():
            doc = hit.document
            snippet = hit.snippets[0].marked() if hit.snippets else str(Markup.escape(doc.text[:300]))
            hits.append(
                {
                    "doc": doc,
                    "snippet": Markup(snippet),
                    "author": author_label(signed.user, doc.author_id, salt=salt),
                    "url": post_link(signed.user, doc.url),
                }
            )
        chart = (
            {"labels": [b.key[5:] for b in aggs.days[-60:]], "data": [b.count for b in aggs.days[-60:]]}
            if aggs
            else None
        )
        return web.render(
            request,
            "search.html",
            signed,
            q=q,
            sort=sort,
            sorts=SORTS,
            size=size,
            error=error,
            total=page.total if page else 0,
            hits=hits,
            facets=facets(aggs, q) if aggs else [],
            chart=chart,
        )

    @api.get("/search/export.{fmt}")
    def export(
        request: Request,
        fmt: str,
        signed: Annotated[Signed, Depends(web.viewer(Permission.EXPORT))],
        q: Annotated[str, Query(max_length=2000)] = "",
        sort: Sort = Sort.TIME,
    ) -> Response:
        if fmt not in ("csv", "xlsx"):
            raise HTTPException(404)
        rows: list[list[Any]] = []
        after = None
        try:
            while len(rows) < EXPORT_LIMIT:
                page = web.runtime.index.search(
                    SearchRequest(query=q, sort=sort, size=500, search_after=after, highlight=False)
                )
                rows.extend(export_row(hit.document, signed.user, salt, web) for hit in page.hits)
                after = page.next_after
                if len(page.hits) < 500 or after is None:
                    break
        except QuerySyntaxError as exc:
            raise HTTPException(400, str(exc)) from exc
        rows = rows[:EXPORT_LIMIT]
        web.audit(
            request,
            signed.user.login,
            f"export.search.{fmt}",
            "search",
            q[:200],
            after={"rows": len(rows)},
        )
        if fmt == "csv":
            body, media = csv_bytes(EXPORT_COLUMNS, rows), "text/csv; charset=utf-8"
        else:
            body, media = (
                xlsx_bytes(EXPORT_COLUMNS, rows, "Поиск"),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        return Response(
            body, media_type=media, headers={"Content-Disposition": f'attachment; filename="poisk.{fmt}"'}
        )

    return api
