"""The socially significant blocks the ЦУР asks about, mapped onto the 26 canonical blocks.

Kotelnikovo §3.2 9): the МЦУ «ежеквартально предоставляет в Центр управления регионом …
отчет об эффективности работы местной администрации, подведомственных организаций с
обращениями и сообщениями граждан и юридических лиц по социально-значимым блокам»; the
blocks are named in Kotelnikovo §1.1 and Novodugino §1. The classifier speaks the 26 blocks of
``infopole.config.blocks``, so each ЦУР block is the union of some of them; the mapping is
printed in the report («Методика»), and blocks outside it are reported as «Прочие».
"""

from __future__ import annotations

from dataclasses import dataclass

from infopole.config.blocks import blocks


@dataclass(frozen=True, slots=True)
class SocialBlock:
    name: str
    canonical: tuple[str, ...]


SOCIAL_BLOCKS: tuple[SocialBlock, ...] = (
    SocialBlock("Здравоохранение", ("Здравоохранение/Медицина", "Коронавирус")),
    SocialBlock("ЖКХ", ("ЖКХ", "Благоустройство")),
    SocialBlock("ТКО (обращение с отходами)", ("Мусор/Свалки/ТКО",)),
    SocialBlock("Энергетика (электро- и газоснабжение)", ("Электроснабжение", "Газ и топливо")),
    SocialBlock("Образование", ("Образование",)),
    SocialBlock("Дороги", ("Дороги",)),
    SocialBlock("Транспорт", ("Общественный транспорт",)),
    SocialBlock("Социальная защита", ("Социальное обслуживание и защита",)),
)
OTHER = "Прочие блоки"
NOT_CLASSIFIED = "Блок не определён"

_BY_CANONICAL = {canonical: block.name for block in SOCIAL_BLOCKS for canonical in block.canonical}


def social_block_of(block: str | None) -> str:
    """The ЦУР block of a canonical block: one of ``SOCIAL_BLOCKS``, «Прочие» or «не определён»."""
    if block is None:
        return NOT_CLASSIFIED
    return _BY_CANONICAL.get(block, OTHER)


def unmapped_blocks() -> tuple[str, ...]:
    """Canonical blocks counted as «Прочие»: listed in the report so the ЦУР sees what is left out."""
    return tuple(b for b in blocks() if b not in _BY_CANONICAL)


def row_names() -> tuple[str, ...]:
    return (*(b.name for b in SOCIAL_BLOCKS), OTHER, NOT_CLASSIFIED)
