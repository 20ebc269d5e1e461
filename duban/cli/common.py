"""What every command of the ``duban`` door shares: the consoles, the exit codes, the
``--at`` rule, and the few steps each command takes the same way (open the ledger or exit 3,
act in one transaction, fail with a Chinese message and an exit code)."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from typing import TypeVar

import pendulum
import typer
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from ledger import config
from ledger.db import DatabaseError, open_ledger, transaction
from ledger.reports import ActionError
from plans.duerules import parse_moment
from plans.source import Problem

EXIT_INVALID, EXIT_USAGE, EXIT_ENV = 1, 2, 3
T = TypeVar("T")
AT_RULE = (
    "只写日期（YYYY-MM-DD）指当日结束时（23:59:59，北京时间），"
    "写到时刻（YYYY-MM-DDTHH:MM）指该时刻；缺省为现在"
)

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def group(text: str) -> typer.Typer:
    """A command group, worded like the top level."""
    return typer.Typer(
        help=text,
        no_args_is_help=True,
        options_metavar="[选项]",
        subcommand_metavar="命令 [参数]...",
    )


def actor() -> str:
    return os.environ.get("DUBAN_ACTOR") or getpass.getuser()


def fail(message: str, code: int = EXIT_INVALID) -> typer.Exit:
    err.print(f"[red]{message}[/red]")
    return typer.Exit(code)


def open_db() -> sessionmaker[Session]:
    try:
        return open_ledger(config.database_url())
    except DatabaseError as exc:
        raise fail(str(exc), EXIT_ENV) from exc


def print_problems(problems: list[Problem]) -> None:
    for p in problems:
        colour = "red" if p.severity == "error" else "yellow"
        err.print(f"[{colour}]{p}[/{colour}]")


def parse_when(value: str, option: str, tz: str = "Asia/Shanghai") -> pendulum.DateTime:
    """A date or a moment. A bare date (YYYY-MM-DD) is the end of that day, local time:
    "as of 9月20日" counts everything due that day, for every command alike."""
    try:
        return parse_moment(value, tz)
    except ValueError as exc:
        raise fail(
            f"{option} {value!r} 不是日期时间（应为 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM）", EXIT_USAGE
        ) from exc


def read_at(value: str | None) -> pendulum.DateTime:
    """``--at`` as every command reads it (see ``AT_RULE``); now when not given."""
    return parse_when(value, "--at") if value else pendulum.now("Asia/Shanghai")


def act(fn: Callable[[Session], T]) -> T:
    try:
        with transaction(open_db()) as s:
            return fn(s)
    except ActionError as exc:
        raise fail(str(exc)) from exc
