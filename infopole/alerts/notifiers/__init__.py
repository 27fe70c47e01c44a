"""Channels: each a small ``Notifier`` that puts one rendered ``Message`` on the wire."""
