"""Telegram candidates through the public web preview ``t.me/s/<name>``.

Telegram has no public search of channels (the in-app global search needs a logged-in
account and is not part of the preview), so candidates cannot be *searched* here. They come
from two honest places, and each is then checked by fetching its preview page:

* **mentions** in posts already collected: ``t.me/<name>`` links and ``@name`` mentions, a
  local channel being most often found because local publics link to it;
* **name patterns**: settlement names transliterated (``Усть-Луга`` → ``ust_luga``,
  ``ustluga``) combined with the usual local-channel forms (``<name>_online``,
  ``podslushano_<name>``, …). A guess costs one polite request; a name that is not a public
  channel redirects to a profile page and is dropped.

The page gives the title, the description, the subscriber count and the ~20 newest posts,
which feed the ``posts`` factor. There is no city field, so that factor has no data.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from crawlers.base import BadRequest, SourceUnavailable
from crawlers.discovery.score import TerritoryScorer
from crawlers.telegram.fetch import PreviewFetcher
from crawlers.telegram.preview import message_text, parse_count, parse_page
from infopole.domain.candidate import Candidate
from infopole.domain.source import SourceKind

log = logging.getLogger(__name__)

_LATIN = "a b v g d e e zh z i y k l m n o p r s t u f h ts ch sh sch _ y _ e yu ya"
_TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", _LATIN.split(" "), strict=True))
MENTION = re.compile(r"(?:t\.me/(?:s/)?|(?<![\w.@/])@)([A-Za-z][A-Za-z0-9_]{3,31})\b")
NOT_CHANNELS = frozenset({"joinchat", "share", "addstickers", "proxy", "iv", "s", "c"})
DEFAULT_PATTERNS = ("{}", "{}_online", "{}online", "podslushano_{}", "{}_news")


def transliterate(name: str) -> list[str]:
    """Usernames a channel named after ``name`` would likely take: «Усть-Луга» → ust_luga, ustluga."""
    letters = "".join(_TRANSLIT.get(ch, ch) for ch in name.casefold())
    letters = letters.replace("_", "")  # ъ and ь
    words = [word for word in re.split(r"[^a-z0-9]+", letters) if word]
    variants = {"_".join(words), "".join(words)}
    return sorted(v for v in variants if re.fullmatch(r"[a-z][a-z0-9_]{3,31}", v))


def pattern_names(settlements: Iterable[str], patterns: Sequence[str] = DEFAULT_PATTERNS) -> dict[str, str]:
    """Candidate usernames → the settlement and pattern that produced them."""
    names: dict[str, str] = {}
    for settlement in settlements:
        for base in transliterate(settlement):
            for pattern in patterns:
                name = pattern.format(base)
                if len(name) <= 32:
                    names.setdefault(name, f"tg-pattern:{settlement}:{pattern}")
    return names


def mentioned_names(texts: Iterable[str]) -> dict[str, int]:
    """Usernames linked or mentioned in ``texts``, with how many times."""
    counts: dict[str, int] = {}
    for text in texts:
        for match in MENTION.finditer(text):
            name = match.group(1).lower()
            if name not in NOT_CHANNELS:
                counts[name] = counts.get(name, 0) + 1
    return counts


@dataclass(frozen=True)
class TelegramDiscoveryConfig:
    patterns: tuple[str, ...] = DEFAULT_PATTERNS
    max_probes: int = 80  # preview pages fetched per run (t.me is polite-paced: ~2 s each)
    sample_posts: int = 20


class TelegramDiscovery:
    def __init__(
        self,
        fetcher: PreviewFetcher,
        scorer: TerritoryScorer,
        config: TelegramDiscoveryConfig | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.scorer = scorer
        self.config = config or TelegramDiscoveryConfig()

    def discover(
        self, settlements: Sequence[str], texts: Iterable[str] = (), known: Collection[str] = ()
    ) -> list[Candidate]:
        """Mentioned channels first (most mentioned first), then name patterns, up to ``max_probes``."""
        leads: dict[str, set[str]] = {}
        for name, count in sorted(mentioned_names(texts).items(), key=lambda item: (-item[1], item[0])):
            leads.setdefault(name, set()).add(f"tg-mention:{count}")
        for name, reason in pattern_names(settlements, self.config.patterns).items():
            leads.setdefault(name, set()).add(reason)
        probes = [name for name in leads if name not in known][: self.config.max_probes]
        candidates = []
        for name in probes:
            candidate = self.probe(name, leads[name])
            if candidate is not None:
                candidates.append(candidate)
        return candidates

    def probe(self, name: str, found_by: Collection[str] = ()) -> Candidate | None:
        """The channel behind ``t.me/s/<name>``, scored; ``None`` if it is not a public channel."""
        try:
            response = self.fetcher.page(name)
        except (SourceUnavailable, BadRequest) as exc:
            log.info("t.me/s/%s: %s", name, exc)
            return None
        page = parse_page(
            response, channel=name, source_id="discovery", salt="", fetched_at=datetime.now(UTC)
        )
        if not page.is_channel:
            return None
        title = " ".join(response.css(".tgme_channel_info_header_title ::text").getall()).strip()
        title = title or (response.css("meta[property='og:title']::attr(content)").get() or name)
        node = response.css(".tgme_channel_info_description")
        description = message_text(node[0]) if node else ""
        subscribers = None
        for counter in response.css(".tgme_channel_info_counter"):
            if (counter.css(".counter_type::text").get() or "").strip() in ("subscribers", "подписчиков"):
                subscribers = parse_count(counter.css(".counter_value::text").get())
        texts = [post.text for post in page.posts if post.text][-self.config.sample_posts :]
        factors, settlement = self.scorer.factors(
            title=title, description=description, city=None, texts=texts
        )
        return Candidate(
            kind=SourceKind.TG_CHANNEL,
            target=name,
            title=title,
            url=f"https://t.me/{name}",
            description=description,
            members=subscribers,
            settlement=settlement,
            found_by=tuple(sorted(found_by)),
            sample_size=len(texts),
            factors=factors,
        )


def known_channels(targets: Mapping[str, str] | Iterable[str]) -> set[str]:
    """Configured Telegram targets as lower-case usernames."""
    from crawlers.telegram.preview import channel_name

    names = set()
    for target in targets:
        try:
            names.add(channel_name(target))
        except ValueError:
            continue
    return names
