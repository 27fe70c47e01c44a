"""VK (ВКонтакте): a polite client over ``vk_api``, wire → ``Post`` conversion, and the collectors."""

from crawlers.vk.client import RateLimiter, VkClient
from crawlers.vk.search import SearchCrawlConfig, VkSearchCollector
from crawlers.vk.wall import VkWallCollector, WallCrawlConfig

__all__ = [
    "RateLimiter",
    "SearchCrawlConfig",
    "VkClient",
    "VkSearchCollector",
    "VkWallCollector",
    "WallCrawlConfig",
]
