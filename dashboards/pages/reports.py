"""Reports on demand: the weekly note for the head and the quarterly report for the ЦУР, built by
``infopole.reports.build`` (the same functions as the CLI and the scheduled flow), and the files
already written in ``<data_dir>/reports`` (scheduled or earlier requests), to download."""

import importlib
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from dashboards.roles import Permission
from dashboards.web import Signed, Web

MEDIA = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "md": "text/markdown; charset=utf-8",
}
KIND_LABELS = {"weekly": "Еженедельная аналитическая справка главе", "quarterly": "Квартальный отчёт в ЦУР"}


def _build() -> Any | None:
    try:
        module = importlib.import_module("infopole.reports.build")
    except ImportError:
        return None
    needed = ("build_report", "ReportKind", "ReportFormat", "FORMATS", "ReportRequestError")
    return module if all(hasattr(module, name) for name in needed) else None


def available() -> bool:
    """The page is offered only when the report generator is installed in this tree."""
    return _build() is not None


def router(web: Web) -> APIRouter:
    api = APIRouter()
    build = _build()
    assert build is not None
    folder = web.runtime.settings.data_dir / "reports"
    formats = {kind.value: [f.value for f in build.FORMATS[kind]] for kind in build.ReportKind}

    def files() -> list[Path]:
        if not folder.is_dir():
            return []
        found = [p for p in folder.iterdir() if p.is_file() and p.suffix.lstrip(".") in MEDIA]
        return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)[:50]

    def page(request: Request, signed: Signed, error: str = "", status_code: int = 200) -> HTMLResponse:
        return web.render(
            request, "reports.html", signed, status_code=status_code, kinds=KIND_LABELS, formats=formats,
            files=files(), error=error,
        )  # fmt: skip

    @api.get("/reports", response_class=HTMLResponse)
    def reports(
        request: Request, signed: Annotated[Signed, Depends(web.viewer(Permission.REPORTS))]
    ) -> HTMLResponse:
        return page(request, signed)

    @api.post("/reports/build", response_model=None)
    def build_one(
        request: Request,
        signed: Annotated[Signed, Depends(web.actor(Permission.REPORTS))],
        kind: Annotated[str, Form()],
        fmt: Annotated[str, Form()],
        period: Annotated[str, Form(max_length=40)] = "last",
    ) -> Response:
        try:
            if kind not in formats or fmt not in formats[kind]:
                raise build.ReportRequestError("такой отчёт или формат недоступен")
            path = build.build_report(web.runtime, kind, period.strip() or "last", [fmt], now=web.now())[0]
        except Exception as error:  # a bad period, no LibreOffice for PDF: said on the page, audited
            web.audit(
                request,
                signed.user.login,
                "report.failed",
                "report",
                f"{kind}:{period}",
                after={"error": str(error)[:300]},
            )
            return page(request, signed, f"Отчёт не сформирован: {error}", 400)
        web.audit(request, signed.user.login, "report.build", "report", path.name)
        return FileResponse(path, media_type=MEDIA[fmt], filename=path.name)

    @api.get("/reports/files/{name}")
    def download(
        request: Request, name: str, signed: Annotated[Signed, Depends(web.viewer(Permission.REPORTS))]
    ) -> FileResponse:
        match = next((p for p in files() if p.name == name), None)  # only files listed, no paths
        if match is None:
            raise HTTPException(404, "Нет такого файла")
        web.audit(request, signed.user.login, "export.report", "report", name)
        return FileResponse(match, media_type=MEDIA[match.suffix.lstrip(".")], filename=match.name)

    return api
