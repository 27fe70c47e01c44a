"""The dispatcher: sends due deliveries from the outbox, with retries and backoff.

Guarantee (stated honestly): **at-least-once, with an idempotency key on the wire; a duplicate
only in one narrow, documented window.**

* An alert recorded by ``AlertStore.record`` is never lost: its deliveries are rows, and a
  dispatcher that dies at any point leaves them ``pending`` or ``sending``; the next run
  sends ``pending`` ones and re-claims ``sending`` ones older than ``lease``.
* Each claim is numbered (``attempts``). Right before a message goes on the wire the claim
  is confirmed and its lease renewed (``AlertStore.confirm_claim``): a dispatcher that was
  slow (or paused) past its lease finds the row re-claimed by another and does not send it.
* A crash *before* the network call (deliveries claimed, nothing sent) resends exactly once.
* A crash in the window *after* the receiver accepted a message and *before* ``mark_sent``
  committed (one local database transaction, right after the call returns; the receiver's
  id — Message-ID, Bot API ``message_id`` — is recorded in it) cannot be told apart from
  the previous case by any sender: the message is sent again, with the same idempotency
  key. E-mail: the same ``Message-ID`` (derived from the key) and
  ``X-Infopole-Idempotency-Key``, so clients show one message. Webhook: the same
  ``Idempotency-Key`` header and ``"repeat": true``, so the receiver drops it. Telegram: the
  Bot API has no idempotency, so the chat may show the message twice; the second starts
  with «Повторная отправка после сбоя … (оповещение №N)», so it is recognisably the same.
  Exactly-once over SMTP or HTTP is not achievable without the receiver's help.
* Failures are retried with exponential backoff up to ``max_attempts``; permanent errors
  (a refused address, a blocked bot) and exhausted attempts end ``failed`` with the error
  kept, for the dashboard to show. An interrupted attempt is visible too (``last_error``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from infopole.alerts.backoff import retry_delay
from infopole.alerts.notifiers.base import DeliveryError, Message, Notifier
from infopole.alerts.render import render, render_digest
from infopole.alerts.store import AlertStore
from infopole.alerts.views import DeliveryJob

log = logging.getLogger(__name__)


@dataclass
class DispatchReport:
    messages: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0  # claimed, but re-claimed by another dispatcher before we sent them


def batches(jobs: Sequence[DeliveryJob]) -> list[list[DeliveryJob]]:
    """Each immediate delivery alone; a digest recipient's due deliveries as one message per channel."""
    singles = [[job] for job in jobs if not job.digest]
    digests: dict[tuple[str, str], list[DeliveryJob]] = {}
    for job in jobs:
        if job.digest:
            digests.setdefault((job.channel, job.address), []).append(job)
    return singles + list(digests.values())


class Dispatcher:
    def __init__(
        self,
        store: AlertStore,
        notifiers: Mapping[str, Notifier],
        *,
        dashboard_url: str,
        tz: ZoneInfo,
        clock: Callable[[], datetime],
        max_attempts: int = 8,
        lease: timedelta = timedelta(minutes=5),
    ) -> None:
        self.store = store
        self.notifiers = notifiers
        self.dashboard_url = dashboard_url
        self.tz = tz
        self.clock = clock
        self.max_attempts = max_attempts
        self.lease = lease

    def run_once(self, limit: int = 200) -> DispatchReport:
        report = DispatchReport()
        return self.send(self.store.claim_due(self.clock(), self.lease, limit), report)

    def send(self, jobs: Sequence[DeliveryJob], report: DispatchReport | None = None) -> DispatchReport:
        """Send claimed jobs, each batch only if its claim is still ours at that moment."""
        report = report or DispatchReport()
        for batch in batches(jobs):
            mine = self.store.confirm_claim(batch, self.clock())
            report.skipped += len(batch) - len(mine)
            if mine:
                self._send(mine, report)
        return report

    def _message(self, batch: list[DeliveryJob]) -> Message:
        if batch[0].digest:
            return render_digest(batch, self.dashboard_url, self.tz)
        return render(batch[0], self.dashboard_url, self.tz)

    def _send(self, batch: list[DeliveryJob], report: DispatchReport) -> None:
        ids = [job.id for job in batch]
        notifier = self.notifiers.get(batch[0].channel)
        if notifier is None:
            self.store.mark_failed(ids, f"канал {batch[0].channel} не настроен в этой установке")
            report.failed += len(ids)
            return
        message = self._message(batch)
        report.messages += 1
        try:
            remote_id = notifier.send(message)
        except DeliveryError as error:
            self._failed(batch, str(error), error.retryable, error.retry_after, report)
            return
        except Exception as error:  # a bug in one channel must not stop the others; kept visible on the row
            log.exception("delivery %s failed unexpectedly", ids)
            self._failed(batch, f"{type(error).__name__}: {error}", True, None, report)
            return
        self.store.mark_sent(ids, self.clock(), remote_id)
        report.sent += len(ids)

    def _failed(
        self,
        batch: list[DeliveryJob],
        error: str,
        retryable: bool,
        retry_after: float | None,
        report: DispatchReport,
    ) -> None:
        ids = [job.id for job in batch]
        attempts = max(job.attempts for job in batch)
        if not retryable or attempts >= self.max_attempts:
            log.warning("delivery %s failed for good after %d attempts: %s", ids, attempts, error)
            self.store.mark_failed(ids, error)
            report.failed += len(ids)
            return
        delay = retry_delay(attempts, batch[0].idempotency_key, retry_after=retry_after)
        self.store.mark_retry(ids, error, self.clock() + delay)
        report.retried += len(ids)
