"""Building report files: read the facts once, compute the figures, write the requested formats.

These are the functions the CLI, the dashboard and the scheduled flow call. Each takes the
period (a ``Period`` or its text: ``last``, ``current``, ``2026-W47``, ``2026-Q4``,
``2026-11-01..2026-11-15``) and an injected ``now``, so a report for a given period and
moment is reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from infopole.reports.convert import to_pdf
from infopole.reports.facts import read_facts
from infopole.reports.period import Period, PeriodKind, parse_period
from infopole.reports.quarterly import QuarterlyReport, quarterly_report
from infopole.reports.weekly import WeeklyNote, facts_window, weekly_note
from infopole.runtime import Runtime


class ReportKind(StrEnum):
    WEEKLY = "weekly"
    QUARTERLY = "quarterly"


class ReportFormat(StrEnum):
    DOCX = "docx"
    PDF = "pdf"
    XLSX = "xlsx"
    MD = "md"


FORMATS = {
    ReportKind.WEEKLY: (ReportFormat.DOCX, ReportFormat.PDF, ReportFormat.MD),
    ReportKind.QUARTERLY: (ReportFormat.XLSX, ReportFormat.DOCX, ReportFormat.PDF),
}
DEFAULT_FORMATS = {
    ReportKind.WEEKLY: (ReportFormat.DOCX, ReportFormat.PDF),
    ReportKind.QUARTERLY: (ReportFormat.XLSX, ReportFormat.DOCX),
}


class ReportRequestError(ValueError):
    pass


def resolve_period(runtime: Runtime, kind: ReportKind, period: Period | str | None, now: datetime) -> Period:
    if isinstance(period, Period):
        return period
    period_kind = PeriodKind.WEEK if kind is ReportKind.WEEKLY else PeriodKind.QUARTER
    return parse_period(period, period_kind, now, runtime.municipality.timezone)


def weekly_note_for(
    runtime: Runtime, period: Period | str | None = None, now: datetime | None = None
) -> WeeklyNote:
    now = now or datetime.now(UTC)
    resolved = resolve_period(runtime, ReportKind.WEEKLY, period, now)
    since, until = facts_window(resolved)
    return weekly_note(read_facts(runtime, since, until, now), runtime.municipality, resolved)


def quarterly_report_for(
    runtime: Runtime, period: Period | str | None = None, now: datetime | None = None
) -> QuarterlyReport:
    now = now or datetime.now(UTC)
    resolved = resolve_period(runtime, ReportKind.QUARTERLY, period, now)
    facts = read_facts(runtime, resolved.previous().start, resolved.end, now)
    return quarterly_report(facts, runtime.municipality, resolved)


def report_path(
    runtime: Runtime, kind: ReportKind, period: Period, fmt: ReportFormat, output_dir: Path
) -> Path:
    return output_dir / f"{kind.value}-{runtime.municipality.slug}-{period.code}.{fmt.value}"


def build_weekly(
    runtime: Runtime,
    period: Period | str | None = None,
    *,
    fmt: ReportFormat | str = ReportFormat.DOCX,
    output_dir: Path | None = None,
    now: datetime | None = None,
) -> Path:
    """The weekly analytic note for the head in one format; returns the written file."""
    return build_report(runtime, ReportKind.WEEKLY, period, [fmt], output_dir=output_dir, now=now)[0]


def build_quarterly(
    runtime: Runtime,
    period: Period | str | None = None,
    *,
    fmt: ReportFormat | str = ReportFormat.XLSX,
    output_dir: Path | None = None,
    now: datetime | None = None,
) -> Path:
    """The quarterly report for the ЦУР in one format (XLSX tables or DOCX/PDF narrative)."""
    return build_report(runtime, ReportKind.QUARTERLY, period, [fmt], output_dir=output_dir, now=now)[0]


def build_report(
    runtime: Runtime,
    kind: ReportKind | str,
    period: Period | str | None = None,
    formats: Sequence[ReportFormat | str] | None = None,
    *,
    output_dir: Path | None = None,
    now: datetime | None = None,
) -> list[Path]:
    """Write ``kind`` for ``period`` in each of ``formats`` (the kind's defaults when None);
    the figures are computed once, so all files of one call show the same numbers."""
    kind = ReportKind(kind)
    wanted = [ReportFormat(f) for f in formats] if formats else list(DEFAULT_FORMATS[kind])
    unsupported = [f.value for f in wanted if f not in FORMATS[kind]]
    if unsupported:
        allowed = ", ".join(f.value for f in FORMATS[kind])
        raise ReportRequestError(
            f"формат {', '.join(unsupported)} недоступен для {kind.value}: только {allowed}"
        )
    now = now or datetime.now(UTC)
    resolved = resolve_period(runtime, kind, period, now)
    out = output_dir or runtime.settings.data_dir / "reports"
    out.mkdir(parents=True, exist_ok=True)
    if kind is ReportKind.WEEKLY:
        return _write_weekly(runtime, weekly_note_for(runtime, resolved, now), wanted, out)
    return _write_quarterly(runtime, quarterly_report_for(runtime, resolved, now), wanted, out)


def _write_weekly(runtime: Runtime, note: WeeklyNote, formats: list[ReportFormat], out: Path) -> list[Path]:
    from infopole.reports.weekly_docx import write_weekly_docx
    from infopole.reports.weekly_md import render_weekly_markdown

    def path(fmt: ReportFormat) -> Path:
        return report_path(runtime, ReportKind.WEEKLY, note.period, fmt, out)

    written: dict[ReportFormat, Path] = {}
    if ReportFormat.MD in formats:
        written[ReportFormat.MD] = path(ReportFormat.MD)
        written[ReportFormat.MD].write_text(render_weekly_markdown(note), encoding="utf-8")
    if ReportFormat.DOCX in formats or ReportFormat.PDF in formats:
        docx = write_weekly_docx(note, path(ReportFormat.DOCX))
        if ReportFormat.DOCX in formats:
            written[ReportFormat.DOCX] = docx
        if ReportFormat.PDF in formats:
            written[ReportFormat.PDF] = to_pdf(docx)
    return [written[f] for f in formats]


def _write_quarterly(
    runtime: Runtime, report: QuarterlyReport, formats: list[ReportFormat], out: Path
) -> list[Path]:
    from infopole.reports.quarterly_docx import write_quarterly_docx
    from infopole.reports.quarterly_xlsx import write_quarterly_xlsx

    def path(fmt: ReportFormat) -> Path:
        return report_path(runtime, ReportKind.QUARTERLY, report.period, fmt, out)

    written: dict[ReportFormat, Path] = {}
    if ReportFormat.XLSX in formats:
        written[ReportFormat.XLSX] = write_quarterly_xlsx(report, path(ReportFormat.XLSX))
    if ReportFormat.DOCX in formats or ReportFormat.PDF in formats:
        docx = write_quarterly_docx(report, path(ReportFormat.DOCX))
        if ReportFormat.DOCX in formats:
            written[ReportFormat.DOCX] = docx
        if ReportFormat.PDF in formats:
            written[ReportFormat.PDF] = to_pdf(docx)
    return [written[f] for f in formats]


def scheduled_reports(
    municipality_file: str,
    data_dir: str,
    kind: str = ReportKind.WEEKLY.value,
    period: str = "last",
    formats: Sequence[str] | None = None,
    output_dir: str | None = None,
) -> list[str]:
    """For the Prefect flows: plain, serialisable arguments in, file paths out.

    Opens and closes its own runtime, so a scheduled task needs nothing but configuration:
    ``@task(...)(scheduled_reports)("muni.yaml", "var", "weekly")`` on Monday morning.
    """
    from infopole.config.settings import Settings

    runtime = Runtime(Settings(municipality_file=Path(municipality_file), data_dir=Path(data_dir)))
    try:
        paths = build_report(
            runtime, kind, period, formats, output_dir=Path(output_dir) if output_dir else None
        )
    finally:
        runtime.close()
    return [str(p) for p in paths]
