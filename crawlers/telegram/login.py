"""``infopole sources telegram-login`` (or ``python -m crawlers.telegram.login``): the session, once.

Creates the Telegram ``StringSession`` interactively.

Workers never log in (no phone, no code, no 2FA prompt in a worker); a person runs this
once on a trusted machine with ``INFOPOLE_TELEGRAM_API_ID`` and ``INFOPOLE_TELEGRAM_API_HASH``
set (from https://my.telegram.org → API development tools), answers Telegram's prompts,
and stores the printed string as ``INFOPOLE_TELEGRAM_SESSION``. The string is a full
login: keep it like a password, and revoke it in Telegram (Settings → Devices) if leaked.
"""

from __future__ import annotations

import sys

from telethon.sessions import StringSession
from telethon.sync import TelegramClient

from infopole.config.settings import Settings


def main() -> int:
    settings = Settings()
    if settings.telegram_api_id is None or settings.telegram_api_hash is None:
        print(
            "Задайте INFOPOLE_TELEGRAM_API_ID и INFOPOLE_TELEGRAM_API_HASH (https://my.telegram.org) / "
            "set INFOPOLE_TELEGRAM_API_ID and INFOPOLE_TELEGRAM_API_HASH first",
            file=sys.stderr,
        )
        return 2
    with TelegramClient(
        StringSession(), settings.telegram_api_id, settings.telegram_api_hash.get_secret_value()
    ) as client:  # the context manager runs the interactive start(): phone, code, 2FA password
        session = StringSession.save(client.session)
        me = client.get_me()
    print(f"Вход выполнен / logged in as id {getattr(me, 'id', '?')}.", file=sys.stderr)
    print("INFOPOLE_TELEGRAM_SESSION=" + session)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
