"""``infopole gospabliki …``: the official pages' status, the monthly report, the checks and
subscriber counts. Russian first, English second, like the rest of the CLI."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from infopole.cli_common import DataDirOption, MunicipalityOption
from infopole.cli_common import open_runtime as _runtime
from infopole.runtime import Runtime

app = typer.Typer(
    name="gospabliki",
    help="Госпаблики: официальные страницы администрации и учреждений / the official pages.",
    no_args_is_help=True,
    rich_markup_mode=None,
    add_completion=False,
    pretty_exceptions_enable=False,
)

MARKS = {"green": "●  норма", "yellow": "◐  замечания", "red": "○  нарушение", "grey": "·  нет данных"}


def _salt(runtime: Runtime) -> str:
    return runtime.settings.author_salt.get_secret_value()


@app.command()
def status(municipality: MunicipalityOption = None, data_dir: DataDirOption = None) -> None:
    """Светофор по каждому госпаблику с причинами / a traffic light per official page with reasons."""
    from infopole.gospabliki.compute import current
    from infopole.gospabliki.store import GospablikiStore

    with _runtime(municipality, data_dir) as runtime:
        views = current(
            GospablikiStore(runtime.db), runtime.municipality, datetime.now(UTC), salt=_salt(runtime)
        )
        if not views:
            typer.echo("Госпаблики не заданы (official_pages) / no official pages configured")
            return
        for view in views:
            stats = view.stats
            typer.echo(
                f"{MARKS[view.status.light.value]:14} {stats.title} — {stats.page.institution}: "
                f"публикаций {stats.posts}, вопросов и жалоб {len(stats.checks)}, "
                f"без ответа сверх срока {len(stats.overdue)}"
            )
            for reason in view.status.reasons:
                typer.echo(f"{'':16}{reason}")


@app.command()
def report(
    month: Annotated[str, typer.Option("--month", help="Месяц, напр. 2026-11 / the month")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Каталог для файлов / output folder (data_dir/reports)"),
    ] = None,
    municipality: MunicipalityOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Ежемесячный отчёт о госпабликах для ЦУР (XLSX и DOCX) / the monthly report for the ЦУР."""
    from infopole.gospabliki.compute import compute
    from infopole.gospabliki.metrics import Period
    from infopole.gospabliki.report import build_report, to_docx, to_xlsx
    from infopole.gospabliki.store import GospablikiStore

    with _runtime(municipality, data_dir) as runtime:
        place = runtime.municipality
        try:
            period = Period.month(month, place.tz)
        except ValueError as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(2) from error
        now = datetime.now(UTC)
        views = compute(GospablikiStore(runtime.db), place, period, now, salt=_salt(runtime))
        built = build_report(place.name, period, views, now, place.tz)
        folder = output or runtime.settings.data_dir / "reports"
        folder.mkdir(parents=True, exist_ok=True)
        stem = folder / f"gospabliki-{place.slug}-{month}"
        xlsx, docx = stem.with_suffix(".xlsx"), stem.with_suffix(".docx")
        xlsx.write_bytes(to_xlsx(built))
        docx.write_bytes(to_docx(built))
        typer.echo(f"{xlsx}\n{docx}")


@app.command("check")
def check_command(municipality: MunicipalityOption = None, data_dir: DataDirOption = None) -> None:
    """Завести обращения по жалобам без ответа и записать оповещения / open cases and record alerts."""
    from infopole.gospabliki.run import run
    from infopole.gospabliki.store import GospablikiStore

    with _runtime(municipality, data_dir) as runtime:
        done = run(
            GospablikiStore(runtime.db),
            runtime.incidents,
            runtime.alerts,
            runtime.municipality,
            datetime.now(UTC),
            salt=_salt(runtime),
        )
        typer.echo(
            f"Обращений заведено / opened: {done.cases.opened}, присоединено / joined: {done.cases.joined}; "
            f"оповещений / alerts: {done.alerts.new} новых, {done.alerts.updates} обновлений; "
            f"ответов страниц по обращениям / page answers on cases: "
            f"{done.replies.answers + done.replies.interim}"
        )


@app.command()
def subscribers(municipality: MunicipalityOption = None, data_dir: DataDirOption = None) -> None:
    """Записать число подписчиков госпабликов (ВКонтакте, ОК, Telegram) / record subscriber counts."""
    from infopole.gospabliki.store import GospablikiStore
    from infopole.gospabliki.subscribers import readers_from, record_subscribers

    with _runtime(municipality, data_dir) as runtime:
        readers = readers_from(runtime.collectors)
        done = record_subscribers(
            GospablikiStore(runtime.db), runtime.municipality, readers, datetime.now(UTC)
        )
        for source_id, count in sorted(done.recorded.items()):
            typer.echo(f"{source_id}: {count}")
        for platform, error in done.failed.items():
            typer.echo(f"{platform}: ошибка / failed: {error}", err=True)
        if done.failed:
            raise typer.Exit(1)
