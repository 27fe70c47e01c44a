"""People who may sign in, with argon2id password hashes (argon2-cffi's defaults, RFC 9106).

Only the hash is stored. ``authenticate`` spends the same argon2 work on an unknown login as on a
known one, so response times do not tell an attacker which logins exist.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from infopole.config.municipality import Role
from infopole.domain.user import User
from infopole.storage.db import Database
from infopole.storage.tables import UserRow

MIN_PASSWORD_LENGTH = 8


class UserError(ValueError):
    """A user cannot be added or changed as asked (duplicate login, weak password, unknown user)."""


@dataclass(frozen=True, slots=True)
class Account:
    user: User
    active: bool
    created_at: datetime


class UserStore:
    def __init__(self, db: Database, hasher: PasswordHasher | None = None) -> None:
        self.db = db
        self.hasher = hasher or PasswordHasher()
        self._dummy_hash = self.hasher.hash("infopole-no-such-user")

    def add(self, user: User, password: str, now: datetime) -> User:
        _check_password(password, user.login)
        if user.role is Role.BLOCK_OWNER and not user.department_id:
            raise UserError("ответственному за отраслевой блок нужен отдел (--department)")
        with self.db.session() as session:
            if session.scalar(select(UserRow.id).where(UserRow.login == user.login)) is not None:
                raise UserError(f"пользователь {user.login} уже есть")
            session.add(
                UserRow(
                    login=user.login,
                    name=user.name,
                    role=user.role.value,
                    department_id=user.department_id,
                    password_hash=self.hasher.hash(password),
                    active=True,
                    created_at=now,
                )
            )
        return user

    def get(self, login: str) -> User | None:
        """The active user with this login (a deactivated one cannot act, even with a live session)."""
        with self.db.session() as session:
            row = session.scalar(select(UserRow).where(UserRow.login == login, UserRow.active.is_(True)))
            return _user(row) if row is not None else None

    def list(self) -> builtins.list[Account]:
        with self.db.session() as session:
            rows = session.scalars(select(UserRow).order_by(UserRow.role, UserRow.login))
            return [Account(_user(row), row.active, row.created_at) for row in rows]

    def set_password(self, login: str, password: str) -> None:
        _check_password(password, login)
        with self.db.session() as session:
            row = session.scalar(select(UserRow).where(UserRow.login == login))
            if row is None:
                raise UserError(f"нет пользователя {login}")
            row.password_hash = self.hasher.hash(password)

    def set_active(self, login: str, active: bool) -> None:
        with self.db.session() as session:
            row = session.scalar(select(UserRow).where(UserRow.login == login))
            if row is None:
                raise UserError(f"нет пользователя {login}")
            row.active = active

    def authenticate(self, login: str, password: str) -> User | None:
        with self.db.session() as session:
            row = session.scalar(select(UserRow).where(UserRow.login == login, UserRow.active.is_(True)))
            try:
                self.hasher.verify(row.password_hash if row is not None else self._dummy_hash, password)
            except (VerificationError, InvalidHashError):
                return None
            if row is None:
                return None
            if self.hasher.check_needs_rehash(row.password_hash):  # parameters were raised since
                row.password_hash = self.hasher.hash(password)
            return _user(row)


def _check_password(password: str, login: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"пароль короче {MIN_PASSWORD_LENGTH} символов")
    if password.casefold() == login.casefold():
        raise UserError("пароль не должен совпадать с логином")


def _user(row: UserRow) -> User:
    return User(login=row.login, name=row.name, role=Role(row.role), department_id=row.department_id)
