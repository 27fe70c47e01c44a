"""A case as GeoReport v2 shows a service request: the Open311 API and the case webhook both send it.

Pure (no storage), so the store can build a webhook event in the transaction that changes the case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from infopole.config.municipality import Municipality
from infopole.domain.incident import Incident


def request_json(incident: Incident, municipality: Municipality) -> dict[str, Any]:
    names = {d.id: d.name for d in municipality.departments}

    def local(moment: datetime | None) -> str | None:
        return moment.astimezone(municipality.tz).isoformat(timespec="seconds") if moment else None

    notes = incident.status.label
    if incident.reject_reason is not None:
        notes += f": {incident.reject_reason.label}"
    return {
        "service_request_id": str(incident.id),
        "status": "open" if incident.is_open else "closed",
        "status_notes": notes,
        "service_name": incident.block or "",
        "service_code": incident.block or "",
        "description": incident.description or incident.title,
        "agency_responsible": names.get(incident.department_id or "", "МЦУ (распределение)"),
        "service_notice": "",
        "requested_datetime": local(incident.opened_at),
        "updated_datetime": local(incident.updated_at or incident.opened_at),
        "expected_datetime": local(incident.due_at),
        "address": incident.address or incident.settlement or "",
        "address_id": "",
        "zipcode": "",
        "lat": incident.lat,
        "long": incident.lon,
        "media_url": "",
    }
