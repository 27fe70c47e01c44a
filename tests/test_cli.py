"""The command line as an administrator uses it: real processes, real files, exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from infopole.config.municipality import load_municipality

EXAMPLES = ["kingisepp", "sorsk", "petropavlovskaya", "kotelnikovo", "novodugino"]


def infopole(*args: str, cwd: Path, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infopole.cli", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "COLUMNS": "200"},
    )


def test_help_speaks_both_languages(tmp_path: Path) -> None:
    result = infopole("--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "мониторинг информационного поля" in result.stdout
    assert "information field" in result.stdout
    for command in ("init", "crawl", "analyze", "index", "serve", "run", "demo", "report", "check"):
        assert command in result.stdout


def test_examples_are_listed_and_each_checks(tmp_path: Path) -> None:
    listed = infopole("examples", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    for name in EXAMPLES:
        assert name in listed.stdout


@pytest.mark.parametrize("name", EXAMPLES)
def test_init_from_example_writes_a_valid_file(tmp_path: Path, name: str) -> None:
    target = tmp_path / f"{name}.yaml"
    result = infopole("init", "--example", name, "-o", str(target), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    checked = infopole("check", "-m", str(target), cwd=tmp_path)
    assert checked.returncode == 0 and checked.stdout.startswith("OK:"), checked.stderr
    assert load_municipality(target).slug == name


def test_init_from_flags_and_refusal_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "new.yaml"
    args = [
        "init",
        "-o",
        str(target),
        "--name",
        "Городское поселение Тестово",
        "--short-name",
        "Тестово",
        "--region",
        "Тверская область",
        "--oktmo",
        "28000000",
        "--timezone",
        "Europe/Moscow",
        "--settlement",
        "Тестово",
        "--settlement",
        "Ивановка",
        "--lat",
        "56.8",
        "--lon",
        "35.9",
    ]
    assert infopole(*args, cwd=tmp_path).returncode == 0
    municipality = load_municipality(target)
    assert [s.name for s in municipality.settlements] == ["Тестово", "Ивановка"]
    again = infopole(*args, cwd=tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr


def test_init_interactive_answers(tmp_path: Path) -> None:
    target = tmp_path / "asked.yaml"
    answers = "МО Тест\nТест\nТверская область\n28000000\nEurope/Moscow\nТест, Луговое\n56.8\n35.9\n"
    result = infopole("init", "-o", str(target), cwd=tmp_path, input=answers)
    assert result.returncode == 0, result.stderr
    assert [s.name for s in load_municipality(target).settlements] == ["Тест", "Луговое"]


def test_init_with_invalid_answers_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "bad.yaml"
    answers = "МО Тест\nТест\nТверская область\n123\nMars/Olympus\nТест\n56.8\n35.9\n"
    result = infopole("init", "-o", str(target), cwd=tmp_path, input=answers)
    assert result.returncode == 2
    assert "oktmo" in result.stderr and "timezone" in result.stderr
    assert not target.exists()


def test_check_reports_line_and_field_of_each_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "slug: t\nname: Т\nshort_name: Т\nregion: Р\noktmo: '41621000'\ntimezone: Europe/Moscow\n"
        "center: {lat: 59, lon: 28}\nsettlements:\n  - name: А\ndepartments:\n"
        "  - id: d\n    name: Д\n    head: начальник\n    blocks: [ЖКХ, Дорги]\n",
        encoding="utf-8",
    )
    result = infopole("check", "-m", str(broken), cwd=tmp_path)
    assert result.returncode == 2
    assert (
        f"{broken}:14: departments[0].blocks[1]: неизвестный блок «Дорги»; возможно, «Дороги»"
        in result.stderr
    )


def test_commands_refuse_a_broken_file_before_doing_anything(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("slug: [unclosed\n", encoding="utf-8")
    result = infopole("crawl", "-m", str(broken), "--data-dir", str(tmp_path / "var"), cwd=tmp_path)
    assert result.returncode == 2
    assert "ошибка YAML" in result.stderr
    assert not (tmp_path / "var").exists()
