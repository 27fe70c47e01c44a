"""How tied a community or channel is to the territory, as factors an administrator can read.

* ``name``: the title names a settlement of the municipality (or one of its aliases);
* ``description``: so does the description;
* ``city``: the platform's city field (VK, OK) is one of the settlements; no field: no data;
* ``posts``: the share of sampled posts that mention a local place (``nlp.geo``: settlements,
  their aliases in any case form, streets of the gazetteer).

The score is the weighted mean of the factors that have data. Settlement names are matched
as lemmas, so «Подслушано в Кингисеппе» counts, and «Кингисепп» in a group of Kuressaare
(the Estonian town's Soviet name) counts for the name only: its city and posts are elsewhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from infopole.config.municipality import Municipality
from infopole.domain.candidate import Factor
from nlp.geo import GeoLinker

WEIGHTS = {"name": 0.35, "description": 0.2, "city": 0.2, "posts": 0.25}


class TerritoryScorer:
    def __init__(self, municipality: Municipality, linker: GeoLinker | None = None) -> None:
        self.municipality = municipality
        self.linker = linker or GeoLinker(municipality)

    def place(self, text: str) -> str | None:
        """The settlement a text is about, if it names a local place."""
        if not text.strip():
            return None
        addresses, settlement = self.linker(text)
        if settlement:
            return settlement
        return next((a.settlement for a in addresses if a.settlement), None)

    def factors(
        self, *, title: str, description: str, city: str | None, texts: Sequence[str]
    ) -> tuple[tuple[Factor, ...], str | None]:
        """The four factors, and the settlement the candidate is most tied to."""
        votes: Counter[str] = Counter()
        in_name = self.place(title)
        in_description = self.place(description)
        factors = [
            Factor("name", WEIGHTS["name"], 1.0 if in_name else 0.0, f"«{in_name}»" if in_name else ""),
            Factor(
                "description",
                WEIGHTS["description"],
                1.0 if in_description else 0.0,
                f"«{in_description}»" if in_description else ("нет описания" if not description else ""),
            ),
        ]
        for found, weight in ((in_name, 3), (in_description, 2)):
            if found:
                votes[found] += weight
        if city:
            local = self.municipality.settlement(city)
            factors.append(Factor("city", WEIGHTS["city"], 1.0 if local else 0.0, f"город: {city}"))
            if local:
                votes[local.name] += 2
        else:
            factors.append(Factor("city", WEIGHTS["city"], None, "не указан"))
        places = [self.place(text) for text in texts]
        local_posts = [place for place in places if place]
        if texts:
            share = len(local_posts) / len(texts)
            factors.append(
                Factor(
                    "posts", WEIGHTS["posts"], round(share, 3), f"{len(local_posts)} из {len(texts)} постов"
                )
            )
            votes.update(local_posts)
        else:
            factors.append(Factor("posts", WEIGHTS["posts"], None, "нет доступных постов"))
        settlement = votes.most_common(1)[0][0] if votes else None
        return tuple(factors), settlement
