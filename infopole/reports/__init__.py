"""The МЦУ's documents: the weekly analytic note for the head (DOCX, PDF, Markdown) and the
quarterly report for the regional ЦУР (XLSX tables, DOCX/PDF narrative).

``facts`` reads the database; ``weekly`` and ``quarterly`` compute figures as pure functions;
``*_docx``/``*_xlsx``/``weekly_md`` lay them out; ``build`` ties these together for the CLI,
the dashboard and the flows.
"""

from infopole.reports.build import (
    ReportFormat,
    ReportKind,
    ReportRequestError,
    build_quarterly,
    build_report,
    build_weekly,
    quarterly_report_for,
    scheduled_reports,
    weekly_note_for,
)
from infopole.reports.period import Period, PeriodError, parse_period

__all__ = [
    "Period",
    "PeriodError",
    "ReportFormat",
    "ReportKind",
    "ReportRequestError",
    "build_quarterly",
    "build_report",
    "build_weekly",
    "parse_period",
    "quarterly_report_for",
    "scheduled_reports",
    "weekly_note_for",
]
