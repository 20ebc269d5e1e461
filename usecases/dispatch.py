"""Dispatch now: deliver the outbox's due notices through the operator's channels, after
the operator alerts the ledger owes (an unknown calendar year, links that open only on
this machine). The dispatcher flow, ``duban dispatch`` and the benches run this."""

from __future__ import annotations

from typing import Any

import pendulum
from sqlalchemy import select
from sqlalchemy.orm import Session

from documents.render import loopback_warning
from ledger import config, links
from ledger.db import open_ledger, transaction
from ledger.heartbeats import DISPATCH, beating
from ledger.models import Notification
from ledger.outbox import insert_notifications, outbox_row
from ledger.queries import calendar_gaps
from notifications.dispatch import (
    Dispatched,
    Settings,
    calendar_alert_rows,
    dispatch,
    operator_targets,
)
from notifications.render import Templates
from notifications.transports import Transports

TZ = "Asia/Shanghai"


def messages_waiting(session: Session) -> bool:
    """Whether any notification to a unit (not an operator alert) waits to go out."""
    return (
        session.scalar(
            select(Notification.id)
            .where(Notification.status == "pending", Notification.kind != "alert")
            .limit(1)
        )
        is not None
    )


def loopback_alert_rows(
    session: Session, operators: list[str], now: pendulum.DateTime
) -> list[dict[str, Any]]:
    """An operator alert, once a day, while notices wait to go out with links that open
    only on this machine (DUBAN_PUBLIC_URL unset or a loopback address)."""
    message = loopback_warning()
    if message is None or not messages_waiting(session):
        return []
    day = now.in_timezone(TZ).to_date_string()
    return [
        outbox_row(
            f"loopback/{day}/{channel}/{to}",
            channel,
            to,
            kind="alert",
            at=now.in_timezone("UTC"),
            context={"event": "loopback_link", "base": links.public_base(), "message": message},
        )
        for channel, to in operator_targets(operators)
    ]


def dispatch_now(now: pendulum.DateTime, settings: Settings | None = None) -> Dispatched:
    """One dispatcher run with the operator's templates and channels.yaml; a broken
    template override or channel file fails here, before anything is claimed."""
    templates = Templates(config.home() / "templates")
    transports = Transports.from_home(config.home())
    factory = open_ledger(config.database_url())
    with transaction(factory) as s:  # once per unknown year: the key says so
        gaps = calendar_gaps(s, config.calendar(), now.in_timezone(TZ).date())
        insert_notifications(
            s, calendar_alert_rows(gaps, transports.config.operators, now.in_timezone("UTC"))
        )
        insert_notifications(s, loopback_alert_rows(s, transports.config.operators, now))
    with beating(factory, DISPATCH):
        return dispatch(
            factory,
            now.in_timezone("UTC"),
            templates,
            transports,
            settings,
            limit_for=transports.per_minute,
            operators=transports.config.operators,
        )
