"""``infopole`` — the command line of the МЦУ administrator.

Every command and option is described in Russian first and English second, in words a
municipal administrator uses. Bad input ends with a clear message and exit code ≠ 0.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from crawlers.commands import app as sources_app
from index.commands import reindex, searches_app
from infopole.cli_common import (
    DataDirOption,
    MunicipalityOption,
    config_failed,
    console,
    open_runtime,
    settings_for,
)
from infopole.config.municipality import ConfigError, load_municipality, parse_municipality
from infopole.config.settings import Settings
from infopole.gospabliki.commands import app as gospabliki_app
from infopole.runtime import Runtime, quiet_third_parties

app = typer.Typer(
    name="infopole",
    help=(
        "Инфополе: мониторинг информационного поля муниципалитета для МЦУ — сбор публикаций "
        "ВКонтакте, Одноклассников и Telegram, анализ, поиск, инциденты и отчёты.\n\n"
        "Infopole: monitoring of a municipality's information field for its control centre (МЦУ)."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(gospabliki_app, name="gospabliki")

_runtime = open_runtime
_settings = settings_for
_config_failed = config_failed


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=False,
    )


# --- configuration ---------------------------------------------------------------------


def example_files() -> dict[str, Path]:
    folder = resources.files("infopole.municipalities")
    return {Path(item.name).stem: Path(str(item)) for item in folder.iterdir() if item.name.endswith(".yaml")}


@app.command()
def examples() -> None:
    """Показать примеры файлов муниципалитетов / list the bundled example municipality files."""
    for name, path in sorted(example_files().items()):
        municipality = load_municipality(path)
        typer.echo(f"{name:18} {municipality.name} ({municipality.region})  {path}")


@app.command()
def check(municipality: MunicipalityOption = None) -> None:
    """Проверить файл муниципалитета / validate a municipality file (exit code 2 on errors)."""
    if municipality is None:
        console.print("Укажите файл: infopole check -m FILE / give a file with -m")
        raise typer.Exit(2)
    try:
        loaded = load_municipality(municipality)
    except ConfigError as error:
        _config_failed(error)
        return
    typer.echo(
        f"OK: {loaded.name} — поселений {len(loaded.settlements)}, отделов {len(loaded.departments)}, "
        f"источников {len(loaded.sources)}, госпабликов {len(loaded.official_pages)}"
    )


@app.command()
def init(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Куда записать файл / where to write")
    ] = Path("municipality.yaml"),
    example: Annotated[
        str | None, typer.Option(help="Взять за основу пример (kingisepp, sorsk, …) / start from an example")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Полное название муниципалитета / full name")] = None,
    short_name: Annotated[str | None, typer.Option(help="Краткое название / short name")] = None,
    region: Annotated[str | None, typer.Option(help="Субъект РФ / region")] = None,
    oktmo: Annotated[str | None, typer.Option(help="Код ОКТМО (8 или 11 цифр) / OKTMO code")] = None,
    timezone: Annotated[
        str | None, typer.Option(help="Часовой пояс, напр. Europe/Moscow / time zone")
    ] = None,
    settlement: Annotated[
        list[str] | None, typer.Option(help="Населённый пункт (можно несколько) / a settlement, repeatable")
    ] = None,
    lat: Annotated[float | None, typer.Option(help="Широта центра / centre latitude")] = None,
    lon: Annotated[float | None, typer.Option(help="Долгота центра / centre longitude")] = None,
    force: Annotated[bool, typer.Option(help="Перезаписать существующий файл / overwrite")] = False,
) -> None:
    """Создать файл муниципалитета: из примера или по вопросам / write a new municipality file.

    Without --example, missing values are asked for interactively. The file is validated
    before it is written: nothing is written if it is invalid.
    """
    from infopole.config.template import render_new_municipality

    if output.exists() and not force:
        console.print(f"Файл {output} уже существует; добавьте --force / {output} exists, use --force")
        raise typer.Exit(2)
    if example is not None:
        files = example_files()
        if example not in files:
            console.print(f"Нет примера «{example}». Есть: {', '.join(sorted(files))}")
            raise typer.Exit(2)
        text = files[example].read_text(encoding="utf-8")
    else:
        text = render_new_municipality(
            name=name or typer.prompt("Название муниципалитета / name"),
            short_name=short_name or typer.prompt("Краткое название / short name"),
            region=region or typer.prompt("Субъект РФ / region"),
            oktmo=oktmo or typer.prompt("ОКТМО / OKTMO"),
            timezone=timezone or typer.prompt("Часовой пояс / time zone", default="Europe/Moscow"),
            settlements=settlement
            or [s.strip() for s in typer.prompt("Населённые пункты через запятую / settlements").split(",")],
            lat=lat if lat is not None else float(typer.prompt("Широта центра / latitude")),
            lon=lon if lon is not None else float(typer.prompt("Долгота центра / longitude")),
        )
    try:
        parse_municipality(text, str(output))
    except ConfigError as error:
        _config_failed(error)
    output.write_text(text, encoding="utf-8")
    typer.echo(f"Записан {output}. Проверьте отделы и источники, затем: infopole check -m {output}")


@app.command()
def migrate(municipality: MunicipalityOption = None, data_dir: DataDirOption = None) -> None:
    """Создать или обновить схему базы данных / create or upgrade the database schema."""
    runtime = Runtime(_settings(municipality, data_dir))
    runtime.db  # noqa: B018 - opening the database applies the migrations
    typer.echo(
        f"База данных в актуальном состоянии / database is up to date: {runtime.settings.sqlalchemy_url}"
    )
    runtime.close()


app.add_typer(sources_app, name="sources")

# --- the pipeline ------------------------------------------------------------------------


@app.command()
def crawl(
    municipality: MunicipalityOption = None,
    data_dir: DataDirOption = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Только эти источники / only these source ids")
    ] = None,
) -> None:
    """Собрать новые публикации и комментарии из источников / collect new posts and comments."""

    from flows import steps

    with _runtime(municipality, data_dir) as runtime:
        report = _crawl(runtime, set(source) if source else None)
        _print_crawl(report)
        counts = steps.counts_after_crawl(runtime.db, runtime.municipality, runtime.collectors)
        _print_counts(counts)
        if report.sources_failed:
            raise typer.Exit(1)


def _crawl(runtime: Runtime, only: set[str] | None = None) -> Any:
    from flows import steps

    with _progress() as progress:
        tasks: dict[str, Any] = {}

        def advance(what: str, done: int) -> None:
            if what not in tasks:
                tasks[what] = progress.add_task(f"сбор {what}", total=None)
            progress.advance(tasks[what], done)

        return steps.crawl(
            runtime.municipality, runtime.posts, runtime.collectors, only=only, progress=advance
        )


def _print_counts(counts: dict[str, Any]) -> None:
    """The subscribers of official pages and the sources' audience (the risk score reads it)."""
    titles = {"subscribers": "Подписчики официальных страниц", "audiences": "Аудитория источников"}
    for what, done in counts.items():
        if isinstance(done, str):
            typer.echo(f"{titles[what]}: не записаны ({done})")
            continue
        if done.recorded or done.failed:
            typer.echo(f"{titles[what]}: записано {len(done.recorded)}")
        for source_id, reason in done.failed.items():
            typer.echo(f"  не прочитано {source_id}: {reason}")


