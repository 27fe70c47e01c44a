"""The index's commands: ``infopole searches add|list|remove|run`` and ``infopole reindex``.

Saved searches belong to a login (``--owner``, by default ``INFOPOLE_USER`` or the system
user); ``list`` and ``run`` also see searches other analysts shared. ``--watch`` makes a
search a watchlist of the alerts as well.
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from infopole.cli_common import DataDirOption, MunicipalityOption
from infopole.cli_common import open_runtime as _runtime
from infopole.config.municipality import Severity

if TYPE_CHECKING:
    from infopole.runtime import Runtime
    from infopole.storage.searches import SavedSearchStore

console = Console(stderr=True)
searches_app = typer.Typer(
    name="searches",
    help="Сохранённые поиски аналитиков (и списки наблюдения) / analysts' saved searches and watchlists.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

OwnerOption = Annotated[
    str | None,
    typer.Option(
        "--owner",
        "-u",
        help="Логин владельца / owner's login. По умолчанию INFOPOLE_USER или пользователь системы.",
        envvar="INFOPOLE_USER",
    ),
]


def _store(runtime: Runtime) -> SavedSearchStore:
    from infopole.storage.searches import SavedSearchStore

    return SavedSearchStore(runtime.db, tz=runtime.municipality.tz)


def _owner(owner: str | None) -> str:
    return owner or getpass.getuser()


@searches_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Название / name, напр. «Вода в Ивангороде»")],
    query: Annotated[str, typer.Argument(help="Запрос / query, напр. 'вода settlement:Ивангород date:-7d'")],
    shared: Annotated[bool, typer.Option("--shared/--private", help="Виден всем / visible to all")] = False,
    watch: Annotated[
        bool, typer.Option("--watch/--no-watch", help="Оповещать о новых совпадениях / alert on new matches")
    ] = False,
    severity: Annotated[
        Severity, typer.Option(help="Важность оповещений / alert severity", case_sensitive=False)
    ] = Severity.MEDIUM,
    owner: OwnerOption = None,
    municipality: MunicipalityOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Сохранить поиск (или заменить запрос сохранённого) / save a search or replace its query."""
    from infopole.storage.searches import SavedSearchError

    with _runtime(municipality, data_dir) as runtime:
        try:
            saved = _store(runtime).save(
                _owner(owner),
                name,
                query,
                datetime.now(UTC),
                shared=shared,
                watch=watch,
                severity=severity,
            )
        except (SavedSearchError, ValueError) as error:  # QuerySyntaxError is a ValueError
            console.print(f"Поиск не сохранён / not saved:\n{error}", markup=False, highlight=False)
            raise typer.Exit(2) from error
        typer.echo(f"Сохранено / saved: «{saved.name}» ({saved.owner}): {saved.query}")


@searches_app.command("list")
def list_searches(
    owner: OwnerOption = None, municipality: MunicipalityOption = None, data_dir: DataDirOption = None
) -> None:
    """Свои и общие сохранённые поиски / own and shared saved searches."""
    with _runtime(municipality, data_dir) as runtime:
        login = _owner(owner)
        found = _store(runtime).visible_to(login)
        tz = runtime.municipality.tz
    table = Table(
        "название", "владелец", "запрос", "общий", "наблюдение", "изменён", title="Сохранённые поиски"
    )
    for search in found:
        table.add_row(
            search.name,
            search.owner,
            search.query,
            "да" if search.shared else "—",
            search.severity.value if search.watch else "—",
            search.updated_at.astimezone(tz).strftime("%d.%m.%Y %H:%M"),
        )
    Console(width=200).print(table)


@searches_app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="Название / name")],
    owner: OwnerOption = None,
    municipality: MunicipalityOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Удалить свой сохранённый поиск / remove one of your saved searches."""
    with _runtime(municipality, data_dir) as runtime:
        login = _owner(owner)
        if not _store(runtime).remove(login, name):
            console.print(f"У {login} нет поиска «{name}» / no such search of yours", markup=False)
            raise typer.Exit(1)
    typer.echo(f"Удалено / removed: «{name}»")


@searches_app.command("run")
def run(
    name: Annotated[str, typer.Argument(help="Название / name")],
    limit: Annotated[int, typer.Option(help="Сколько показать / how many")] = 20,
    owner: OwnerOption = None,
    municipality: MunicipalityOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Выполнить сохранённый поиск (свой или общий) / run a saved search, own or shared."""
    from index.base import SearchRequest
    from index.query import QuerySyntaxError

    with _runtime(municipality, data_dir) as runtime:
        login = _owner(owner)
        search = _store(runtime).find(login, name)
        if search is None:
            console.print(f"Нет поиска «{name}» у {login} и среди общих / no such search", markup=False)
            raise typer.Exit(1)
        try:
            page = runtime.index.search(SearchRequest(query=search.query, size=limit))
        except QuerySyntaxError as error:  # a field renamed since the search was saved
            console.print(str(error), markup=False, highlight=False)
            raise typer.Exit(2) from error
        tz = runtime.municipality.tz
    table = Table(
        "время", "блок", "тон", "текст", title=f"«{search.name}»: {search.query} — найдено {page.total}"
    )
    for hit in page.hits:
        doc = hit.document
        text = hit.snippets[0].text if hit.snippets else doc.text[:160]
        table.add_row(
            doc.published_at.astimezone(tz).strftime("%d.%m %H:%M"), doc.block or "—", doc.sentiment, text
        )
    Console(width=200).print(table)


def reindex(municipality: MunicipalityOption = None, data_dir: DataDirOption = None) -> None:
    """Перестроить индекс из сохранённых публикаций без остановки поиска (после обновления моделей
    или схемы) / rebuild the index from the stored posts without downtime."""
    from flows import steps

    with _runtime(municipality, data_dir) as runtime:
        report = steps.reindex(runtime.posts, runtime.index, runtime.municipality)
    typer.echo(f"Переиндексировано / reindexed: {report.ok}; ошибок / failed: {len(report.failed)}")
    for item in report.failed[:10]:
        console.print(f"  {item.id}: {item.reason}", markup=False, highlight=False)
    if report.failed:
        typer.echo(
            "Непроиндексированные будут повторены следующим запуском index / retried by the next index run"
        )
        raise typer.Exit(1)
