"""Geo-linking: settlements, streets and houses named in a text, linked to the municipality.

Names are compared as lemma sequences (``nlp.lemmas``), so «в Красной Пахре» finds the
settlement «Красная Пахра» and «на Лесной, 5» the street «улица Лесная». Streets of the
configuration are matched where the text marks them as streets (a street word before, a
house number after, or a capital letter); other addresses are read by a regular expression
(a street word, a capitalised name, a house number), which is 100× faster than natasha's
``AddrExtractor`` grammar. Coordinates are the settlement's point from the configuration.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from infopole.config.municipality import Municipality, Settlement
from infopole.domain.analysis import Address
from nlp.lemmas import TOKEN, lemma

STREET_WORDS = {
    "улица", "ул", "проспект", "пр", "пр-т", "пр-кт", "переулок", "пер", "шоссе", "ш", "бульвар", "б-р",
    "площадь", "пл", "проезд", "пр-д", "тупик", "набережная", "наб", "микрорайон", "мкр", "мкрн", "квартал",
    "пр-те", "пр-та", "пр-ту", "пр-кте", "пр-кта",
}  # fmt: skip
HOUSE = re.compile(
    r"^[\s,]*(?:(?:д|дом)\.?\s*)?(?:№\s*)?(\d{1,4}(?:[а-яА-Я](?![а-яА-Я]))?(?:/\d{1,4})?"
    r"(?:\s*(?:к|корп|корпус|стр)\.?\s*\d{1,3})?)\b"
)


@dataclass(frozen=True)
class _Token:
    text: str
    lemma: str
    start: int
    stop: int


def _tokens(text: str) -> list[_Token]:
    return [
        _Token(match.group(0), lemma(match.group(0).lower().replace("ё", "е")), match.start(), match.end())
        for match in TOKEN.finditer(text)
    ]


def _is_street_word(token: _Token) -> bool:
    return token.lemma in STREET_WORDS or token.text.lower() in STREET_WORDS  # «пр-те» lemmatises badly


def _name_lemmas(name: str) -> tuple[str, ...]:
    return tuple(token.lemma for token in _tokens(name) if token.lemma not in STREET_WORDS)


def _positions(tokens: list[_Token]) -> dict[str, list[int]]:
    """Where each lemma occurs: names are looked up by their first lemma, not scanned for."""
    positions: dict[str, list[int]] = {}
    for i, token in enumerate(tokens):
        positions.setdefault(token.lemma, []).append(i)
    return positions


def _find(sequence: tuple[str, ...], tokens: list[_Token], positions: dict[str, list[int]]) -> list[int]:
    """Start indexes of ``sequence`` in the lemmas of ``tokens``."""
    size = len(sequence)
    if not size:
        return []
    return [
        i for i in positions.get(sequence[0], ()) if tuple(t.lemma for t in tokens[i : i + size]) == sequence
    ]


SETTLEMENT_WORDS = {
    "город", "г", "посёлок", "поселок", "пос", "п", "пгт", "деревня", "дер", "д", "село", "с", "станция",
    "деревне", "посёлке", "поселке", "селе",
}  # fmt: skip
ATTRIBUTE_NOUNS = {
    "район", "округ", "поселение", "область", "край", "горсовет", "администрация", "шоссе", "тракт",
    "дорога", "больница", "школа", "завод", "комбинат", "лесничество", "озеро", "направление", "суд",
    "муниципальный", "городской", "сельский",
}  # fmt: skip


def _modifies_next(tokens: list[_Token], i: int) -> bool:
    """Is the one-word name at ``i`` an adjective of the noun after it («Кингисеппский район»)?

    A settlement word before it («посёлок Кингисеппский») says it is the place itself.
    """
    from nlp.lemmas import _morph

    if i > 0 and tokens[i - 1].lemma in SETTLEMENT_WORDS:
        return False
    if i + 1 >= len(tokens):
        return False
    word, following = tokens[i], tokens[i + 1]
    parses = _morph().parse(word.text.lower())
    adjective = [p for p in parses if p.pos == "ADJ"]
    if not adjective:
        return False
    if following.lemma in ATTRIBUTE_NOUNS or _is_street_word(following):
        return True
    for noun in _morph().parse(following.text.lower()):
        if noun.pos != "NOUN" or following.text[:1].isupper():
            continue
        for adj in adjective:
            same = ("Case", "Number")
            if all(adj.feats.get(k) == noun.feats.get(k) for k in same) and (
                noun.feats.get("Number") == "Plur" or adj.feats.get("Gender") == noun.feats.get("Gender")
            ):
                return True
    return False


STREET_KINDS = [
    ("улица", r"ул(?:\.|иц[аеыуй]|ицей)?"),
    ("проспект", r"пр(?:-кт|-т|\.|оспект[аеу]?)"),
    ("переулок", r"пер(?:\.|еул(?:ок|ке|ка))"),
    ("шоссе", r"ш\.|шоссе"),
    ("бульвар", r"б-р|бульвар[аеу]?"),
    ("площадь", r"пл\.|площад[ьи]"),
    ("проезд", r"пр-д|проезд[аеу]?"),
    ("микрорайон", r"мкрн?\.?|микрорайон[аеу]?"),
    ("набережная", r"наб\.|набережн(?:ая|ой|ую)"),
]
ADDRESS = re.compile(
    r"(?<![А-Яа-яЁё])(?P<kind>" + "|".join(pattern for _, pattern in STREET_KINDS) + r")\s*"
    r"(?P<name>(?:\d{1,2}-?(?:я|й|го|ой|ая)\s+)?[А-ЯЁ][а-яё]+(?:[- ][А-ЯЁ][а-яё]+)?)"
)
_KIND_PATTERNS = [(kind, re.compile(f"(?:{pattern})$", re.IGNORECASE)) for kind, pattern in STREET_KINDS]


def _street_kind(word: str) -> str | None:
    for kind, pattern in _KIND_PATTERNS:
        if pattern.match(word):
            return kind
    return None


def _nominative(name: str) -> str:
    """«Школьной» → «Школьная»: adjectives back to the nominative, keeping their gender; «Ленина» stays."""
    from nlp.lemmas import _morph

    words = []
    for word in name.split(" "):
        parse = _morph().parse(word)[0]
        if parse.pos == "ADJ" and parse.feats.get("Case") != "Nom":
            inflected = parse.inflect({"Nom"})
            if inflected is not None:
                word = inflected.word.capitalize()
        words.append(word)
    return " ".join(words)


@dataclass(frozen=True)
class Place:
    settlement: Settlement
    street: str | None = None


class Gazetteer:
    """The municipality's settlements (with aliases) and streets, as lemma sequences."""

    def __init__(self, municipality: Municipality) -> None:
        self.municipality = municipality
        self.settlement_names: list[tuple[tuple[str, ...], Settlement]] = []
        self.street_names: list[tuple[tuple[str, ...], Place]] = []
        for settlement in municipality.settlements:
            for name in settlement.names:
                self.settlement_names.append((_name_lemmas(name), settlement))
            for street in settlement.streets:
                self.street_names.append((_name_lemmas(street), Place(settlement, street)))
        # longer names first: «Красная Пахра» before a bare «Пахра»
        self.settlement_names.sort(key=lambda item: -len(item[0]))
        self.street_names.sort(key=lambda item: -len(item[0]))

    def find_settlement(self, name: str) -> Settlement | None:
        lemmas = _name_lemmas(name)
        for names, settlement in self.settlement_names:
            if names == lemmas:
                return settlement
        return None


