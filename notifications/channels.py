"""Channels deliver one rendered message and say what happened.

The local ``outbox`` channel is the embedded default: it writes each message
as a file (``.eml`` for email, ``.json`` otherwise) under the data folder, so
everything can be seen without an account. The file is named by the
delivery's idempotency key and never written twice, which is the
de-duplication a real gateway offers on that key.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal, Protocol

from notifications.render import Message


@dataclass(frozen=True)
class Outgoing:
    key: str
    channel: str
    recipient: str
    message: Message
    digest: bool
    # A template SMS's variables (kind, unit, item, due, count, link …): cloud SMS sends
    # an approved template with these, never the free text.
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    status: Literal["sent", "failed", "unknown"]
    detail: str = ""
    local: bool = False  # written to the local outbox: kept here, not delivered to anyone
    # The platform refused for good (no such user, app not authorised, template missing):
    # sending again cannot help, so it is not retried; the operator hears of it once.
    permanent: bool = False


class Channel(Protocol):
    def send(self, out: Outgoing) -> Outcome: ...


def channel_kind(channel: str) -> str:
    """``wecom_bot:SECRET`` → ``wecom_bot``; ``sms`` → ``sms``."""
    return channel.split(":", 1)[0]


def message_id(key: str, domain: str) -> str:
    """The Message-ID of a delivery's mail: the same for every attempt with the same
    idempotency key, so a receiving server that de-duplicates on it keeps one copy."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
    return f"<duban.{digest}@{domain or 'duban.local'}>"


class LocalOutbox:
    """Writes messages to ``folder``; the default for every channel kind."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, out: Outgoing) -> Path:
        """``outbox/KIND/RECIPIENT_DAY_SERIAL.json``: the folder names the kind, so the
        name leaves out the channel (``wecom_bot:KEY/KEY/…`` once said the key twice)."""
        key = out.key.removeprefix(f"{out.channel}/")
        safe = re.sub(r"[^0-9A-Za-z_.@-]+", "_", key)
        suffix = ".eml" if channel_kind(out.channel) == "email" else ".json"
        return self.folder / channel_kind(out.channel) / f"{safe}{suffix}"

    def send(self, out: Outgoing) -> Outcome:
        path = self.path(out)
        if path.exists():
            return Outcome("sent", f"已在发件箱：{path.name}（不重复写入）", local=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        if channel_kind(out.channel) == "email":
            mail = EmailMessage()
            mail["From"] = "duban@localhost"
            mail["To"] = out.recipient
            mail["Subject"] = out.message.subject
            mail["Message-ID"] = message_id(out.key, "duban.local")
            mail["X-Duban-Key"] = out.key
            mail.set_content(out.message.text)
            mail.add_alternative(out.message.html, subtype="html")
            data = bytes(mail)
        else:
            body = out.message.sms if channel_kind(out.channel) == "sms" else out.message.markdown
            data = json.dumps(
                {
                    "key": out.key,
                    "channel": out.channel,
                    "to": out.recipient,
                    "subject": out.message.subject,
                    "body": body,
                    "digest": out.digest,
                },
                ensure_ascii=False,
                indent=1,
            ).encode()
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)  # atomic: a crash leaves no half-written message
        return Outcome("sent", f"已写入本地发件箱：{path}", local=True)
