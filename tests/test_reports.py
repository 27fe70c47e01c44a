"""The weekly note and the quarterly report, rendered from a real database and read back.

DOCX is read with python-docx, XLSX with openpyxl, the PDF (made by LibreOffice) with poppler's
pdftotext/pdffonts/pdftoppm; every number checked is counted again from the database with
its own query, so a report that drifts from the data fails here.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from report_fixtures import NOW, PLANNED, at, fill
from sqlalchemy import func, select
from typer.testing import CliRunner

from infopole.cli import app
from infopole.demo import demo_settings
from infopole.domain.incident import (
    CaseKind,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Priority,
    UpdateAction,
)
from infopole.reports import PeriodError, build_report, parse_period, quarterly_report_for, weekly_note_for
from infopole.reports.facts import Facts, PostFact
from infopole.reports.period import PeriodKind
from infopole.reports.quarterly import quarterly_report
from infopole.reports.quarterly_xlsx import SHEET_BLOCKS, SHEET_METHOD
from infopole.reports.social_blocks import SOCIAL_BLOCKS
from infopole.runtime import Runtime
from infopole.storage.tables import AnalysisRow, IncidentRow, PostRow

TOOLS = ("soffice", "pdftotext", "pdffonts", "pdftoppm", "pdfinfo")
ARTIFACTS = (
    Path(__file__).resolve().parents[1] / "artifacts" / "reports"
)  # the PDFs and their pages, to look at
WEEK = "2026-W47"  # 16–22.11.2026, the last complete week before NOW
QUARTER = "2026-Q4"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reports-db")
    fill(path)
    return path


@pytest.fixture
def runtime(data_dir: Path) -> Iterator[Runtime]:
    rt = Runtime(demo_settings(data_dir, vk_url="http://127.0.0.1:9"))
    yield rt
    rt.close()


@pytest.fixture(scope="module")
def documents(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    assert not missing, f"run scripts/reports-deps.sh: missing {missing}"
    out = tmp_path_factory.mktemp("reports-out")
    rt = Runtime(demo_settings(data_dir, vk_url="http://127.0.0.1:9"))
    try:
        weekly = build_report(rt, "weekly", WEEK, ["docx", "pdf", "md"], output_dir=out, now=NOW)
        quarterly = build_report(rt, "quarterly", QUARTER, ["xlsx", "docx", "pdf"], output_dir=out, now=NOW)
    finally:
        rt.close()
    names = ("weekly.docx", "weekly.pdf", "weekly.md", "quarterly.xlsx", "quarterly.docx", "quarterly.pdf")
    return dict(zip(names, [*weekly, *quarterly], strict=True))


# --- reading the documents back ---------------------------------------------------------------


def docx_text(path: Path) -> str:
    document = Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts.extend(cell.text for row in table.rows for cell in row.cells)
    return normal("\n".join(parts))


def docx_table(path: Path, first_header: str) -> list[list[str]]:
    for table in Document(str(path)).tables:
        rows = [[normal(cell.text) for cell in row.cells] for row in table.rows]
        if rows and rows[0][0] == first_header:
            return rows
    raise AssertionError(f"no table starting with {first_header!r} in {path.name}")


def pdf_text(path: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return normal(done.stdout)


def normal(text: str) -> str:
    return text.replace("\u00a0", " ")


def row_of(rows: list[list[str]], label: str) -> list[str]:
    return next(row for row in rows if row[0] == label)


# --- the database, counted independently ------------------------------------------------------


def count_posts(rt: Runtime, start: datetime, end: datetime) -> int:
    query = (
        select(func.count())
        .select_from(PostRow)
        .join(AnalysisRow, AnalysisRow.post_key == PostRow.key)
        .where(PostRow.published_at >= start, PostRow.published_at < end, PostRow.is_deleted.is_(False))
    )
    with rt.db.session() as s:
        return int(s.scalar(query) or 0)


def count_cases(rt: Runtime, start: datetime, end: datetime, blocks: tuple[str, ...] | None = None) -> int:
    query = (
        select(func.count())
        .select_from(IncidentRow)
        .where(IncidentRow.opened_at >= start, IncidentRow.opened_at < end)
    )
    if blocks is not None:
        query = query.where(IncidentRow.block.in_(blocks))
    with rt.db.session() as s:
        return int(s.scalar(query) or 0)


def count_overdue(rt: Runtime, department_id: str, as_of: datetime) -> int:
    """Open cases of a department whose pending deadline (kept by the store) passed before ``as_of``."""
    query = (
        select(func.count())
        .select_from(IncidentRow)
        .where(
            IncidentRow.department_id == department_id,
            IncidentRow.status.in_([s.value for s in IncidentStatus if s.is_open]),
            IncidentRow.due_at < as_of,
        )
    )
    with rt.db.session() as s:
        return int(s.scalar(query) or 0)


# --- the weekly note -------------------------------------------------------------------------


def test_weekly_numbers_match_the_database(runtime: Runtime, documents: dict[str, Path]) -> None:
    period = parse_period(WEEK, PeriodKind.WEEK, NOW, runtime.municipality.timezone)
    before = period.previous()
    rows = docx_table(documents["weekly.docx"], "Показатель")
    posts = row_of(rows, "Публикаций и комментариев")
    expected = [
        count_posts(runtime, period.start, period.end),
        count_posts(runtime, before.start, before.end),
    ]
    assert posts[1:3] == [str(n) for n in expected]
    cases = row_of(rows, "Инцидентов заведено")
    expected = [
        count_cases(runtime, period.start, period.end),
        count_cases(runtime, before.start, before.end),
    ]
    assert cases[1:3] == [str(n) for n in expected]
    planned = sum(1 for case in PLANNED if period.start <= case.opened < period.end)
    assert planned == 5 and int(cases[1]) >= planned  # the dated cases of 16–22.11, plus the demo's
    ratings = docx_table(documents["weekly.docx"], "Место")
    assert sum(int(row[2]) for row in ratings[1:]) == int(cases[1])


def test_weekly_overdue_risks_and_recommendations(runtime: Runtime, documents: dict[str, Path]) -> None:
    text = docx_text(documents["weekly.docx"])
    overdue = docx_table(documents["weekly.docx"], "Ответственный")
    zhkh = row_of(overdue, runtime.municipality.department("zhkh").name)
    assert int(zhkh[1]) == count_overdue(runtime, "zhkh", NOW) >= 3  # three road cases of 16–19.11 unanswered
    education = row_of(overdue, runtime.municipality.department("education").name)
    assert int(education[1]) == count_overdue(runtime, "education", NOW) >= 1  # an отписка is no answer
    assert "Всплеск жалоб на отсутствие горячей воды в Кингисеппе" in text
    most = re.search(r"Основание: Раздел 5: просрочено (\d+) случа", text)
    assert most is not None and int(most[1]) == max(int(row[1]) for row in overdue[1:])
    assert "Основание: Раздел 4: не подтверждено куратором оповещений высокой важности: 1." in text
    assert "Основание: Раздел 6: формальные ответы за неделю: Комитет по образованию — 1." in text
    assert len(Document(str(documents["weekly.docx"])).inline_shapes) >= 2  # the charts are embedded


def test_weekly_pdf_is_readable_cyrillic_with_embedded_fonts(documents: dict[str, Path]) -> None:
    text = pdf_text(documents["weekly.pdf"])
    assert "ЕЖЕНЕДЕЛЬНАЯ АНАЛИТИЧЕСКАЯ ЗАПИСКА" in text
    assert "за период 16.11.2026 — 22.11.2026" in text
    assert "Кингисеппский муниципальный район" in text
    docx_posts = row_of(docx_table(documents["weekly.docx"], "Показатель"), "Публикаций и комментариев")[1]
    assert re.search(rf"Публикаций и\s.*?{docx_posts}\b", text, re.S)
    assert_fonts_embedded(documents["weekly.pdf"])
    assert_pages_render(documents["weekly.pdf"])


def test_weekly_markdown_has_the_same_figures(documents: dict[str, Path]) -> None:
    markdown = normal(documents["weekly.md"].read_text(encoding="utf-8"))
    posts = row_of(docx_table(documents["weekly.docx"], "Показатель"), "Публикаций и комментариев")
    assert f"- Публикаций и комментариев: {posts[1]} (неделей ранее {posts[2]}" in markdown


# --- the quarterly report ------------------------------------------------------------------------


def test_quarterly_xlsx_matches_the_database(runtime: Runtime, documents: dict[str, Path]) -> None:
    period = parse_period(QUARTER, PeriodKind.QUARTER, NOW, runtime.municipality.timezone)
    sheet = load_workbook(documents["quarterly.xlsx"])[SHEET_BLOCKS]
    header = [cell.value for cell in sheet[5]]
    rows = {
        row[0]: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=6, values_only=True)
    }
    total = rows["Итого"]
    assert total["Случаев зарегистрировано"] == count_cases(runtime, period.start, period.end)
    assert total["Публикаций и комментариев"] == count_posts(runtime, period.start, period.end)
    for block in SOCIAL_BLOCKS:
        assert rows[block.name]["Случаев зарегистрировано"] == count_cases(
            runtime, period.start, period.end, block.canonical
        ), block.name
    by_block = [r["Случаев зарегистрировано"] for name, r in rows.items() if name != "Итого"]
    assert sum(by_block) == total["Случаев зарегистрировано"]
    assert rows["Здравоохранение"]["в т.ч. обращений (59-ФЗ)"] == 1
    assert rows["ТКО (обращение с отходами)"]["Повторно открыто (жалоба не решена)"] == 1
    assert rows["ЖКХ"]["Положительная реакция заявителя"] == 1  # «Спасибо, воду дали!» after the answer
    assert sheet.cell(6, 4).number_format == "0.0%"
    method = load_workbook(documents["quarterly.xlsx"])[SHEET_METHOD]
    assert any("Опрос заявителей не проводится" in str(c.value) for row in method.iter_rows() for c in row)


def test_quarterly_narrative_says_what_satisfaction_means(documents: dict[str, Path]) -> None:
    text = docx_text(documents["quarterly.docx"])
    total = row_of(docx_table(documents["quarterly.docx"], "Блок"), "Итого")
    assert f"Зарегистрировано {total[1]} случаев" in text
    assert "удовлетворённость оценивается косвенно" in text
    pdf = pdf_text(documents["quarterly.pdf"])
    assert "ОТЧЁТ ОБ ЭФФЕКТИВНОСТИ РАБОТЫ" in pdf
    assert "за период 01.10.2026 — 31.12.2026" in pdf
    assert re.search(r"ТКО \(обращение\s+с\s+отходами\)", pdf) or "ТКО (обращение с" in pdf
    assert_fonts_embedded(documents["quarterly.pdf"])
    assert_pages_render(documents["quarterly.pdf"])


# --- pure figures --------------------------------------------------------------------------------


def case(case_id: int, block: str, opened: datetime, *updates: tuple[UpdateAction, datetime]) -> Incident:
    status = {UpdateAction.ANSWERED: IncidentStatus.ANSWERED, UpdateAction.REOPENED: IncidentStatus.REOPENED}
    history = [IncidentUpdate(opened, "system", IncidentStatus.ASSIGNED, "zhkh")]
    current = IncidentStatus.ASSIGNED
    for action, when in updates:
        current = status.get(action, current)
        history.append(IncidentUpdate(when, "official", current, "zhkh", action=action))
    return Incident(
        case_id,
        block,
        "Кингисепп",
        "zhkh",
        current,
        Priority.NORMAL,
        opened,
        None,
        f"№{case_id}",
        post_keys=[f"vk:-1:{case_id}"],
        updates=history,
        kind=CaseKind.MESSAGE,
    )


def reaction(parent: str, author: str, when: datetime) -> PostFact:
    return PostFact(
        key=f"{parent}:reply",
        published_at=when,
        kind="comment",
        text="Спасибо, сделали!",
        url="",
        author_id=author,
        parent_key=parent,
        block="ЖКХ",
        settlement="Кингисепп",
        street=None,
        sentiment="positive",
        is_incident=False,
        risk_score=0.0,
    )


def test_response_times_and_satisfaction_proxy_are_computed_as_documented(runtime: Runtime) -> None:
    opened = at("2026-10-05", "10:00")  # Monday
    answered, reopened = UpdateAction.ANSWERED, UpdateAction.REOPENED
    cases = (
        case(1, "ЖКХ", opened, (answered, at("2026-10-05", "12:00"))),  # 2 working hours
        case(2, "ЖКХ", opened, (answered, at("2026-10-05", "16:00"))),  # 6
        # 8 + 3 = 11 working hours (09–18), then the resident says it is not fixed
        case(
            3, "Благоустройство", opened, (answered, at("2026-10-06", "12:00")), (reopened, at("2026-10-07"))
        ),
    )
    thanks = reaction("vk:-1:1", "r1", at("2026-10-05", "13:00"))  # after the answer: counts
    early = reaction("vk:-1:2", "r2", at("2026-10-05", "11:00"))  # before the answer: does not
    authors = {"vk:-1:1": "r1", "vk:-1:2": "r2", "vk:-1:3": "r3"}
    facts = Facts(at("2026-07-01"), at("2027-01-01"), NOW, (), cases, (), (), (thanks, early), authors)
    period = parse_period(QUARTER, PeriodKind.QUARTER, NOW, "Europe/Moscow")
    report = quarterly_report(facts, runtime.municipality, period)
    zhkh = next(r for r in report.rows if r.block == "ЖКХ").metrics
    assert (zhkh.cases, zhkh.median_hours, zhkh.p90_hours) == (3, 6.0, 11.0)
    assert (zhkh.in_time, zhkh.due) == (2, 3)  # 8 working hours allowed
    assert (zhkh.positive_reactions, zhkh.reopened) == (1, 1)


def test_periods() -> None:
    tz = "Europe/Moscow"
    last = parse_period(None, PeriodKind.WEEK, NOW, tz)
    assert (last.code, last.label) == ("2026-W47", "16.11.2026 — 22.11.2026")
    assert parse_period("current", PeriodKind.QUARTER, NOW, tz).code == "2026-Q4"
    assert parse_period("last", PeriodKind.QUARTER, NOW, tz).label == "01.07.2026 — 30.09.2026"
    assert parse_period("2026-Q1", PeriodKind.QUARTER, NOW, tz).previous().code == "2025-Q4"
    custom = parse_period("2026-11-01..2026-11-15", PeriodKind.WEEK, NOW, tz)
    assert (custom.days, custom.previous().label) == (15, "17.10.2026 — 31.10.2026")
    assert custom.start == datetime(2026, 10, 31, 21, 0, tzinfo=UTC)  # local midnight
    for wrong in ("2026-Q4", "2026-W60", "2026-11-15..2026-11-01", "прошлая неделя"):
        with pytest.raises(PeriodError):
            parse_period(wrong, PeriodKind.WEEK, NOW, tz)


def test_cli_writes_the_requested_formats(data_dir: Path, tmp_path: Path) -> None:
    municipality = demo_settings(data_dir, "http://127.0.0.1:9").municipality_file
    common = ["--municipality", str(municipality), "--data-dir", str(data_dir)]
    result = CliRunner().invoke(
        app, ["report", "quarterly", "-p", QUARTER, "-f", "xlsx", "-o", str(tmp_path), *common]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "quarterly-kingisepp-2026-Q4.xlsx").exists()
    result = CliRunner().invoke(app, ["report", "weekly", "-p", "2026-Q4", *common])
    assert result.exit_code == 2
    result = CliRunner().invoke(app, ["report", "quarterly", "-f", "md", "-o", str(tmp_path), *common])
    assert result.exit_code == 2


def test_dashboard_functions_return_the_figures(runtime: Runtime) -> None:
    note = weekly_note_for(runtime, WEEK, now=NOW)
    report = quarterly_report_for(runtime, QUARTER, now=NOW)
    assert note.period.code == WEEK and report.period.code == QUARTER
    opened = next(f.value for f in note.numbers if f.label == "Инцидентов заведено")
    assert isinstance(opened, int) and report.total.metrics.cases >= opened


# --- PDF checks ------------------------------------------------------------------------------------


def assert_fonts_embedded(pdf: Path) -> None:
    """Every font is embedded (no substitution on the reader's machine, so no empty boxes) and
    they are real outline fonts, not LibreOffice's Type 3 fallbacks."""
    done = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    fonts = done.stdout.splitlines()[2:]
    assert fonts, done.stdout
    for line in fonts:
        columns = line.split()
        assert "Type 3" not in line, line
        assert columns[-5] == "yes", f"font not embedded: {line}"
    assert any("LiberationSerif" in line or "TimesNewRoman" in line for line in fonts), done.stdout


def assert_pages_render(pdf: Path, out: Path = ARTIFACTS) -> None:
    """Every page becomes a picture (kept in ``artifacts/reports`` with the PDF, for a person to read)."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info)[1])  # type: ignore[index]
    assert pages >= 2
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob(f"{pdf.stem}*"):
        old.unlink()
    shutil.copy(pdf, out / pdf.name)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(out / pdf.stem)], check=True)
    images = sorted(out.glob(f"{pdf.stem}-*.png"))
    assert len(images) == pages
    assert all(
        image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and image.stat().st_size > 1000 for image in images
    )
