"""JSON-lines logs: one JSON object per line with the run ids, and Prefect's console switched to it."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest
import yaml

from flows.logs import JsonLines, json_logging_config, use_json_logs


def test_a_record_is_one_json_line_with_the_run_ids() -> None:
    record = logging.LogRecord(
        "prefect.flow_runs", logging.WARNING, __file__, 1, "нет воды: %s", ("Лесная 5",), None
    )
    record.flow_run_id = "5d3c…"
    record.flow_run_name = "brave-otter"
    line = JsonLines().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["level"] == "warning" and data["logger"] == "prefect.flow_runs"
    assert data["msg"] == "нет воды: Лесная 5"
    assert (data["flow_run_id"], data["flow_run_name"]) == ("5d3c…", "brave-otter")
    assert data["ts"].endswith("+00:00")


def test_prefect_logging_config_prints_json_and_keeps_the_api_handler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PREFECT_LOGGING_SETTINGS_PATH", raising=False)
    config = json_logging_config()
    assert config["handlers"]["console"]["formatter"] == "infopole_json"
    assert config["formatters"]["infopole_json"] == {"()": "flows.logs.JsonLines"}
    assert config["loggers"]["prefect.flow_runs"]["handlers"] == ["api"]  # the UI still gets the logs
    assert config["loggers"]["flows"] == {"level": "INFO"}
    try:
        path = use_json_logs(tmp_path)
        assert os.environ["PREFECT_LOGGING_SETTINGS_PATH"] == str(path.resolve())
        assert yaml.safe_load(path.read_text(encoding="utf-8")) == config
    finally:
        logging.basicConfig(force=True)
