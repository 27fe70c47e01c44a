"""What every ``infopole`` command group shares: the two common options and opening a runtime.

Kept apart from ``infopole.cli`` so the sub-apps of other packages (``sources``, ``searches``,
``gospabliki``) can use it without importing the main CLI, which imports them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from infopole.config.municipality import ConfigError
from infopole.config.settings import Settings
from infopole.runtime import Runtime, quiet_third_parties

console = Console(stderr=True)

MunicipalityOption = Annotated[
    Path | None,
    typer.Option(
        "--municipality",
        "-m",
        help="Файл муниципалитета (YAML) / the municipality file. По умолчанию INFOPOLE_MUNICIPALITY_FILE.",
        envvar="INFOPOLE_MUNICIPALITY_FILE",
    ),
]
DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Рабочий каталог (база, индекс) / working directory. По умолчанию ./var."
    ),
]


def settings_for(municipality: Path | None, data_dir: Path | None) -> Settings:
    overrides: dict[str, Any] = {}
    if municipality is not None:
        overrides["municipality_file"] = municipality
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    return Settings(**overrides)


@contextmanager
def open_runtime(municipality: Path | None, data_dir: Path | None) -> Iterator[Runtime]:
    """A runtime whose municipality file was validated before any work (exit code 2 if broken)."""
    quiet_third_parties()
    runtime = Runtime(settings_for(municipality, data_dir))
    try:
        try:
            runtime.municipality  # noqa: B018 - validate the file before any work
        except ConfigError as error:
            config_failed(error)
        yield runtime
    finally:
        runtime.close()


def config_failed(error: ConfigError) -> None:
    console.print("[red]Файл муниципалитета содержит ошибки / the municipality file has errors:[/red]")
    for problem in error.problems:
        console.print(f"  {problem}", markup=False, highlight=False)
    raise typer.Exit(2)
