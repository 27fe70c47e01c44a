"""E-mail over SMTP: a multipart message with text and HTML, Message-ID from the idempotency key."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from infopole.alerts.notifiers.base import DeliveryError, Message

IDEMPOTENCY_HEADER = "X-Infopole-Idempotency-Key"


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    sender: str = "infopole@localhost"
    username: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = 20.0
    domain: str = "infopole"  # the right side of Message-ID


def build_email(message: Message, config: SmtpConfig) -> EmailMessage:
    email = EmailMessage()
    email["From"] = config.sender
    email["To"] = message.address
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = f"<{message.idempotency_key}@{config.domain}>"
    email[IDEMPOTENCY_HEADER] = message.idempotency_key
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    return email


class EmailNotifier:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def send(self, message: Message) -> str:
        email = build_email(message, self.config)
        try:
            with smtplib.SMTP(self.config.host, self.config.port, timeout=self.config.timeout) as smtp:
                if self.config.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.config.username:
                    smtp.login(self.config.username, self.config.password)
                refused = smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            raise DeliveryError(f"адрес отклонён: {error.recipients}", retryable=False) from error
        except smtplib.SMTPResponseException as error:
            permanent = 500 <= error.smtp_code < 600
            raise DeliveryError(
                f"SMTP {error.smtp_code}: {error.smtp_error!r}", retryable=not permanent
            ) from error
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(f"SMTP недоступен: {error}") from error
        if refused:
            raise DeliveryError(f"адрес отклонён: {refused}", retryable=False)
        return str(email["Message-ID"])
