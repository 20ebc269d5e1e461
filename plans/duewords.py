"""Due rules in words: what ``plans.duerules`` reads as ``bimonthly:20`` a coordinator
reads as 每双月20日. Every door that shows a rule (``plan show``, the board, the
review pages) says it this way; the plan file keeps the canonical string."""

from __future__ import annotations

from plans.duerules import DueRule, DueRuleError, parse_rule

_UNITS = {"wd": "个工作日", "d": "天", "mo": "个月", "h": "小时"}
_EVERY = {
    "monthly": "每月",
    "bimonthly": "每双月",
    "quarterly": "每季度末月",
    "semiannual": "每半年末月",
}


def _day(rule: DueRule) -> str:
    if rule.last_workday:
        return "最后一个工作日"
    if rule.day is None:
        return "月底" if rule.kind == "monthly" else "底"
    if rule.window_start is not None:
        return f"{rule.window_start}日至{rule.day}日"
    return f"{rule.day}日"


def describe_rule(text: str) -> str:
    """A due rule in Chinese: 2021年12月31日前, 印发后10个工作日内, 每双月20日, 持续推进;
    a string that is not a rule is returned as written."""
    try:
        rule = parse_rule(text)
    except DueRuleError:
        return str(text)
    if rule.kind == "ongoing":
        return "持续推进（无固定期限，按检查节点督办）"
    if rule.kind == "date":
        assert rule.date is not None
        return f"{rule.date.year}年{rule.date.month}月{rule.date.day}日前"
    if rule.kind == "relative":
        after = (
            "印发"
            if rule.anchor == "issued"
            else ("事件" if rule.anchor == "event" else f"“{rule.anchor}”")
        )
        if rule.amount == 0:
            return f"{after}当日"
        return f"{after}后{rule.amount}{_UNITS[rule.unit]}内"
    if rule.kind == "yearly":
        return "计划期内" + (f"报送{rule.amount}次" if rule.amount > 1 else "完成")
    if rule.kind == "monthly" and rule.day is None and not rule.last_workday:
        return "每月月底"
    every = _EVERY[rule.kind]
    if rule.kind == "quarterly" and rule.day is None:
        return "每季度末（3、6、9、12月底）"
    if rule.kind == "semiannual":
        return "每半年末（6月、12月底）"
    if rule.day is None:
        return f"{every}月底"
    return f"{every}{_day(rule)}"
