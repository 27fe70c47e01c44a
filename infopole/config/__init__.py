"""Configuration in one typed place: ``Settings`` (this installation) and ``Municipality`` (its file)."""

from infopole.config.municipality import (
    ConfigError,
    Department,
    Municipality,
    Settlement,
    load_municipality,
)
from infopole.config.settings import IndexBackend, Settings

__all__ = [
    "ConfigError",
    "Department",
    "IndexBackend",
    "Municipality",
    "Settings",
    "Settlement",
    "load_municipality",
]
