"""The scheduled reports through whatever ``infopole.reports`` offers.

``infopole.reports.build_report`` writes the weekly note (DOCX, PDF, Markdown) and the quarterly
report into ``<data_dir>/reports``; where it is not available yet, the Markdown weekly note of
``infopole.reports.weekly`` is written there instead.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from pathlib import Path

from infopole.runtime import Runtime


def write_report(runtime: Runtime, kind: str, as_of: datetime) -> list[Path]:
    """The report of ``kind`` (weekly, quarterly) for the last full period before ``as_of``."""
    try:
        from infopole.reports import build_report  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        if kind != "weekly":
            raise
        return [_markdown_weekly(runtime, as_of)]
    return [Path(p) for p in build_report(runtime, kind, "last", None, now=as_of)]


def _markdown_weekly(runtime: Runtime, as_of: datetime) -> Path:
    weekly = importlib.import_module("infopole.reports.weekly")
    out = runtime.settings.data_dir / "reports"
    out.mkdir(parents=True, exist_ok=True)
    local = as_of.astimezone(runtime.municipality.tz).date()
    path = out / f"weekly-{runtime.municipality.slug}-{local.isoformat()}.md"
    path.write_text(weekly.weekly_note(runtime, as_of), encoding="utf-8")
    return path
