"""A small municipality for the nlp tests: two settlements sharing a street name, and an official."""

from __future__ import annotations

from infopole.config.municipality import Municipality


def small_municipality() -> Municipality:
    return Municipality.model_validate(
        {
            "slug": "troitsk",
            "name": "Городской округ Троицк",
            "short_name": "Троицк",
            "region": "Москва",
            "oktmo": "45953000",
            "timezone": "Europe/Moscow",
            "center": {"lat": 55.48, "lon": 37.30},
            "settlements": [
                {
                    "name": "Троицк",
                    "kind": "город",
                    "point": {"lat": 55.48, "lon": 37.30},
                    "streets": ["улица Лесная", "Октябрьский проспект", "Солнечная улица"],
                },
                {
                    "name": "Красная Пахра",
                    "kind": "село",
                    "aliases": ["Пахра"],
                    "point": {"lat": 55.43, "lon": 37.24},
                    "streets": ["улица Лесная"],
                },
            ],
            "departments": [
                {"id": "zhkh", "name": "Отдел ЖКХ", "head": "начальник отдела", "blocks": ["ЖКХ"]}
            ],
            "officials": ["Дудочкин"],
        }
    )