class GeoLinker:
    def __init__(self, municipality: Municipality | None = None) -> None:
        self.gazetteer = Gazetteer(municipality) if municipality else None

    def __call__(self, text: str) -> tuple[list[Address], str | None]:
        """Addresses in the text and the settlement the text is most likely about."""
        tokens = _tokens(text)
        settlements = self._settlements(tokens)
        addresses = self._streets(text, tokens, settlements)
        covered = [(a_start, a_stop) for a_start, a_stop, _ in addresses]
        for start, stop, address in self._extracted(text, settlements):
            if not any(start < c_stop and c_start < stop for c_start, c_stop in covered):
                addresses.append((start, stop, address))
        addresses.sort(key=lambda item: item[0])
        settlement = self._main_settlement(settlements, [address for _, _, address in addresses])
        return [address for _, _, address in addresses], settlement

    def _settlements(self, tokens: list[_Token]) -> list[Settlement]:
        if not self.gazetteer:
            return []
        found: list[tuple[int, Settlement]] = []
        taken: set[int] = set()
        positions = _positions(tokens)
        for names, settlement in self.gazetteer.settlement_names:
            for i in _find(names, tokens, positions):
                span = set(range(i, i + len(names)))
                if span & taken:
                    continue
                if len(names) == 1 and not tokens[i].text[:1].isupper() and len(tokens[i].text) < 5:
                    continue  # short lower-case words are rarely place names («луч», «мир»)
                if len(names) == 1 and _modifies_next(tokens, i):
                    continue  # «Кингисеппский район», «Кингисеппское шоссе»: an adjective, not the посёлок
                taken |= span
                found.append((i, settlement))
        found.sort(key=lambda item: item[0])
        return [settlement for _, settlement in found]

    def _streets(
        self, text: str, tokens: list[_Token], settlements: list[Settlement]
    ) -> list[tuple[int, int, Address]]:
        if not self.gazetteer:
            return []
        out: list[tuple[int, int, Address]] = []
        taken: set[int] = set()
        context = {settlement.name for settlement in settlements}
        place_names = {
            names for names, settlement in self.gazetteer.settlement_names if settlement in settlements
        }
        positions = _positions(tokens)
        for names, place in self.gazetteer.street_names:
            for i in _find(names, tokens, positions):
                j = i + len(names)
                while j < len(tokens) and _is_street_word(tokens[j]) and j - i < 6:
                    j += 1  # «Октябрьский пр-т», «Лесная улица»
                if set(range(i, j)) & taken:
                    continue
                before_word = i > 0 and _is_street_word(tokens[i - 1])
                house = HOUSE.match(text[tokens[j - 1].stop :])
                capital = tokens[i].text[:1].isupper() and i > 0 and tokens[i - 1].text[-1:] not in ".!?"
                if not (before_word or house or capital):
                    continue
                after_word = j > i + len(names)
                if not (before_word or after_word or house) and (
                    names in place_names
                    or (i > 0 and tokens[i - 1].lemma in SETTLEMENT_WORDS)
                    or (len(names) == 1 and _modifies_next(tokens, i))
                ):
                    continue  # «посёлок Кингисеппский», «Кингисеппский район»: not «Кингисеппское шоссе»
                namesakes = {p.settlement.name for n, p in self.gazetteer.street_names if n == names}
                if context and place.settlement.name not in context and namesakes & context:
                    continue  # the same street name in a settlement the text names is a better link
                linked: Settlement | None = place.settlement
                if not context and len(namesakes) > 1:
                    linked = None  # «Лесная» of which settlement? Do not guess.
                taken |= set(range(i, j))
                start = tokens[i - 1].start if before_word else tokens[i].start
                stop = tokens[j - 1].stop + (house.end() if house else 0)
                point = linked.point if linked else None
                out.append(
                    (
                        start,
                        stop,
                        Address(
                            text=text[start:stop].strip(),
                            settlement=linked.name if linked else None,
                            street=place.street,
                            house=house.group(1).replace(" ", "") if house else None,
                            lat=point.lat if point else None,
                            lon=point.lon if point else None,
                        ),
                    )
                )
        return out

    def _extracted(self, text: str, settlements: list[Settlement]) -> list[tuple[int, int, Address]]:
        """Addresses outside the gazetteer: a street word, a capitalised name, the house that follows."""
        out: list[tuple[int, int, Address]] = []
        settlement = settlements[0] if settlements else None
        point = settlement.point if settlement else None
        for match in ADDRESS.finditer(text):
            kind = _street_kind(match.group("kind"))
            if kind is None:
                continue
            start, stop = match.start(), match.end()
            house = None
            following = HOUSE.match(text[stop:])
            if following:
                house = following.group(1).replace(" ", "")
                stop += following.end()
            out.append(
                (
                    start,
                    stop,
                    Address(
                        text=text[start:stop].strip(),
                        settlement=settlement.name if settlement else None,
                        street=f"{kind} {_nominative(match.group('name'))}",
                        house=house,
                        lat=point.lat if point else None,
                        lon=point.lon if point else None,
                    ),
                )
            )
        return out

    def _main_settlement(self, settlements: Sequence[Settlement], addresses: Sequence[Address]) -> str | None:
        votes: Counter[str] = Counter(settlement.name for settlement in settlements)
        for address in addresses:
            if address.settlement:
                votes[address.settlement] += 1
        if not votes:
            return None
        return votes.most_common(1)[0][0]
