"""Shared fixtures. Service fixtures (PostgreSQL, Elasticsearch) live in ``tests/fixtures``."""

from __future__ import annotations

pytest_plugins = ["fixtures.services"]
