"""Chinese for the words Typer prints around duban's own.

Coordinators read every line the CLI prints, so "Usage:", "Show this message
and exit.", "Missing argument 'plan'." and the type labels beside options
(``<bool>``, ``<str>``) must be Chinese too. Typer (0.2x) carries its own copy
of click with these strings written in, not translatable through gettext, so
they are replaced here, at the few places Typer reads them: its panel titles,
the help option, the usage line, the type labels, and the error panel, whose
message is rewritten by a table of click's sentence shapes (an unknown one is
kept, under a Chinese lead-in). ``tests/test_cli_language.py`` runs the real
commands and fails on any of these English words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

HELP_TEXT = "显示本帮助并退出。"
USAGE = "用法："
TYPE_LABELS = {
    "<bool>": "",
    "<str>": "<文字>",
    "<path>": "<文件>",
    "<int>": "<整数>",
    "<float>": "<数值>",
    "<list[str]>": "<文字>",
    "<list[Path]>": "<文件>",
    "<float range>": "<数值>",
    "<int range>": "<整数>",
}
PANELS = {
    "ARGUMENTS_PANEL_TITLE": "参数",
    "OPTIONS_PANEL_TITLE": "选项",
    "COMMANDS_PANEL_TITLE": "命令",
    "ERRORS_PANEL_TITLE": "命令用法有误",
    "ABORTED_TEXT": "已中止。",
    "REQUIRED_LONG_STRING": "[必填]",
    "REQUIRED_SHORT_STRING": "*",
    "DEFAULT_STRING": "[缺省：{}]",
    "ENVVAR_STRING": "[环境变量：{}]",
    "DEPRECATED_STRING": "（已弃用）",
    "RANGE_STRING": " [范围 {}]",
    "RICH_HELP": "用 [blue]{command_path} {help_option}[/] 查看帮助和例子。",
}
ERRORS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(a, re.S), b)
    for a, b in [
        (r"^No such option: (\S+)(?: Did you mean (\S+)\?)?$", r"没有选项 \1。"),
        (r"^No such option: (\S+) \(Possible options: (.+)\)$", r"没有选项 \1（可能是：\2）。"),
        (r"^No such command '(.+)'\.$", r"没有命令 \1。"),
        (r"^Missing argument '(.+)'\.$", r"缺少参数 \1。"),
        (r"^Missing option '(.+)'\.$", r"缺少选项 \1。"),
        (r"^Missing command\.$", "缺少命令。"),
        (r"^Option '(.+)' requires an argument\.$", r"选项 \1 需要给出取值。"),
        (r"^Option '(.+)' requires (\d+) arguments\.$", r"选项 \1 需要给出 \2 个取值。"),
        (r"^Got unexpected extra arguments? \((.+)\)$", r"多出了参数（\1）。"),
        (r"^Invalid value for '(.+)': '(.+)' is not a valid integer\.$", r"\1 应为整数，不是 \2。"),
        (r"^Invalid value for '(.+)': '(.+)' is not a valid float\.$", r"\1 应为数字，不是 \2。"),
        (
            r"^Invalid value for '(.+)': (.+) is not in the range (.+)\.$",
            r"\1 的取值 \2 不在 \3 内。",
        ),
        (
            r"^Invalid value for '(.+)': (?:Path|File) '(.+)' does not exist\.$",
            r"\1：文件 \2 不存在。",
        ),
        (
            r"^Invalid value for '(.+)': Input should be less than or equal to (\S+)$",
            r"\1 应不大于 \2。",
        ),
        (
            r"^Invalid value for '(.+)': Input should be greater than or equal to (\S+)$",
            r"\1 应不小于 \2。",
        ),
        (r"^Invalid value for '(.+)': (.+)$", r"\1 的取值无效：\2"),
    ]
]
# How arguments are named in usage lines: {plan} reads as {计划}.
# An argument whose name means different things in two commands (the ``name`` of an event,
# of a user) is named by its command's ``metavar`` instead.
ARGUMENT_NAMES = {
    "plan": "计划",
    "file": "文件",
    "report_id": "报送编号",
    "notice": "通知文件",
    "name": "名称",
    "contact": "联系人",
    "unit": "单位",
}


def translate_error(message: str) -> str:
    """A click usage error as a Chinese sentence (an unknown shape keeps its text)."""
    for pattern, replacement in ERRORS:
        if pattern.match(message):
            text = pattern.sub(replacement, message)
            return text.replace(" Did you mean", "是否指").replace("?", "？")
    return f"命令行有误：{message}"


def localize_typer() -> None:
    """Install the Chinese strings in Typer (idempotent)."""
    from typer import core, rich_utils
    from typer._click import core as click_core
    from typer._click import formatting
    from typer._click.exceptions import ClickException

    if getattr(rich_utils, "_duban_localized", False):
        return
    rich_utils._duban_localized = True  # type: ignore[attr-defined]
    for name, text in PANELS.items():
        setattr(rich_utils, name, text)

    original_error = rich_utils.rich_format_error

    def format_error(self: ClickException) -> None:  # named as Typer's, which it replaces
        message = self.format_message()
        patched: Any = self  # this one error's message, not the class's method
        patched.format_message = lambda: translate_error(message)
        original_error(self)

    rich_utils.rich_format_error = format_error

    def usage(
        self: Any,
        prog: str,
        args: str = "",
        prefix: str | None = None,
        _orig: Callable[..., None] = formatting.HelpFormatter.write_usage,
    ) -> None:
        _orig(self, prog, args, USAGE if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = usage  # type: ignore[method-assign]
    highlighter = type(rich_utils.highlighter)  # its one instance colours the usage line
    highlighter.highlights = [  # the usage line's colour follows its new prefix
        h.replace("Usage: ", USAGE) for h in highlighter.highlights
    ]

    def help_option(
        self: Any, ctx: Any, _orig: Callable[..., Any] = click_core.Command.get_help_option
    ) -> Any:
        opt = _orig(self, ctx)
        if opt is not None:
            opt.help = HELP_TEXT
        return opt

    click_core.Command.get_help_option = help_option  # type: ignore[method-assign]

    def argument_name(self: Any, _orig: Any = core.TyperArgument.display_name_raw) -> str:
        raw = _orig.fget(self)
        return ARGUMENT_NAMES.get(raw, raw)

    core.TyperArgument.display_name_raw = property(argument_name)  # type: ignore[assignment]

    for cls in (core.TyperOption, core.TyperArgument):

        def display(
            self: Any, ctx: Any, _orig: Callable[..., Any] = cls.display_type_rich
        ) -> str | None:
            label = _orig(self, ctx)
            return TYPE_LABELS.get(label, label) if isinstance(label, str) else label

        cls.display_type_rich = display  # type: ignore[method-assign]
