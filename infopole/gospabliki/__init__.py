"""Госпаблики: monitoring the official pages of the administration and its institutions.

The duties come from the decrees: «мониторинг своевременности публикации контента и актуальности
размещаемой информации», «контроль обязательного размещения федерального и регионального
компонента контента», «предоставляет отчётность о работе госпабликов в ЦУР» (Novodugino §2.7 «в», «г»),
and the pages exist for «обеспечения оперативной обратной связи с гражданами посредством ответов на
вопросы и комментарии» (Novodugino, the definition of «госпаблики»).

Pure functions (``comments``, ``metrics``, ``checks``, ``alerts``) turn posts, analyses and
subscriber counts into numbers, traffic lights and alerts; ``store`` reads them from the
database, ``cases`` opens unanswered complaints in the appeals queue, ``report`` renders the
monthly XLSX and DOCX for the ЦУР and ``commands`` is the ``infopole gospabliki`` CLI.
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
