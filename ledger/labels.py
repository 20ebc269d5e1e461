"""Chinese labels of the codes duban stores, for pages, the CLI, documents and the 台账:
every code → words table above the plan files lives here (milestone statuses, rungs,
lights, review and progress states, channels, message kinds, notification states,
user roles …). The plan file's own tables stay with it in ``plans`` (checkpoint kinds
``plans.model.CHECKPOINT_KINDS``, assignment roles ``plans.compile.ASSIGNMENT_ROLES``,
contact roles ``plans.directory.CONTACT_ROLES``, unit kinds ``plans.directory.KIND_NAMES``).

Code branches on codes (``Report.progress == "done"``), never on these texts.
"""

from __future__ import annotations

# A milestone's status as of a moment: its stored state refined by its deadline
# (``ledger.queries.milestone_status``), and the words the 台账 and every page use.
STATUS_LABELS = {
    "waiting": "待事件",
    "reported": "待审核",
    "done": "已销号",
    "archived": "已归档",
    "rectifying": "整改中",
    "rectifying_late": "整改逾期",
    "pending": "未到期",
    "near": "临近期限",
    "late": "已逾期",
}
LATE_STATUSES = frozenset({"late", "rectifying_late"})  # past due and not done

PROGRESS_LABELS = {"done": "已完成", "ongoing": "推进中", "not_started": "未开展"}
STANDING_KIND = "持续推进任务"  # the 台账's category of a task with no date of its own
DATED_KIND = "任务"


def progress_code(text: str) -> str | None:
    """A progress state as a unit or a spreadsheet writes it (code or label), or None."""
    text = text.strip()
    if text in PROGRESS_LABELS:
        return text
    return next((code for code, label in PROGRESS_LABELS.items() if label == text), None)


USER_ROLES = {"coordinator": "协调单位", "viewer": "只读"}

CHANNEL_NAMES = {
    "sms": "短信",
    "email": "邮件",
    "wecom": "企业微信",
    "dingtalk": "钉钉",
    "feishu": "飞书",
    "wecom_bot": "企业微信群",
    "dingtalk_bot": "钉钉群",
    "feishu_bot": "飞书群",
    "operator": "运维告警",
}

NOTIFICATION_STATES = {
    "pending": "待发送",
    "sending": "发送中",
    "sent": "已发送",
    "dead": "已放弃",
    "stale": "已过时",
}

# 红黄绿灯, and blue for a report the coordinator has not yet reviewed.
LIGHTS = {
    "red": "已逾期",
    "yellow": "临近期限",
    "blue": "待审核",
    "green": "已完成",
    "grey": "未到期",
}

RUNG_NAMES = {
    "reminder": "到期提醒",
    "due": "到期通知",
    "cuiban": "催办通知",
    "duban": "督办通知",
    "tongbao": "通报",
}

GRADE_NAMES = {"blue": "蓝色", "yellow": "黄色", "red": "红色"}

DOC_NAMES = {"cuiban": "催办单", "duban": "督办单", "circular": "通报"}

REVIEW_NAMES = {"submitted": "待审核", "accepted": "已采纳", "returned": "已退回"}

LOAD_LABELS = {
    "plan_fields_updated": "修改计划信息",
    "items_created": "新增条目",
    "items_updated": "修改条目",
    "items_archived": "归档条目",
    "assignments_created": "新增分工",
    "assignments_updated": "修改分工",
    "assignments_archived": "归档分工",
    "milestones_created": "新增时限节点",
    "milestones_updated": "调整时限节点",
    "milestones_archived": "归档时限节点",
}

MESSAGE_KINDS = {
    "reminder": "提醒",
    "due": "到期通知",
    "cuiban": "催办",
    "duban": "督办",
    "tongbao": "通报",
    "rectify": "整改通知",
    "check_result": "检查结果通知",
    "digest": "每日摘要",
    "extension": "延期批复",
    "sign": "签收催办",
    "alert": "运维告警",
    "channel_test": "渠道测试",
}
