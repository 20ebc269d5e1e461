"""What a reading of a notice holds: fields with where they were read, task and
checkpoint drafts, and the review list's lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plans.cn_dates import Due


@dataclass
class Field:
    value: Any
    where: str
    confidence: float = 1.0


@dataclass
class Review:
    """One line of the review list. ``about`` names the field it doubts (lead, units,
    due, text; a plan field: doc_no, issuer, issued, year; "directory" for a notice
    read without one; "" for the document as a whole) and ``items`` the items it covers by their
    source line, so that a page can mark each. A *doubt* is a reading of one item the
    importer guessed and may have got wrong; a *rule* is one reading rule applied to
    many items (a merged cell's lead, a standing clause, the plan year for dates that
    state none), listed so a person can spot-check it; a *todo* is something the notice
    leaves open (no unit named, a per-case span) that a person must decide whatever the
    reading. ``unknown`` is the unit name a directory lacks, for a line that says so:
    the draft page checks it again as names are corrected."""

    where: str
    what: str
    about: str = ""
    kind: str = "doubt"
    items: list[str] = field(default_factory=list)
    unknown: str = ""

    def __str__(self) -> str:
        return f"{self.where}：{self.what}"

    def as_format(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "about": self.about,
            "kind": self.kind,
            "items": self.items,
            "what": self.what,
            **({"unknown": self.unknown} if self.unknown else {}),
        }


@dataclass
class TaskDraft:
    text: str
    section: list[str]
    where: str
    lead: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    due: list[Due] = field(default_factory=list)
    path: str | None = None
    unit_source: str = ""  # where the units were read
    unit_how: str = ""  # which rule read them: a key of UNIT_CONFIDENCE
    cells: dict[str, str] = field(default_factory=dict)  # field → table cell it came from
    level: int = 0
    doubts: list[tuple[str, str]] = field(default_factory=list)  # (field, why), for the review
    rules: list[tuple[str, str]] = field(default_factory=list)  # (field, which rule read it)
    chief: list[str] = field(default_factory=list)  # 主抓单位, to be found in 责任单位

    def confidence(self) -> dict[str, float]:
        """Per field, how far the rule that read it is trusted (0–1)."""
        return {
            "text": 1.0 if self.level or self.unit_how == "table" else 0.8,
            "units": UNIT_CONFIDENCE[self.unit_how],
            "due": _due_confidence(self.due, 0.9),
        }


def _due_confidence(dues: list[Due], stated_none: float) -> float:
    """A garbled date is a guess; no date at all may be one the rules missed."""
    return min((1.0 if d.certain else 0.4 for d in dues), default=stated_none)


# How far each unit rule is trusted. A clause or a table column says outright who does
# what; a unit line after a run, a clause shared backwards, a merged cell and a
# sentence's subject are readings a person should confirm.
UNIT_CONFIDENCE = {
    "clause": 0.95,
    "table": 0.95,
    "inline": 0.85,
    "line": 0.85,
    "heading": 0.85,
    "shared": 0.75,
    "merged": 0.6,
    "sentence": 0.6,
    "": 0.0,
}


@dataclass
class CheckpointDraft:
    kind: str
    text: str
    due: list[Due]
    units: list[str]
    where: str

    def confidence(self) -> dict[str, float]:
        return {"kind": 0.8, "due": _due_confidence(self.due, 0.8)}


@dataclass
class Target:
    unit: str
    count: int
    metric: str
    where: str


@dataclass
class Extraction:
    source: Path
    meta: dict[str, Field] = field(default_factory=dict)
    recipients: list[str] = field(default_factory=list)
    checkpoints: list[CheckpointDraft] = field(default_factory=list)
    tasks: list[TaskDraft] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    review: list[Review] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # the current table's header cells
    target_metric: str = "目标任务条数"
    in_targets: bool = False  # inside a per-unit quota table
    target_total: tuple[int, str] | None = None  # its 合计 row, checked against the sum
    sections: dict[str, list[str]] = field(default_factory=dict)  # line → headings above it
    # 以下均需各片区配合落实，不再列出: units a clause adds to this and every later item
    standing: list[str] = field(default_factory=list)
    # 排在第一位的为牵头单位: the sentence that makes every list's first unit its lead
    first_leads: str = ""
    standing_note: str = ""  # where the standing clause is, for the review list
    year_basis: str = "标题中没有年份"  # why the work year is a guess, for the review list
    body_end: int | None = None  # a document signed at its end: where its signature starts
    # the signature's lines (issuer, date) of a document signed above its attachment
    signature: range = range(0)

    def as_format(self) -> dict[str, Any]:
        """The extraction format of shared/eval/FORMAT.md."""
        return {
            "doc": self.source.name,
            "meta": {
                "doc_no": "",  # FORMAT.md: "" where the notice prints no 文号
                **{
                    k: (v.value.isoformat() if hasattr(v.value, "isoformat") else v.value)
                    for k, v in self.meta.items()
                },
            },
            "meta_sources": {
                k: {"where": v.where, "confidence": v.confidence} for k, v in self.meta.items()
            },
            "recipients": self.recipients,
            "checkpoints": [
                {
                    "kind": c.kind,
                    "text": c.text,
                    "due": [d.value for d in c.due],
                    "units": c.units,
                    "source": c.where,
                    "confidence": c.confidence(),
                }
                for c in self.checkpoints
            ],
            "tasks": [
                {
                    "text": t.text,
                    "section": t.section,
                    "lead": t.lead,
                    "units": t.units,
                    "due": [d.value for d in t.due],
                    **({"path": t.path} if t.path else {}),
                    "source": t.where,
                    "sources": {"text": t.where, "units": t.unit_source or None, "due": t.where}
                    | t.cells,
                    "confidence": t.confidence(),
                }
                for t in self.tasks
            ],
            "targets": [
                {"unit": g.unit, "count": g.count, "metric": g.metric, "source": g.where}
                for g in self.targets
            ],
            "review": [str(r) for r in self.review],
            "flags": [r.as_format() for r in self.review],
        }