def _print_crawl(report: Any) -> None:
    saved = report.saved
    typer.echo(
        f"Собрано: новых {saved.new}, изменённых {saved.edited}, удалённых {saved.deleted}, "
        f"без изменений {saved.unchanged}; источников успешно {len(report.sources_ok)}"
    )
    for source_id, reason in report.sources_skipped.items():
        typer.echo(f"  пропущен {source_id}: {reason}")
    for source_id, reason in report.sources_failed.items():
        typer.echo(f"  ОШИБКА {source_id}: {reason}")


@app.command()
def analyze(
    input: Annotated[
        str | None,
        typer.Option("--input", "-i", help="JSONL-файл или «-» для stdin / JSON lines file or - for stdin"),
    ] = None,
    output: Annotated[
        str, typer.Option("--output", "-o", help="Куда писать результат, «-» — stdout / output file or -")
    ] = "-",
    municipality: MunicipalityOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Проанализировать публикации: тема, тональность, инцидент, риск, места / analyse posts.

    With --input, reads JSON lines with at least "id" and "text" and writes one JSON line per
    input, in order; a malformed line gives an error object and the exit code is 1. Without
    --input, analyses the collected posts in the database that are new or changed.
    """
    quiet_third_parties()
    if input is not None:
        from nlp.analyzer import Analyzer
        from nlp.jsonl import analyze_stream

        loaded = load_municipality(municipality) if municipality else None
        analyzer = Analyzer.load(loaded, checkpoints=Settings().nlp_checkpoints)
        source = sys.stdin if input == "-" else open(input, encoding="utf-8")  # noqa: SIM115
        target = sys.stdout if output == "-" else open(output, "w", encoding="utf-8")  # noqa: SIM115
        try:
            failed = analyze_stream(source, target, analyzer)
        finally:
            if source is not sys.stdin:
                source.close()
            if target is not sys.stdout:
                target.close()
        if failed:
            console.print(f"Строк с ошибками / failed lines: {failed}")
            raise typer.Exit(1)
        return
    with _runtime(municipality, data_dir) as runtime:
        typer.echo(f"Проанализировано публикаций / analysed: {_analyse(runtime)}")


def _analyse(runtime: Runtime) -> int:
    from flows import steps

    with _progress() as progress:
        task = progress.add_task("анализ", total=None)
        return steps.analyse(
            runtime.posts, runtime.analyzer, progress=lambda _w, n: progress.advance(task, n)
        )


@app.command("index")
def index_command(municipality: MunicipalityOption = None, data_dir: DataDirOption = None) -> None:
    """Отправить проанализированные публикации в поисковый индекс / index analysed posts."""
    from flows import steps

    with _runtime(municipality, data_dir) as runtime:
        run = steps.index(runtime.posts, runtime.index, runtime.municipality)
        typer.echo(f"В индексе обновлено / indexed: {run.indexed}; ошибок / failed: {len(run.failed)}")
        if run.failed:
            raise typer.Exit(1)


@app.command()
def cases(municipality: MunicipalityOption = None, data_dir: DataDirOption = None) -> None:
    """Завести инциденты и учесть ответы под ними / open cases and take official answers."""
    with _runtime(municipality, data_dir) as runtime:
        run = _cases(runtime)
        typer.echo(f"Новых инцидентов / opened: {run.opened}; присоединено / joined: {run.joined}")
        replies = run.replies
        typer.echo(
            f"Ответов / answers: {replies.answers + replies.interim}; отписок / formal: {replies.formal}"
        )
        _print_upkeep(_upkeep(runtime))


def _upkeep(runtime: Runtime) -> Any:
    """Answers checked on the platforms, overdue cases escalated, case webhooks delivered."""
    from flows import steps
    from infopole.alerts.run import alerts_secret

    salt = runtime.settings.author_salt.get_secret_value()
    secret = alerts_secret(runtime.settings).decode()
    return steps.case_upkeep(
        runtime.db, runtime.incidents, runtime.municipality, salt=salt, webhook_secret=secret
    )


def _print_upkeep(upkeep: Any) -> None:
    answers, hook = upkeep.answers, upkeep.webhook
    typer.echo(
        f"Ответы на площадках / answers seen: {answers.verified} из {answers.checked}; "
        f"переоткрыто / reopened: {answers.reopened}; эскалировано / escalated: {len(upkeep.escalated)}; "
        f"вебхук / webhook: {hook.delivered} доставлено, {hook.failed + hook.dead} с ошибкой"
    )


def _cases(runtime: Runtime) -> Any:
    """The cases step over the analyses written since its last run (``flows.steps.cases``)."""
    from flows import steps

    salt = runtime.settings.author_salt.get_secret_value()
    return steps.cases(runtime.posts, runtime.incidents, runtime.municipality, salt=salt)


@app.command("alerts")
def alerts_command(
    municipality: MunicipalityOption = None,
    data_dir: DataDirOption = None,
    send: Annotated[bool, typer.Option("--send/--no-send", help="Отправить оповещения / deliver")] = True,
) -> None:
    """Найти информационные риски и просрочки и разослать оповещения / raise and deliver alerts."""
    with _runtime(municipality, data_dir) as runtime:
        report = _alerts(runtime, send=send)
        typer.echo(
            f"Оповещений: новых {report.decided.recorded.new}, обновлений "
            f"{report.decided.recorded.updates}; отправлено {report.dispatched.sent}, "
            f"ошибок отправки {report.dispatched.failed}"
        )


def _alerts(runtime: Runtime, send: bool = True) -> Any:
    from flows import steps
    from infopole.alerts.run import telegram_acks

    salt = runtime.settings.author_salt.get_secret_value()
    steps.gospabliki(runtime.db, runtime.incidents, runtime.alerts, runtime.municipality, salt=salt)

    return steps.alerts(
        runtime.posts,
        runtime.incidents,
        runtime.alerts,
        runtime.municipality,
        dispatcher=runtime.dispatcher if send else None,
        acks=telegram_acks(runtime.settings, runtime.municipality) if send else None,
    )


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Запрос, напр. 'вода block:ЖКХ date:-7d' / query")],
    limit: Annotated[int, typer.Option(help="Сколько показать / how many")] = 20,
    municipality: MunicipalityOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Поиск по информационному полю на языке запросов / search the information field."""
    from index.base import SearchRequest
    from index.query import QuerySyntaxError

    with _runtime(municipality, data_dir) as runtime:
        try:
            page = runtime.index.search(SearchRequest(query=query, size=limit))
        except QuerySyntaxError as error:
            console.print(str(error), markup=False, highlight=False)
            raise typer.Exit(2) from error
        table = Table("время", "блок", "тон", "текст", title=f"Найдено: {page.total}")
        for hit in page.hits:
            doc = hit.document
            text = hit.snippets[0].text if hit.snippets else doc.text[:160]
            table.add_row(doc.published_at.strftime("%d.%m %H:%M"), doc.block or "—", doc.sentiment, text)
        Console().print(table)


@app.command()
def pipeline(municipality: MunicipalityOption = None, data_dir: DataDirOption = None) -> None:
    """Один полный цикл: сбор → анализ → индекс → инциденты → оповещения / one full pipeline cycle."""
    with _runtime(municipality, data_dir) as runtime:
        _full_cycle(runtime)


def _full_cycle(runtime: Runtime) -> None:
    from flows import steps

    _print_crawl(_crawl(runtime))
    typer.echo(f"Проанализировано: {_analyse(runtime)}")
    run = steps.index(runtime.posts, runtime.index, runtime.municipality)
    typer.echo(f"Проиндексировано: {run.indexed} (ошибок {len(run.failed)})")
    taken = _cases(runtime)
    typer.echo(f"Инцидентов заведено: {taken.opened}, присоединено к существующим: {taken.joined}")
    replies = taken.replies
    typer.echo(f"Ответов официальных страниц: {replies.answers + replies.interim}, отписок: {replies.formal}")
    _print_upkeep(_upkeep(runtime))
    alerts = _alerts(runtime)
    typer.echo(f"Оповещений: новых {alerts.decided.recorded.new}, отправлено {alerts.dispatched.sent}")


@app.command()
def run(
    municipality: MunicipalityOption = None,
    data_dir: DataDirOption = None,
    once: Annotated[bool, typer.Option(help="Один цикл и выход / one cycle, then exit")] = False,
    port: Annotated[int, typer.Option(help="Порт сервера Prefect (интерфейс) / Prefect server port")] = 4200,
    log_json: Annotated[
        bool, typer.Option("--log-json", help="Журнал строками JSON / JSON lines logs")
    ] = False,
) -> None:
    """Запустить все потоки по расписанию из файла муниципалитета (Prefect) / run every flow on
    the municipality's schedule.

    Без PREFECT_API_URL запускает локальный сервер Prefect (SQLite в <data-dir>/prefect,
    интерфейс на http://127.0.0.1:4200); с ним — подключается к указанному серверу.
    Without PREFECT_API_URL a local Prefect server (SQLite) is started and stopped with it.
    """
    import os

    with _runtime(municipality, data_dir) as runtime:
        settings = runtime.settings
    assert settings.municipality_file is not None
    municipality_file = str(settings.municipality_file.resolve())
    work_dir = str(settings.data_dir.resolve())
    if log_json:
        from flows.logs import use_json_logs

        use_json_logs(settings.data_dir)
    if once:
        from flows.pipeline import cycle_flow

        cycle_flow(municipality_file, work_dir)
        return
    from flows.serve import serve_all
    from flows.stream import start_beside

    streaming = start_beside(municipality_file, work_dir)  # Telegram updates, when configured
    if streaming is not None:
        typer.echo("Telegram: обновления каналов принимаются сразу / streaming Telegram updates")
    try:
        if os.environ.get("PREFECT_API_URL"):
            serve_all(municipality_file, work_dir)
            return
        from prefect.settings import PREFECT_API_URL, temporary_settings

        from flows.server import local_server

        with local_server(settings.data_dir / "prefect", port=port) as url:
            typer.echo(f"Prefect: {url.removesuffix('/api')}  (Ctrl+C — остановить / stop)")
            os.environ["PREFECT_API_URL"] = url  # the served runs' child processes
            with temporary_settings(updates={PREFECT_API_URL: url}):
                serve_all(municipality_file, work_dir)
    finally:
        if streaming is not None:
            streaming.set()


@app.command()
def stream(municipality: MunicipalityOption = None, data_dir: DataDirOption = None) -> None:
    """Принимать обновления Telegram (новые, изменённые, удалённые сообщения каналов и обсуждений)
    и сразу вести их через анализ, индекс, инциденты и оповещения; Ctrl+C — стоп / stream Telegram
    updates through the pipeline beside polling.

    Нужны INFOPOLE_TELEGRAM_API_ID, INFOPOLE_TELEGRAM_API_HASH, INFOPOLE_TELEGRAM_SESSION и включённые
    источники tg_channel / tg_chat. `infopole run` запускает это сам.
    """
    import threading

    from flows.stream import configured, serve_stream

    with _runtime(municipality, data_dir) as runtime:
        settings = runtime.settings
        ready = configured(settings, runtime)
    if not ready:
        typer.echo(
            "Нет ключей Telethon (INFOPOLE_TELEGRAM_API_ID/API_HASH/SESSION) или включённых источников "
            "Telegram / Telegram streaming is not configured",
            err=True,
        )
        raise typer.Exit(2)
    assert settings.municipality_file is not None
    stop = threading.Event()
    typer.echo("Telegram: слушаю обновления (Ctrl+C — стоп) / listening")
    try:
        report = serve_stream(
            str(settings.municipality_file.resolve()), str(settings.data_dir.resolve()), stop
        )
    except KeyboardInterrupt:
        stop.set()
        return
    typer.echo(f"Обновлений: {report.updates}; новых публикаций: {report.new}")


@app.command()
def backfill(
    date_from: Annotated[
        datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="С даты / from date (YYYY-MM-DD)")
    ],
    date_to: Annotated[
        datetime, typer.Option("--to", formats=["%Y-%m-%d"], help="По дату включительно / to date")
    ],
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Только эти источники / only these source ids")
    ] = None,
    municipality: MunicipalityOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Собрать историю источников за период / collect the sources' history between two dates.

    Прерванную загрузку можно запустить снова с теми же датами: она продолжится с места
    остановки. An interrupted backfill resumes when started again with the same dates.
    """
    from flows.backfill import backfill as run_backfill

    start, end = date_from.date(), date_to.date()
    if end < start:
        console.print("--to раньше --from / --to is before --from")
        raise typer.Exit(2)
    with _runtime(municipality, data_dir) as runtime:
        wanted = set(source) if source else None
        sources = [
            s for s in runtime.municipality.sources if s.enabled and (wanted is None or s.id in wanted)
        ]
        unknown = (wanted or set()) - {s.id for s in sources}
        if unknown:
            console.print(f"Нет таких источников / unknown sources: {', '.join(sorted(unknown))}")
            raise typer.Exit(2)
        with _progress() as progress:
            bars: dict[str, Any] = {}

            def advance(source_id: str, saved: int, oldest: datetime | None) -> None:
                if source_id not in bars:
                    bars[source_id] = progress.add_task(f"история {source_id}", total=None)
                reached = f" · дошли до {oldest:%d.%m.%Y}" if oldest else ""
                progress.update(bars[source_id], advance=saved, description=f"история {source_id}{reached}")

            report = run_backfill(
                sources,
                runtime.collectors,
                runtime.posts,
                start,
                end,
                runtime.municipality.timezone,
                advance=advance,
            )
    for source_id, saved in report.saved.items():
        typer.echo(f"{source_id}: сохранено / saved {saved}")
    for source_id, reason in report.skipped.items():
        typer.echo(f"  пропущен {source_id}: {reason}")
    for source_id, reason in report.failed.items():
        typer.echo(f"  ОШИБКА {source_id}: {reason}")
    if report.failed:
        raise typer.Exit(1)


deadletters_app = typer.Typer(
    help="Отложенные элементы: на чём шаг конвейера падает раз за разом / items a step keeps failing on",
    no_args_is_help=True,
)
app.add_typer(deadletters_app, name="deadletters")


@deadletters_app.command("list")
def deadletters_list(
    municipality: MunicipalityOption = None,
    data_dir: DataDirOption = None,
    all_: Annotated[
        bool, typer.Option("--all", help="И те, что ещё повторяются / also items still retried")
    ] = False,
) -> None:
    """Показать отложенные элементы и последнюю ошибку / list dead letters with their last error."""
    from infopole.storage.deadletters import DeadLetterStore

    with _runtime(municipality, data_dir) as runtime:
        letters = DeadLetterStore(runtime.db).list(dead_only=not all_)
    table = Table("шаг", "элемент", "попыток", "последняя", "ошибка", title=f"Отложено: {len(letters)}")
    for letter in letters:
        table.add_row(
            letter.step,
            letter.item_key,
            str(letter.attempts) + ("" if letter.dead else " (повтор)"),
            letter.last_failed_at.strftime("%d.%m %H:%M"),
            letter.error[:120],
        )
    Console().print(table)


@deadletters_app.command("replay")
def deadletters_replay(
    municipality: MunicipalityOption = None,
    data_dir: DataDirOption = None,
    step: Annotated[str | None, typer.Option(help="Только шаг analyse или index / only this step")] = None,
    key: Annotated[list[str] | None, typer.Option(help="Только эти элементы / only these item keys")] = None,
) -> None:
    """Вернуть отложенные элементы в работу: следующий запуск шага возьмёт их снова / replay."""
    from infopole.storage.deadletters import DeadLetterStore

    with _runtime(municipality, data_dir) as runtime:
        replayed = DeadLetterStore(runtime.db).replay(step, key)
    typer.echo(f"Возвращено в работу / replayed: {replayed}")


@app.command()
def metrics(
    municipality: MunicipalityOption = None,
    data_dir: DataDirOption = None,
    host: Annotated[str, typer.Option(help="Адрес / host")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Порт / port")] = 9108,
) -> None:
    """Метрики конвейера для Prometheus на /metrics / serve Prometheus metrics of the pipeline."""
    from flows.metrics import serve_metrics

    with _runtime(municipality, data_dir) as runtime:
        typer.echo(f"Метрики / metrics: http://{host}:{port}/metrics  (Ctrl+C — остановить)")
        serve_metrics(runtime, host, port)


@app.command()
def serve(
    municipality: MunicipalityOption = None,
    data_dir: DataDirOption = None,
    host: Annotated[str | None, typer.Option(help="Адрес / host")] = None,
    port: Annotated[int | None, typer.Option(help="Порт / port")] = None,
) -> None:
    """Открыть рабочий экран МЦУ в браузере / serve the МЦУ dashboard."""
    with _runtime(municipality, data_dir) as runtime:
        _serve(runtime, host, port)


def _serve(runtime: Runtime, host: str | None, port: int | None) -> None:
    import uvicorn

    from dashboards.app import create_app

    host = host or runtime.settings.dashboard_host
    port = port or runtime.settings.dashboard_port
    typer.echo(f"Рабочий экран МЦУ / dashboard: http://{host}:{port}/  (Ctrl+C — остановить)")
    uvicorn.run(create_app(runtime), host=host, port=port, log_level="warning")


@app.command()
def report(
    kind: Annotated[
        str, typer.Argument(help="weekly — еженедельная записка главе; quarterly — квартальный отчёт в ЦУР")
    ] = "weekly",
    period: Annotated[
        str,
        typer.Option(
            "--period",
            "-p",
            help="last (по умолчанию: последняя завершённая неделя/квартал), current, 2026-W47, 2026-Q4 "
            "или 2026-11-01..2026-11-15",
        ),
    ] = "last",
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            "-f",
            help="docx, pdf, xlsx, md (можно несколько). По умолчанию: weekly — docx и pdf; "
            "quarterly — xlsx и docx",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Каталог для файлов / output directory (по умолчанию <data-dir>/reports)"
        ),
    ] = None,
    municipality: MunicipalityOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Сформировать отчёт: еженедельную аналитическую записку или квартальный отчёт в ЦУР /
    write the weekly note for the head or the quarterly report for the regional centre."""
    from infopole.reports import PeriodError, ReportRequestError, build_report
    from infopole.reports.convert import ConversionError

    if kind not in ("weekly", "quarterly"):
        console.print(f"Неизвестный отчёт {kind!r}: weekly или quarterly / unknown report")
        raise typer.Exit(2)
    with _runtime(municipality, data_dir) as runtime:
        try:
            if formats == ["md"] and output is None and kind == "weekly":  # the old behaviour: print it
                from infopole.reports import weekly_note_for
                from infopole.reports.weekly_md import render_weekly_markdown

                typer.echo(render_weekly_markdown(weekly_note_for(runtime, period)))
                return
            paths = build_report(runtime, kind, period, formats, output_dir=output)
        except (PeriodError, ReportRequestError) as error:
            console.print(str(error))
            raise typer.Exit(2) from error
        except ConversionError as error:
            console.print(str(error))
            raise typer.Exit(1) from error
    for path in paths:
        typer.echo(f"Записано / written: {path}")


