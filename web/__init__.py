"""The web door: server-rendered pages on the same ledger functions the CLI calls.

Units reach ``/u/<token>`` from the link in every notice, with no account: the
page lists that unit's milestones and takes a report (text, links, files) or an
extension request. Coordinators sign in and work from the board: plans and
their progress, units × tasks as lights, the review queue, ad-hoc checks, the
notices sent, the 台账 and the latest 通报. Viewers see the same and change
nothing. Every page is plain HTML (no script, nothing from a CDN), every form
carries a CSRF token, every value is escaped by jinja2's autoescape.
"""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from ledger import config
from ledger.db import open_ledger
from web import auth, board, drafts, health, unit, units
from web.pages import Clock, HeadAsGet, Web, real_clock, security_headers

__all__ = ["Clock", "create_app"]


def create_app(factory: sessionmaker[Session] | None = None, *, clock: Clock = real_clock,
               upload_mb: float | None = None) -> FastAPI:
    """The app on a ledger; ``clock`` is the moment pages count deadlines from (a demo
    runs on a simulated one), ``upload_mb`` a unit's limit per file."""
    app = FastAPI(title="督办", docs_url=None, redoc_url=None, openapi_url=None)
    web = Web(factory or open_ledger(config.database_url()), clock,
              int((upload_mb if upload_mb is not None else config.upload_mb()) * 1024 * 1024))
    app.middleware("http")(security_headers)
    app.add_middleware(HeadAsGet)
    auth.routes(app, web)
    unit.routes(app, web)
    board.routes(app, web)
    drafts.routes(app, web)
    units.routes(app, web)
    health.routes(app, web)  # /healthz, /metrics, and a 503 page when the database fails
    return app
