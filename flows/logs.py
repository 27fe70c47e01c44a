"""Structured logs: one JSON object per line, for journald, Loki or a plain ``grep``.

``use_json_logs(data_dir)`` writes a Prefect logging configuration whose console handler prints
JSON lines and points ``PREFECT_LOGGING_SETTINGS_PATH`` at it, so the served flow runs (child
processes) log the same way. Call it before Prefect is imported. Run loggers add the flow and
task run ids and names to every line; the Prefect UI keeps receiving the logs as before.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RUN_FIELDS = ("flow_run_id", "flow_run_name", "flow_name", "task_run_id", "task_run_name", "task_name")
OUR_LOGGERS = ("flows", "infopole", "crawlers", "index", "nlp")


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in RUN_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = str(value)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def json_logging_config() -> dict[str, Any]:
    """Prefect's own logging configuration with JSON lines on the console."""
    import yaml  # a dependency of Prefect

    spec = importlib.util.find_spec("prefect")
    assert spec is not None and spec.origin is not None
    default = Path(spec.origin).parent / "logging" / "logging.yml"
    config: dict[str, Any] = yaml.safe_load(default.read_text(encoding="utf-8"))
    config["formatters"]["infopole_json"] = {"()": f"{__name__}.JsonLines"}
    config["handlers"]["console"] = {
        "level": 0,
        "class": "logging.StreamHandler",
        "formatter": "infopole_json",
        "stream": "ext://sys.stderr",
    }
    config["handlers"]["debug"]["formatter"] = "infopole_json"
    for name in OUR_LOGGERS:
        config["loggers"][name] = {"level": "INFO"}
    return config


def use_json_logs(data_dir: Path) -> Path:
    import yaml

    path = data_dir / "prefect" / "logging-json.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(json_logging_config(), allow_unicode=True), encoding="utf-8")
    os.environ["PREFECT_LOGGING_SETTINGS_PATH"] = str(path.resolve())
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines())
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    return path
