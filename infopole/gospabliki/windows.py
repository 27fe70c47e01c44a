"""The comment windows of the official pages, for the collectors (``crawlers.comment_window``).

Complaints under an official post, and the page's answers to them, keep coming for weeks; a
collector that re-reads comments only within its few-day re-scan window would never see them.
Every page of the register (whether or not its source says ``official: true``) gets its own
``comments_window_days`` or the section's ``gospabliki.comments_window_days``.
"""

from __future__ import annotations

from datetime import timedelta

from crawlers.comment_window import CommentWindows
from infopole.config.municipality import Municipality


def comment_windows(municipality: Municipality) -> CommentWindows:
    default = timedelta(days=municipality.gospabliki.comments_window_days)
    per_source = {
        page.source: timedelta(days=page.comments_window_days or municipality.gospabliki.comments_window_days)
        for page in municipality.official_pages
    }
    return CommentWindows(official=default, per_source=per_source)
