"""Acknowledgement from a Telegram button: callback data that names the alert and proves it is ours.

Anyone can make a bot receive arbitrary callback data, so the data carries a short HMAC of
the alert id under the installation's secret; Telegram limits callback data to 64 bytes,
which ``ack:<id>:<16 hex>`` keeps well within.
"""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "ack"


def _signature(alert_id: int, secret: bytes) -> str:
    return hmac.new(secret, f"{PREFIX}:{alert_id}".encode(), hashlib.sha256).hexdigest()[:16]


def ack_callback_data(alert_id: int, secret: bytes) -> str:
    return f"{PREFIX}:{alert_id}:{_signature(alert_id, secret)}"


def parse_ack_callback(data: str, secret: bytes) -> int | None:
    """The alert id of a genuine «Принято» press, or None for anything else."""
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1].isdigit():
        return None
    alert_id = int(parts[1])
    return alert_id if hmac.compare_digest(parts[2], _signature(alert_id, secret)) else None
