"""OK (Одноклассники): a signing REST client, wire → ``Post`` conversion, and the group collector."""

from crawlers.ok.client import OkClient, signature
from crawlers.ok.collector import OkCrawlConfig, OkGroupCollector

__all__ = ["OkClient", "OkCrawlConfig", "OkGroupCollector", "signature"]
