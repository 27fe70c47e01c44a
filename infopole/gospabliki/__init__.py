"""Госпаблики: monitoring the official pages of the administration and its institutions.

The duties come from the decrees: «мониторинг своевременности публикации контента и актуальности
размещаемой информации», «контроль обязательного размещения федерального и регионального
компонента контента», «предоставляет отчётность о работе госпабликов в ЦУР» (Novodugino §2.7 «в», «г»),
and the pages exist for «обеспечения оперативной обратной связи с гражданами посредством ответов на
вопросы и комментарии» (Novodugino, the definition of «госпаблики»).

Pure functions (``comments``, ``metrics``, ``checks``, ``alerts``) turn posts, analyses and
subscriber counts into numbers, traffic lights and alerts; ``store`` reads them from the
database, ``compute`` applies the appeals queue's SLA on the production calendar to them, ``run``
opens unanswered complaints in the appeals queue and records the alerts, ``subscribers`` snapshots
the pages' subscriber counts (VK, OK, Telegram) after every crawl, ``report`` renders the monthly
XLSX and DOCX for the ЦУР and ``commands`` is the ``infopole gospabliki`` CLI.

Platforms: VK walls and OK groups bring posts and comments; Telegram channels bring posts through
either collector, but comments (the channel's discussion group) only through Telethon: the t.me/s
preview shows none, so a channel read only through it has nothing to check for answers.
"""

from infopole.gospabliki.checks import Finding, Light, PageStatus, page_status
from infopole.gospabliki.comments import CommentCheck, CommentKind, check_comments, comment_kind
from infopole.gospabliki.metrics import Gap, PageInput, PageStats, Period, page_stats

__all__ = [
    "CommentCheck",
    "CommentKind",
    "Finding",
    "Gap",
    "Light",
    "PageInput",
    "PageStats",
    "PageStatus",
    "Period",
    "check_comments",
    "comment_kind",
    "page_stats",
    "page_status",
]