@app.command()
def demo(
    data_dir: Annotated[
        Path, typer.Option(help="Каталог демо-данных (очищается) / demo data directory (wiped)")
    ] = Path("var/demo"),
    host: Annotated[str, typer.Option(help="Адрес / host")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Порт рабочего экрана / dashboard port")] = 8080,
    serve_dashboard: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Открыть рабочий экран / serve the dashboard")
    ] = True,
) -> None:
    """Демонстрация без интернета: локальный имитатор ВКонтакте (Кингисеппский район) → сбор →
    анализ → индекс → инциденты → рабочий экран / an offline demo end to end."""
    from infopole.demo import run_demo

    quiet_third_parties()
    logging.basicConfig(level=logging.WARNING)
    run_demo(
        data_dir, echo=typer.echo, serve=(lambda rt: _serve(rt, host, port)) if serve_dashboard else None
    )


users_app = typer.Typer(
    help="Пользователи рабочего экрана МЦУ / dashboard users (пароли хранятся как argon2id).",
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")


def _read_password(password: str | None) -> str:
    if password is not None:
        return password
    return str(typer.prompt("Пароль / password", hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def users_add(
    login: Annotated[str, typer.Argument(help="Логин / login")],
    role: Annotated[
        str,
        typer.Option(
            "--role", "-r", help="curator, head, administrator, block_owner, analyst, gospabliki, pos"
        ),
    ],
    name: Annotated[str, typer.Option("--name", help="Имя или должность / display name")] = "",
    department: Annotated[
        str | None, typer.Option("--department", "-d", help="Отдел (для block_owner) / department id")
    ] = None,
    password: Annotated[
        str | None, typer.Option("--password", help="Пароль; без опции — спросить / prompt when omitted")
    ] = None,
    municipality: MunicipalityOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Добавить пользователя / add a user."""
    from infopole.config.municipality import Role
    from infopole.domain.user import User
    from infopole.storage.users import UserError, UserStore

    try:
        wanted = Role(role)
    except ValueError:
        console.print(f"Неизвестная роль «{role}» / unknown role; есть: {', '.join(r.value for r in Role)}")
        raise typer.Exit(2) from None
    with _runtime(municipality, data_dir) as runtime:
        if department is not None and department not in {d.id for d in runtime.municipality.departments}:
            console.print(f"Нет отдела «{department}» в файле муниципалитета / unknown department")
            raise typer.Exit(2)
        try:
            UserStore(runtime.db).add(
                User(login, name or login, wanted, department), _read_password(password), datetime.now(UTC)
            )
        except UserError as error:
            console.print(f"Ошибка / error: {error}")
            raise typer.Exit(1) from None
    typer.echo(f"Пользователь {login} добавлен / user added")


@users_app.command("list")
def users_list(municipality: MunicipalityOption = None, data_dir: DataDirOption = None) -> None:
    """Список пользователей / list users."""
    from infopole.storage.users import UserStore

    with _runtime(municipality, data_dir) as runtime:
        accounts = UserStore(runtime.db).list()
    table = Table("логин", "имя", "роль", "отдел", "активен")
    for account in accounts:
        user = account.user
        table.add_row(
            user.login,
            user.name,
            user.role.value,
            user.department_id or "",
            "да" if account.active else "нет",
        )
    Console().print(table)


@users_app.command("passwd")
def users_passwd(
    login: Annotated[str, typer.Argument(help="Логин / login")],
    password: Annotated[str | None, typer.Option("--password", help="Новый пароль / new password")] = None,
    municipality: MunicipalityOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Сменить пароль; все сессии пользователя завершаются / change a password, ending the user's sessions."""
    from dashboards.sessions import SessionStore
    from infopole.storage.users import UserError, UserStore

    with _runtime(municipality, data_dir) as runtime:
        try:
            UserStore(runtime.db).set_password(login, _read_password(password))
        except UserError as error:
            console.print(f"Ошибка / error: {error}")
            raise typer.Exit(1) from None
        SessionStore(runtime.db, runtime.settings.session_secret.get_secret_value()).end_all(login)
    typer.echo(f"Пароль {login} изменён / password changed")


app.add_typer(searches_app, name="searches")
app.command("reindex")(reindex)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
