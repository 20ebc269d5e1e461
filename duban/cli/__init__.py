"""The ``duban`` command line.

Exit codes scripts can trust: 0 done; 1 the input is wrong (a plan or unit
file with errors, an unknown plan or unit); 2 the command was called wrongly;
3 the database or another part of the environment failed.

This module builds the root ``app`` and registers every command in the order
``duban --help`` lists them; the commands themselves live in one module per
group (plan, importer, simulate, units, supervise, reports, deliver, serve,
users, admin), each a thin door to ``ledger``, ``usecases``, ``plans`` and ``flows``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import typer
from rich.markup import escape

from duban.cli import (
    admin,
    deliver,
    importer,
    plan,
    reports,
    serve,
    signing,
    simulate,
    supervise,
    units,
    users,
)
from duban.cli.common import EXIT_ENV, err
from duban.i18n import localize_typer
from ledger.db import DatabaseError

localize_typer()
app = typer.Typer(
    help="督办：政务工作任务分工方案的督办系统。导入通知、审核计划、跟踪台账、催办督办。",
    no_args_is_help=True,
    add_completion=False,
    options_metavar="[选项]",
    subcommand_metavar="命令 [参数]...",
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)

# `duban --help` lists the commands in this order, then the groups in theirs.
COMMANDS: list[tuple[str, Callable[..., None]]] = [
    ("status", supervise.status),
    ("report", reports.report),
    ("review", reports.review),
    ("event", reports.event),
    ("sweep", supervise.sweep_cmd),
    ("up", serve.up_cmd),
    ("preview", simulate.preview),
    ("simulate", simulate.simulate_cmd),
    ("check", supervise.check_cmd),
    ("lookback", supervise.lookback_cmd),
    ("circular", supervise.circular_cmd),
    ("documents", signing.documents_cmd),
    ("sign", signing.sign_cmd),
    ("export", supervise.export_cmd),
    ("score", supervise.score_cmd),
    ("import", importer.import_cmd),
    ("dispatch", deliver.dispatch_cmd),
    ("notices", deliver.notices_cmd),
    ("web", serve.web_cmd),
    ("demo", serve.demo),
]
GROUPS = [
    ("plan", plan.plan_app),
    ("units", units.units_app),
    ("db", admin.db_app),
    ("channels", deliver.channels_app),
    ("links", users.links_app),
    ("users", users.users_app),
]
for name, command in COMMANDS:
    app.command(name)(command)
for name, sub in GROUPS:
    app.add_typer(sub, name=name)


def main() -> None:
    """The ``duban`` program: a database that fails or stops answering in any command is
    a message and exit 3, never a traceback or a wait without end."""
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    try:
        app()
    except DatabaseError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        sys.exit(EXIT_ENV)
    except DBAPIError as exc:
        err.print(
            f"[red]数据库不可用，本次操作未完成（已提交的不受影响）："
            f"{escape(str(exc).splitlines()[0])}[/red]"
        )
        sys.exit(EXIT_ENV)
    except PoolTimeout as exc:
        err.print(f"[red]数据库连接全部占用或无响应，本次操作未完成：{escape(str(exc))}[/red]")
        sys.exit(EXIT_ENV)
