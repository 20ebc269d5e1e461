"""Rendering notices: one jinja2 template per notice kind, one block per channel form.

``subject`` and ``text`` serve email (text and HTML) and IM markdown; ``sms``
must fit one 70-character segment where possible, besides the unit's link
(``link``, where the recipient has one), so long task titles are shortened
(never the link). A digest lists several notices for one recipient in
one message. Operators override a template by putting a file of the same name
in ``$DUBAN_HOME/templates``; every template is compiled when a dispatcher
starts, so a broken override fails there, naming its file and line.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from jinja2 import Environment, FileSystemLoader, Template, TemplateSyntaxError

from plans.text import im_safe

SHIPPED = Path(__file__).with_name("templates")
KINDS = (
    "reminder",
    "due",
    "cuiban",
    "duban",
    "tongbao",
    "rectify",
    "check_result",
    "digest",
    "extension",
    "sign",
    "alert",
    "channel_test",
)
SMS_SEGMENT = 70


class OpenItem(TypedDict):
    """One of a unit's other open milestones, listed under a digest (``others``)."""

    item_title: str
    due_date: str  # ISO date
    late: bool
    unit: str


class TemplateProblem(ValueError):
    """A template that cannot be compiled; the message names file and line."""


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    sms: str

    @property
    def markdown(self) -> str:
        return f"**{self.subject}**\n\n{self.text}"

    @property
    def html(self) -> str:
        paras = "".join(
            f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>"
            for p in self.text.split("\n\n")
            if p.strip()
        )
        return f"<html><body><h3>{html.escape(self.subject)}</h3>{paras}</body></html>"


def _neutral(value: Any) -> Any:
    """Every text value of a notice's context made inert for IM markdown (``im_safe``);
    the templates' own markup is not in the values and stays."""
    if isinstance(value, str):
        return im_safe(value)
    if isinstance(value, dict):
        return {k: _neutral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_neutral(v) for v in value]
    return value


def _shorten(title: str, n: int) -> str:
    return title if len(title) <= n else title[: max(n - 1, 1)] + "…"


class Templates:
    def __init__(self, override: Path | None = None) -> None:
        folders = [str(override)] if override and override.is_dir() else []
        self.env = Environment(
            loader=FileSystemLoader([*folders, str(SHIPPED)]),
            autoescape=False,
            keep_trailing_newline=False,
        )
        self.templates: dict[str, Template] = {}
        for kind in KINDS:
            try:
                self.templates[kind] = self.env.get_template(f"{kind}.j2")
            except TemplateSyntaxError as exc:
                raise TemplateProblem(
                    f"{exc.filename}:{exc.lineno}: 模板语法错误：{exc.message}"
                ) from exc
            missing = {"subject", "sms", "text"} - set(self.templates[kind].blocks)
            if missing:
                raise TemplateProblem(
                    f"{self.templates[kind].filename}: 缺少块 {'、'.join(sorted(missing))}"
                )

    def _block(self, kind: str, block: str, ctx: dict[str, Any]) -> str:
        t = self.templates[kind]
        return "".join(t.blocks[block](t.new_context(ctx))).strip()

    def render(
        self, kind: str, ctx: dict[str, Any], link: str = "", link_label: str = "在线报送"
    ) -> Message:
        ctx = {**_neutral(ctx), "link": link, "link_label": link_label}
        sms = self._block(kind, "sms", ctx)
        title = str(ctx.get("item_title", ""))
        n = len(title)
        fits = SMS_SEGMENT + (len(link_label) + len(link) + 2 if link and link in sms else 0)
        while len(sms) > fits and n > 6:  # shorten the title, never the rest
            n -= 1
            sms = self._block(kind, "sms", {**ctx, "item_title": _shorten(title, n)})
        return Message(self._block(kind, "subject", ctx), self._block(kind, "text", ctx), sms)

    def digest(
        self,
        name: str,
        day: str,
        notices: list[dict[str, Any]],
        others: list[OpenItem] | None = None,
        link: str = "",
        link_label: str = "在线报送",
    ) -> Message:
        """One message for several notices, and the unit's other late or near items;
        the SMS lists as many as fit, then "等"."""
        others, notices = _neutral(others or []), _neutral(notices)
        ctx = {
            "name": name,
            "day": day,
            "count": len(notices),
            "notices": notices,
            "others": others,
            "late": sum(1 for o in others if o["late"]),
            "link": link,
            "link_label": link_label,
        }
        sms = ""
        for k in range(len(notices), 0, -1):
            shown = [
                {**c, "item_title": _shorten(str(c.get("item_title", "")), 12)} for c in notices[:k]
            ]
            sms = self._block("digest", "sms", {**ctx, "shown": shown, "more": k < len(notices)})
            extra = len(link_label) + len(link) + 2 if link and link in sms else 0
            if len(sms) <= SMS_SEGMENT + extra:
                break
        return Message(
            self._block("digest", "subject", ctx), self._block("digest", "text", ctx), sms
        )
