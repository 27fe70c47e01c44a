"""The queue out to CSV/XLSX and appeals in from a ПОС-style CSV/XLSX, through the same routing."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from openpyxl import Workbook, load_workbook

from infopole.domain.incident import CaseKind, IncidentStatus
from infopole.incidents.appeals_import import read_appeals, to_case
from infopole.incidents.export import COLUMNS, queue_rows, to_csv, to_xlsx
from infopole.storage.db import Database
from infopole.storage.incidents import IncidentStore
from tests.case_fixtures import MUNICIPALITY, NOW, case

POS_CSV = (
    "Номер;Дата поступления;Автор;Текст обращения;Адрес;Категория;Вид\n"
    "П-101;20.11.2026 10:15;Иванова А.;Не вывозят мусор со двора уже неделю;г. Ивангород, ул. Гагарина 3;"
    "Мусор/Свалки/ТКО;Обращение\n"
    "П-102;21.11.2026;Петров;Разбит тротуар у школы;Кингисепп, пр. Карла Маркса 10;Дороги;сообщение\n"
    "П-103;вчера;Сидоров;Нет света;Кингисепп;ЖКХ;\n"
    "П-104;22.11.2026;Козлов;;Кингисепп;ЖКХ;\n"
)


def test_csv_import_reads_routes_and_reports_bad_rows(tmp_path: Path) -> None:
    appeals, problems = read_appeals(POS_CSV.encode("utf-8-sig"), "pos.csv", MUNICIPALITY)
    assert [(p.row, p.message) for p in problems] == [(4, "не понимаю дату «вчера»"), (5, "пустой текст")]
    first, second = appeals
    assert first.kind is CaseKind.APPEAL and second.kind is CaseKind.MESSAGE
    assert first.registered_at == datetime(2026, 11, 20, 7, 15, tzinfo=UTC)  # 10:15 Moscow
    roads = to_case(second, MUNICIPALITY, NOW)
    assert (roads.block, roads.settlement, roads.department_id) == ("Дороги", "Кингисепп", "zhkh")
    assert roads.external_id == "pos:П-102" and roads.channel == "pos"
    waste = to_case(first, MUNICIPALITY, NOW)
    assert waste.settlement == "Ивангород" and waste.status is IncidentStatus.TRIAGE  # nobody owns ТКО here
    assert waste.opened_at == first.registered_at
    db = Database(f"sqlite:///{tmp_path / 'import.db'}")
    store = IncidentStore(db)
    saved = store.add(waste, NOW)
    assert store.add(to_case(first, MUNICIPALITY, NOW), NOW).id == saved.id  # importing twice: one case
    assert len(store.list()) == 1
    db.close()


def test_xlsx_import_with_real_dates() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["№", "Дата", "Содержание", "Адрес", "Тема"])
    sheet.append([7, datetime(2026, 11, 20, 9, 0), "Не горят фонари на улице Мира", "Ивангород", "Дороги"])
    buffer = io.BytesIO()
    book.save(buffer)
    (appeal,), problems = read_appeals(buffer.getvalue(), "pos.xlsx", MUNICIPALITY)
    assert problems == []
    assert appeal.number == "7" and appeal.kind is CaseKind.APPEAL
    assert to_case(appeal, MUNICIPALITY, NOW).department_id == "ivangorod"


def test_missing_columns_are_reported() -> None:
    appeals, problems = read_appeals("Автор;Адрес\nИванов;Кингисепп\n".encode(), "x.csv", MUNICIPALITY)
    assert appeals == [] and problems[0].message == "нет столбцов: date, text"


def test_export_csv_and_xlsx_agree() -> None:
    overdue, fresh = case(NOW - timedelta(days=3)), case(NOW)
    overdue.id, fresh.id = 1, 2
    for item in (overdue, fresh):
        item.due_at = item.first_answer_due
    rows = queue_rows([overdue, fresh], MUNICIPALITY, NOW)
    text = to_csv(rows).decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert tuple(parsed[0]) == COLUMNS
    assert [line[4] for line in parsed[1:]] == ["просрочен", "в срок"]
    assert parsed[1][10] == "Комитет ЖКХ" and parsed[1][3] == "назначен"
    sheet = load_workbook(io.BytesIO(to_xlsx(rows))).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert tuple(values[0]) == COLUMNS
    assert [str(v) if v is not None else "" for v in values[1]] == parsed[1]
