"""How far back the collectors keep watching comments under older posts, per source.

A wall, group or channel is re-read in full only within its short re-scan window (a few days),
because re-reading every comment of every older post costs requests. Official pages
(госпаблики) are different: the МЦУ must see a resident's complaint, and the page's answer to
it, under a post of last month too. So for a source with a comment window longer than the
re-scan window a collector keeps scanning the feed back to that horizon, remembers each post's
comment counter, and re-reads the comments of an older post only when its counter changed since
the last pass (VK ``comments.count``, OK topic comment count, Telegram ``replies.replies``). The
feed pass returns those counters anyway, so the extra cost is a feed page or two per pass plus
one comment read per post that actually got a comment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from infopole.domain.source import Source

OFFICIAL_COMMENTS_WINDOW = timedelta(
    days=30
)  # the default for госпаблики (``gospabliki.comments_window_days``)


@dataclass(frozen=True)
class CommentWindows:
    """``default`` for any source, ``official`` for ``Source.official`` ones, ``per_source`` wins over both.

    A window no longer than the collector's re-scan window changes nothing.
    """

    default: timedelta = timedelta(0)
    official: timedelta = OFFICIAL_COMMENTS_WINDOW
    per_source: Mapping[str, timedelta] = field(default_factory=dict)

    def for_source(self, source: Source) -> timedelta:
        if source.id in self.per_source:
            return self.per_source[source.id]
        return self.official if source.official else self.default
