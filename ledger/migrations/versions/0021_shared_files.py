"""shared files: document paths relative to the files folder every machine reads

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05

The 催办单/督办单/通报 were recorded with the absolute path of the worker that rendered
them, so a web process on another machine (another ``$DUBAN_HOME``) answered 404 for a
通报 that existed. Paths are now kept relative to the files folder (``DUBAN_FILES``, by
default the data folder), which several machines mount as one share. This rewrites the
absolute paths of documents rendered under that folder, as the environment that runs
``duban db upgrade`` sees it; a path outside it stays absolute and is served as before.
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from ledger import config

    bind = op.get_bind()
    docs = sa.table(
        "documents", sa.column("id", sa.Integer), sa.column("path_md"), sa.column("path_docx")
    )
    rows = bind.execute(
        sa.select(docs.c.id, docs.c.path_md, docs.c.path_docx).where(
            docs.c.path_md.like("/%") | docs.c.path_docx.like("/%")
        )
    ).all()
    for doc_id, md, docx in rows:
        new = {
            k: config.kept(Path(v))
            for k, v in (("path_md", md), ("path_docx", docx))
            if v and Path(v).is_absolute()
        }
        if any(new[k] != v for k, v in (("path_md", md), ("path_docx", docx)) if k in new):
            bind.execute(sa.update(docs).where(docs.c.id == doc_id).values(**new))


def downgrade() -> None:
    """Relative paths stay readable only by this version: made absolute again under the
    files folder of the environment that runs the downgrade."""
    from ledger import config

    bind = op.get_bind()
    docs = sa.table(
        "documents", sa.column("id", sa.Integer), sa.column("path_md"), sa.column("path_docx")
    )
    for doc_id, md, docx in bind.execute(sa.select(docs.c.id, docs.c.path_md, docs.c.path_docx)):
        new = {
            k: str(config.files() / v)
            for k, v in (("path_md", md), ("path_docx", docx))
            if v and not Path(v).is_absolute()
        }
        if new:
            bind.execute(sa.update(docs).where(docs.c.id == doc_id).values(**new))
