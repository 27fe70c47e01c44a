"""Telegram: public channels through the t.me/s web preview (no credentials) or through Telethon.

Import the collector you need from its module (``preview_collector`` or ``api_collector``),
so a worker without Telegram credentials never loads Telethon.
"""
