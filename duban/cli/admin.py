"""``duban db``: the operator's database maintenance."""

from __future__ import annotations

from duban.cli.common import EXIT_ENV, fail, group, out
from ledger import config
from ledger.db import upgrade

db_app = group("数据库维护（运维人员）。")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """把数据库结构升级到当前版本：新建、从旧版本升级，或说明无需升级。
    只有本命令（以及单机 duban up 对自己的 SQLite 数据库）会改动数据库结构；
    其他命令遇到版本不符的数据库会拒绝运行（退出码 3）。升级前先停止 worker。

    例：DUBAN_DATABASE_URL=postgresql://duban@db/duban duban db upgrade
    """
    from ledger.db import make_engine

    try:  # unwatched: a migration may rewrite a large table for minutes
        done = upgrade(make_engine(config.database_url(), wait=0))
    except Exception as exc:
        raise fail(f"数据库升级失败：{exc}", EXIT_ENV) from exc
    out.print(done.describe())
