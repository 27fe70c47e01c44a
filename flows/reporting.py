"""The scheduled reports: ``infopole.reports.build_report`` writes the weekly note (DOCX, PDF,
Markdown) and the quarterly report into ``<data_dir>/reports``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from infopole.reports import build_report
from infopole.runtime import Runtime


def write_report(runtime: Runtime, kind: str, as_of: datetime) -> list[Path]:
    """The report of ``kind`` (weekly, quarterly) for the last full period before ``as_of``."""
    return [Path(p) for p in build_report(runtime, kind, "last", None, now=as_of)]
