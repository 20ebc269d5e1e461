"""The plan file: a reviewed YAML document, modelled with pydantic.

A plan is a file (DESIGN decision 1): coordinators review and version it; the
ledger only holds state. Ids are stable so that loading an edited plan updates
rows instead of replacing them. Unknown fields are errors, so a typo in a
field name is reported rather than ignored.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from plans.duerules import parse_rule
from plans.policy import Policy

CheckpointKind = Literal["list", "check", "lookback", "report", "publish", "meeting", "other"]
CHECKPOINT_KINDS: dict[str, str] = {
    "list": "任务清单报送",
    "check": "督查检查",
    "lookback": "回头看",
    "report": "完成情况报告",
    "publish": "公开发布",
    "meeting": "会议/汇报",
    "other": "其他",
}
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _rule(text: object) -> str:
    """A due rule string, checked by the due-rule grammar."""
    if isinstance(text, dt.date):  # YAML reads a bare 2021-12-31 as a date
        text = text.isoformat()
    return parse_rule(str(text)).text


DueText = Annotated[str, AfterValidator(_rule)]


def _due_list(value: object) -> object:
    if isinstance(value, dt.date | str):
        value = [value]
    if isinstance(value, list):
        return [v.isoformat() if isinstance(v, dt.date) else v for v in value]
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(
            "id 只能由字母、数字、点、下划线和连字符组成（如 t01、cp-list），不超过64字符"
        )
    return value


class Checkpoint(_Strict):
    """A plan-wide milestone not tied to one task (task lists, checks, 回头看 …)."""

    id: Annotated[str, AfterValidator(_check_id)]
    kind: CheckpointKind
    title: str | None = Field(None, description="short title used in notices")
    text: str = Field(min_length=1)
    due: list[DueText] = Field(default_factory=list)
    units: list[str] = Field(
        default_factory=list, description="who must act; empty when only the coordinator acts"
    )
    note: str | None = None

    _due = field_validator("due", mode="before")(classmethod(lambda cls, v: _due_list(v)))


class Task(_Strict):
    """One task of the division of work, with its units and deadlines."""

    id: Annotated[str, AfterValidator(_check_id)]
    section: list[str] = Field(default_factory=list, description="headings, outermost first")
    title: str | None = Field(None, description="short title used in notices")
    text: str = Field(min_length=1)
    lead: list[str] = Field(default_factory=list, description="牵头单位")
    units: list[str] = Field(default_factory=list, description="责任单位 / 落实单位")
    support: list[str] = Field(default_factory=list, description="配合单位")
    due: list[DueText] = Field(default_factory=list)
    path: str | None = Field(None, description="公开路径")
    note: str | None = None

    _due = field_validator("due", mode="before")(classmethod(lambda cls, v: _due_list(v)))

    @property
    def short_title(self) -> str:
        if self.title:
            return self.title
        head = re.split(r"[，。；,;]", self.text, maxsplit=1)[0]
        return head if len(head) <= 30 else head[:29] + "…"


class Target(_Strict):
    """A per-unit quota, such as 目标任务条数 in a plan's attachment."""

    unit: str
    count: int = Field(ge=0)
    metric: str = "目标任务条数"


class PlanSpec(_Strict):
    """A task-division plan as reviewed by the coordinator."""

    id: Annotated[str, AfterValidator(_check_id)]
    title: str
    doc_no: str | None = Field(None, description="文号")
    issuer: str
    issued: dt.date = Field(description="成文日期, the date under the signature")
    year: int = Field(ge=2000, le=2100, description="the plan's work year")
    coordinator: str = Field(description="the unit that supervises (e.g. 市政府办公室)")
    timezone: str = "Asia/Shanghai"
    recipients: list[str] = Field(default_factory=list, description="主送")
    start: dt.date | None = Field(None, description="period start; default: issued")
    end: dt.date | None = Field(None, description="period end; default: 31 December of year")
    predecessor: str | None = Field(None, description="id of last year's plan, for 回头看")
    jurisdiction: str | None = Field(
        None,
        description="辖区 whose unit directory the plan draws on (中山市); default: the "
        "jurisdiction named in the directory file",
    )
    directory: str | None = Field(None, description="unit directory file, relative to this file")
    default_due: list[DueText] = Field(
        default_factory=list, description="deadline for tasks that state none; empty: no milestone"
    )
    progress: list[str] = Field(
        default_factory=list,
        description="when units report progress on standing tasks (持续推进, no date of their "
        "own): checkpoint ids and/or due rules (2021-09-20, quarterly:end …); empty: the dates "
        "of the plan's checks (kind check) and completion report (kind report), else the end "
        "of the plan's period",
    )
    checkpoints: list[Checkpoint] = Field(default_factory=list)
    tasks: list[Task] = Field(default_factory=list)
    policy: Policy = Field(default_factory=Policy)
    targets: list[Target] = Field(default_factory=list)

    _due = field_validator("default_due", mode="before")(classmethod(lambda cls, v: _due_list(v)))
    _progress = field_validator("progress", mode="before")(classmethod(lambda cls, v: _due_list(v)))

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"未知时区 {value!r}（应如 Asia/Shanghai）") from exc
        return value

    @model_validator(mode="after")
    def _period(self) -> PlanSpec:
        if self.period_end < self.period_start:
            raise ValueError("end 早于 start")
        return self

    @property
    def period_start(self) -> dt.date:
        return self.start or self.issued

    @property
    def period_end(self) -> dt.date:
        return self.end or dt.date(self.year, 12, 31)


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of plan files."""
    schema = PlanSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "duban plan"
    return schema
