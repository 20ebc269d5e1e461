"""Secrets are referenced by name and resolved only at send time.

Plan files, unit files and ``channels.yaml`` hold names (``ZS_GOV_WECOM_KEY``);
the value comes from the environment, else from a Prefect ``Secret`` block of
the same name (lower case, ``_`` → ``-``, as block names must be). Every value
resolved here is remembered so that :func:`redact` can strip it from any
error text before it reaches a log line, the ledger or a page.
"""

from __future__ import annotations

import os
import re
import threading

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_seen: set[str] = set()
_lock = threading.Lock()


class SecretMissing(LookupError):
    """A referenced secret has no value; the message says where to put one."""


def block_name(name: str) -> str:
    return name.lower().replace("_", "-")


def _from_prefect(name: str) -> str | None:
    """A Prefect Secret block, when a Prefect API is configured and holds one."""
    try:
        from prefect.blocks.system import Secret
        from prefect.settings import PREFECT_API_URL

        if not PREFECT_API_URL.value():
            return None
        # prefect's async_dispatch typing knows neither the _sync keyword nor that
        # _sync=True returns the block itself, never a coroutine.
        secret = Secret.load(block_name(name), _sync=True)  # type: ignore[call-arg]
        return str(secret.get())  # type: ignore[union-attr]
    except Exception:  # no server, no block: the caller reports the name
        return None


def resolve(name: str) -> str:
    if not NAME.match(name):
        raise SecretMissing(f"密钥名“{name}”不合法：只能用字母、数字和下划线")
    value = os.environ.get(name) or _from_prefect(name)
    if not value:
        raise SecretMissing(
            f"密钥 {name} 未设置：请设置环境变量 {name}，"
            f"或建立名为 {block_name(name)} 的 Prefect Secret 块"
        )
    with _lock:
        _seen.add(value)
    return value


def remember(value: str) -> None:
    """A secret obtained otherwise (an app's access token): masked by :func:`redact` too."""
    with _lock:
        _seen.add(value)


def optional(name: str) -> str | None:
    try:
        return resolve(name)
    except SecretMissing:
        return None


def redact(text: str) -> str:
    """``text`` with every resolved secret (and any ``key=``/``access_token=`` value) masked."""
    with _lock:
        values = sorted(_seen, key=len, reverse=True)
    for v in values:
        if len(v) >= 4:
            text = text.replace(v, "****")
    return re.sub(
        r"((?:key|access_token|token|sign|secret|password)=)[^&\s'\"]+", r"\1****", text, flags=re.I
    )
