"""``infopole sources …``: discovery of candidate sources, the administrator's decision, collector health.

The municipality file stays the source of truth: approving a candidate adds it there as a source
(``infopole.sources.approval``, the same edit as the dashboard's sources page, audited); a
refused edit leaves the candidate new.
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from infopole.cli_common import DataDirOption, MunicipalityOption
from infopole.cli_common import open_runtime as _runtime
from infopole.domain.candidate import Candidate, CandidateStatus
from infopole.runtime import Runtime

app = typer.Typer(
    name="sources",
    help="Источники: поиск новых, решение администратора, состояние сборщиков / sources: discovery, health.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
err = Console(stderr=True)
CLI_CLIENT = "cli"  # the audit trail's "from where" for commands run in a shell


def _store(runtime: Runtime) -> Any:
    from infopole.storage.candidates import CandidateStore

    return CandidateStore(runtime.db)


def _factors(candidate: Candidate) -> str:
    parts = []
    for factor in candidate.factors:
        value = "—" if factor.value is None else f"{factor.value:.2f}"
        parts.append(f"{factor.name} {value}" + (f" ({factor.detail})" if factor.detail else ""))
    return "; ".join(parts)


def _table(candidates: list[Candidate], title: str) -> Table:
    table = Table("id", "вид", "название", "адрес", "участн.", "оценка", "факторы", "статус", title=title)
    for c in candidates:
        table.add_row(
            str(c.id or ""), c.kind.value, c.title, c.url, "" if c.members is None else str(c.members),
            f"{c.score:.2f}", _factors(c), c.status.value,
        )  # fmt: skip
    return table


@app.command()
def discover(
    municipality: MunicipalityOption = None,
    data_dir: DataDirOption = None,
    platform: Annotated[
        list[str] | None, typer.Option("--platform", "-p", help="vk, ok, telegram (по умолчанию все)")
    ] = None,
) -> None:
    """Найти сообщества и каналы территории и оценить их / find and score candidate sources."""
    from flows.discovery import search

    wanted = set(platform or ("vk", "ok", "telegram"))
    with _runtime(municipality, data_dir) as runtime:
        try:
            run = search(runtime, wanted)  # the same search as the scheduled discover flow
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--platform") from error
        report = _store(runtime).save(run.candidates, datetime.now(UTC))
        stored = {(c.kind, c.target): c for c in _store(runtime).list()}
        shown = [stored.get((c.kind, c.target), c) for c in run.candidates]
        Console(width=200).print(_table(shown, f"Найдено кандидатов: {len(shown)}"))
        typer.echo(f"Новых / new: {report.new}; обновлено / updated: {report.updated}")
        for name, reason in run.failed.items():
            if name in wanted:
                typer.echo(f"  {name}: пропущено / skipped: {reason}")


@app.command()
def candidates(
    municipality: MunicipalityOption = None,
    data_dir: DataDirOption = None,
    status: Annotated[str, typer.Option(help="new, approved, rejected или all")] = "new",
    min_score: Annotated[float, typer.Option(help="Не ниже этой оценки / minimum score")] = 0.0,
) -> None:
    """Кандидаты в источники с оценкой и её причинами / candidate sources with their scores."""
    chosen = None if status == "all" else CandidateStatus(status)
    with _runtime(municipality, data_dir) as runtime:
        found = _store(runtime).list(chosen, min_score=min_score)
        Console(width=200).print(_table(found, f"Кандидатов: {len(found)}"))


@app.command()
def approve(
    candidate_id: Annotated[int, typer.Argument(help="id кандидата / candidate id")],
    municipality: MunicipalityOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Одобрить кандидата: он добавляется источником в файл муниципалитета / approve, add to the file."""
    from infopole.domain.user import AuditEvent
    from infopole.sources.approval import (
        APPROVED_ACTION,
        OBJECT_TYPE,
        REFUSED_ACTION,
        CandidateNotFound,
        approve_candidate,
        refusal_after,
    )
    from infopole.sources.file import SourceEditError
    from infopole.storage.audit import AuditLog

    with _runtime(municipality, data_dir) as runtime:
        path = runtime.settings.municipality_file
        if path is None:
            err.print("Файл муниципалитета не задан / no municipality file")
            raise typer.Exit(2)
        store, audit, now = _store(runtime), AuditLog(runtime.db), datetime.now(UTC)
        before = store.get(candidate_id)
        status_before = {"status": before.status.value} if before else None
        try:
            approval = approve_candidate(path, store, candidate_id, now)
        except CandidateNotFound:
            err.print(f"Нет кандидата {candidate_id} / no such candidate")
            raise typer.Exit(2) from None
        except SourceEditError as error:
            audit.record(AuditEvent(now, _actor(), REFUSED_ACTION, OBJECT_TYPE, str(candidate_id),
                                    status_before, refusal_after(str(error)), CLI_CLIENT))  # fmt: skip
            err.print(f"Не одобрен, решение не записано / not approved: {error}", soft_wrap=True)
            raise typer.Exit(1) from None
        audit.record(AuditEvent(now, _actor(), APPROVED_ACTION, OBJECT_TYPE, str(candidate_id),
                                status_before, approval.audit_after(), CLI_CLIENT))  # fmt: skip
        source = approval.source
        typer.echo(f"Одобрен и добавлен в {path} как источник / approved, added as: {source.id}")
        typer.echo(
            f"  {source.kind.value} {source.target} «{source.title}» {source.settlement or ''}".rstrip()
        )


