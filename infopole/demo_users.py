"""One dashboard user per role for the demo, with passwords printed on the console.

The passwords are fixed and public (they are in this file): the demo runs on 127.0.0.1 with
invented data. A real installation creates its users with ``infopole users add``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from infopole.config.municipality import Role
from infopole.domain.user import User
from infopole.storage.db import Database
from infopole.storage.users import UserStore

BLOCK_OWNER_DEPARTMENT = "zhkh"

DEMO_USERS: tuple[tuple[User, str], ...] = (
    (User("kurator", "Куратор (заместитель главы)", Role.CURATOR), "kurator-demo"),
    (User("rukovoditel", "Руководитель МЦУ", Role.HEAD), "rukovoditel-demo"),
    (User("admin", "Администратор", Role.ADMINISTRATOR), "admin-demo"),
    (User("zhkh", "Ответственный за ЖКХ", Role.BLOCK_OWNER, BLOCK_OWNER_DEPARTMENT), "zhkh-demo"),
    (User("analitik", "Аналитик", Role.ANALYST), "analitik-demo"),
    (User("gospabliki", "Ответственный за госпаблики", Role.GOSPABLIKI), "gospabliki-demo"),
    (User("pos", "Ответственный за ПОС", Role.POS), "pos-demo1"),
)


def create_demo_users(db: Database, now: datetime, echo: Callable[[str], None] = print) -> None:
    store = UserStore(db)
    echo("6. Пользователи рабочего экрана (логин / пароль):")
    for user, password in DEMO_USERS:
        store.add(user, password, now)
        echo(f"   {user.login:<12} {password:<18} {user.name}")
