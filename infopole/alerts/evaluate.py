"""Precision of the alert rules on a labelled stream: the share of alerts a human would want.

``python -m infopole.alerts.evaluate [stream.jsonl] [--municipality file.yaml] [--analyse]``

The stream is replayed as the pipeline sees it: every ``--tick`` minutes the rules run over
the posts published so far, and a cause already raised is not raised again (as the outbox
dedupes by key). Each line holds a post, its analysis and ``want``: would the куратор want an
alert about this post? An alert counts as wanted if the post it names is. Grouped alerts
(one per story) are counted as the куратор receives them: first alert plus updates.

The stored analyses were labelled by hand (risk, block, story), so by default the figure
measures the rules given a right analysis. ``--analyse`` replaces them with what the
installed models say about the same texts, which measures models and rules together.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from infopole.alerts.detect import Snapshot, detect
from infopole.alerts.rules import Analysed
from infopole.config.municipality import Municipality, load_municipality
from infopole.domain.alert import Alert
from infopole.domain.analysis import Analysis
from infopole.domain.post import Post

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STREAM = ROOT / "tests" / "data" / "alerts_stream.jsonl"
DEFAULT_MUNICIPALITY = ROOT / "infopole" / "municipalities" / "kingisepp.yaml"


@dataclass
class Evaluation:
    alerts: list[Alert] = field(default_factory=list)
    wanted: list[bool] = field(default_factory=list)
    groups: dict[str, bool] = field(default_factory=dict)  # group → was its first alert wanted
    missed: list[str] = field(default_factory=list)  # wanted posts no alert covered
    wanted_posts: int = 0  # posts of the stream a human wants an alert about

    @property
    def recall(self) -> float:
        """Share of wanted posts some alert (or its story's alert) told the куратор about."""
        return 1 - len(self.missed) / self.wanted_posts if self.wanted_posts else 1.0

    @property
    def precision(self) -> float:
        return sum(self.wanted) / len(self.wanted) if self.wanted else 1.0

    @property
    def group_precision(self) -> float:
        return sum(self.groups.values()) / len(self.groups) if self.groups else 1.0


def load_stream(path: Path) -> tuple[list[Analysed], dict[str, bool]]:
    pairs, labels = [], {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        post, analysis = Post.from_json(row["post"]), Analysis.from_json(row["analysis"])
        pairs.append((post, analysis))
        labels[post.key] = bool(row["want"])
    return pairs, labels


def reanalysed(pairs: Sequence[Analysed], municipality: Municipality) -> list[Analysed]:
    """The same posts as the real analyzer sees them (models of ``nlp/models``), in publication order
    so that story clusters form as they would in the pipeline."""
    from nlp.analyzer import Analyzer  # heavy: only when asked for

    posts = sorted((post for post, _ in pairs), key=lambda post: (post.published_at, post.key))
    return list(zip(posts, Analyzer.load(municipality).map(posts), strict=True))


def replay(
    pairs: Sequence[Analysed], labels: dict[str, bool], municipality: Municipality, tick: timedelta
) -> Evaluation:
    ordered = sorted(pairs, key=lambda pair: pair[0].published_at)
    result, seen = Evaluation(), set()
    now = ordered[0][0].published_at
    end = ordered[-1][0].published_at + tick
    while now <= end:
        visible = [pair for pair in ordered if pair[0].published_at <= now]
        for alert in detect(Snapshot(posts=visible), municipality, now):
            if alert.key in seen:
                continue
            seen.add(alert.key)
            wanted = labels.get(str(alert.details.get("post_key")), False)
            result.alerts.append(alert)
            result.wanted.append(wanted)
            result.groups.setdefault(str(alert.details.get("group") or alert.key), wanted)
        now += tick
    covered = {str(a.details.get("post_key")) for a in result.alerts}
    covered |= {p.key for p, a in ordered if a.story_id and f"story:{a.story_id}" in result.groups}
    result.missed = [key for key, want in labels.items() if want and key not in covered]
    result.wanted_posts = sum(labels.values())
    return result


def report(result: Evaluation) -> str:
    lines = [
        f"оповещений (причин): {len(result.alerts)}, нужных: {sum(result.wanted)} — "
        f"точность {result.precision:.0%}",
        f"сообщений куратору (групп): {len(result.groups)}, нужных: {sum(result.groups.values())} — "
        f"точность {result.group_precision:.0%}",
    ]
    by_kind: Counter[tuple[str, bool]] = Counter(
        (a.kind.value, w) for a, w in zip(result.alerts, result.wanted, strict=True)
    )
    for kind in sorted({kind for kind, _ in by_kind}):
        good, bad = by_kind[(kind, True)], by_kind[(kind, False)]
        lines.append(f"  {kind:<10} {good + bad:>3} оповещений, нужных {good}")
    for alert, wanted in zip(result.alerts, result.wanted, strict=True):
        if not wanted:
            lines.append(f"  ложное: {alert.key} — {alert.title}")
    lines.append(
        f"нужные посты без оповещения: {len(result.missed)} из {result.wanted_posts} — "
        f"полнота {result.recall:.0%}"
    )
    lines += [f"  пропущен: {key}" for key in result.missed]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("stream", nargs="?", type=Path, default=DEFAULT_STREAM)
    parser.add_argument("--municipality", type=Path, default=DEFAULT_MUNICIPALITY)
    parser.add_argument("--tick", type=int, default=10, help="минут между запусками правил")
    parser.add_argument("--analyse", action="store_true", help="анализ моделями вместо размеченного в потоке")
    args = parser.parse_args(argv)
    pairs, labels = load_stream(args.stream)
    municipality = load_municipality(args.municipality)
    if args.analyse:
        pairs = reanalysed(pairs, municipality)
    result = replay(pairs, labels, municipality, timedelta(minutes=args.tick))
    wanted = sum(labels.values())
    source = "анализ моделями" if args.analyse else "разметка потока"
    print(
        f"поток: {args.stream} ({len(pairs)} постов, нужных оповещений о {wanted}); "
        f"шаг {args.tick} мин; анализ: {source}"
    )
    print(report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
