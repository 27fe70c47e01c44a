"""Alerts for the куратор: rules decide, the outbox remembers, the dispatcher delivers.

Rules (``infopole.alerts.rules``) are pure functions of plain data and an injected clock;
each alert carries a stable ``key`` naming its cause, so re-running detection is harmless.
``store.AlertStore`` writes alerts and their per-recipient deliveries in one transaction
(the outbox), and ``dispatch.Dispatcher`` sends what is due through small ``Notifier``s.
"""
