"""A new municipality file from a few answers: valid at once, with comments on what to fill in next."""

from __future__ import annotations

import io
import re

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from infopole.config.blocks import blocks

LATIN = "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh sch _ y _ e yu ya"
TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", LATIN.split(" "), strict=True))


def slugify(name: str) -> str:
    latin = "".join(TRANSLIT.get(ch, ch) for ch in name.lower())
    return re.sub(r"[^a-z0-9]+", "-", latin.replace("_", "")).strip("-") or "municipality"


def render_new_municipality(
    *,
    name: str,
    short_name: str,
    region: str,
    oktmo: str,
    timezone: str,
    settlements: list[str],
    lat: float,
    lon: float,
) -> str:
    data = CommentedMap()
    data["slug"] = slugify(short_name)
    data["name"] = name
    data["short_name"] = short_name
    data["region"] = region
    data["oktmo"] = oktmo
    data["timezone"] = timezone
    data["center"] = {"lat": lat, "lon": lon}
    data["settlements"] = [{"name": s} for s in settlements if s]
    data["departments"] = [
        {
            "id": "administration",
            "name": f"Администрация {short_name}",
            "head": "заместитель главы администрации",
            "blocks": list(blocks()),
        }
    ]
    data["sources"] = []
    data.yaml_set_start_comment(
        "Файл муниципалитета Инфополя. Проверка: infopole check -m <файл>\n"
        "Дальше: разделите блоки между отраслевыми отделами (departments), добавьте координаты\n"
        "и улицы поселений (settlements), источники (sources), госпаблики (official_pages)\n"
        "и получателей оповещений (recipients) — см. примеры: infopole examples"
    )
    out = io.StringIO()
    yaml = YAML()
    yaml.allow_unicode = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.dump(data, out)
    return out.getvalue()