def _actor() -> str:
    """Who approved from the shell, for the audit trail: the operating-system account."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in a bare container
        return CLI_CLIENT


@app.command()
def reject(
    candidate_id: Annotated[int, typer.Argument(help="id кандидата / candidate id")],
    municipality: MunicipalityOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Отклонить кандидата: при следующем поиске он не вернётся как новый / reject a candidate."""
    with _runtime(municipality, data_dir) as runtime:
        candidate = _decide(runtime, candidate_id, CandidateStatus.REJECTED)
        typer.echo(f"Отклонён / rejected: {candidate.title}")


def _decide(runtime: Runtime, candidate_id: int, status: CandidateStatus) -> Candidate:
    try:
        decided: Candidate = _store(runtime).decide(candidate_id, status, datetime.now(UTC))
    except KeyError:
        err.print(f"Нет кандидата {candidate_id} / no such candidate")
        raise typer.Exit(2) from None
    return decided


@app.command("telegram-login")
def telegram_login() -> None:
    """Создать сессию Telegram один раз: телефон, код, пароль 2FA / create the Telegram session once.

    Печатает INFOPOLE_TELEGRAM_SESSION=…; воркеры никогда не входят интерактивно.
    """
    from crawlers.telegram.login import main

    raise typer.Exit(main())


@app.command()
def health(municipality: MunicipalityOption = None, data_dir: DataDirOption = None) -> None:
    """Состояние сборщиков по источникам / collector health per source."""
    from crawlers.health import Status, report

    with _runtime(municipality, data_dir) as runtime:
        rule = runtime.municipality.alerts.silence
        rows = report(
            runtime.posts.source_states(),
            datetime.now(UTC),
            silence_hours=rule.max_silence_hours,
            stale_hours=rule.collector_stale_hours,
            per_source=rule.per_source,
            source_ids=[s.id for s in runtime.municipality.sources if s.enabled],
        )
        table = Table("источник", "состояние", "успешный сбор", "отставание", "ошибок", "причины")
        for row in rows:
            table.add_row(
                row.source_id, f"{row.status.value} ({row.status.label})",
                row.last_success_at.strftime("%d.%m %H:%M") if row.last_success_at else "—",
                f"{row.lag.total_seconds() / 3600:.1f} ч" if row.lag is not None else "—",
                str(row.error_count), "; ".join(row.reasons),
            )  # fmt: skip
        Console(width=200).print(table)
        if any(row.status is Status.FAILING for row in rows):
            raise typer.Exit(1)
