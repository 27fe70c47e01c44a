"""Shared fixtures. Service fixtures (PostgreSQL, Elasticsearch) live in ``tests/fixtures``."""

from __future__ import annotations
