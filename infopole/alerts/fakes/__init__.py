"""Local servers that speak the real protocols (SMTP, the Telegram Bot API, a webhook receiver),
so tests and the demo run the real client code against them."""
