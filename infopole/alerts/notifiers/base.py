"""The ``Notifier`` interface and the message every channel formats its own way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Message:
    """One outgoing notification, already rendered for every channel.

    ``idempotency_key`` travels on the wire (the e-mail's Message-ID, the webhook's
    ``Idempotency-Key``) so a receiver can drop the duplicate that at-least-once delivery
    may produce after a crash.
    """

    idempotency_key: str
    address: str
    subject: str
    text: str
    html: str
    telegram_html: str
    payload: dict[str, Any] = field(default_factory=dict)  # the webhook's JSON body
    ack_alert_ids: tuple[int, ...] = ()  # alerts a «Принято» button acknowledges


class DeliveryError(Exception):
    """A send that failed. ``retryable`` is False when trying again cannot help (a bad address,
    a blocked bot); ``retry_after`` is the receiver's own wish, in seconds, if it said so."""

    def __init__(self, message: str, *, retryable: bool = True, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class Notifier(Protocol):
    def send(self, message: Message) -> str:
        """Deliver or raise ``DeliveryError``; returns the receiver's id of the message, if any."""
        ...
