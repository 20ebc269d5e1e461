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

import datetime as dt
import os

import pendulum
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp

from ledger import config
from ledger.db import open_ledger
from web import auth, board, deps, documents, drafts, health, outbox, review, unit, units
from web.pages import (
    Clock,
    HeadAsGet,
    SecurityHeaders,
    Web,
    error_pages,
    offset_clock,
    real_clock,
)
from web.uploads import UploadGate

__all__ = ["Clock", "create_app", "worker_app"]
WEB_AT = "DUBAN_WEB_AT"  # a demo's simulated start, handed from `duban web` to its workers


class Pages(FastAPI):
    """The app with its headers around everything, Starlette's last-resort 500 included."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


def create_app(
    factory: sessionmaker[Session] | None = None,
    *,
    clock: Clock = real_clock,
    upload_mb: float | None = None,
) -> FastAPI:
    """The app on a ledger; ``clock`` is the moment pages count deadlines from (a demo
    runs on a simulated one), ``upload_mb`` a unit's limit per file."""
    app = Pages(title="督办", docs_url=None, redoc_url=None, openapi_url=None)
    web = Web(
        factory or open_ledger(config.database_url()),
        clock,
        int((upload_mb if upload_mb is not None else config.upload_mb()) * 1024 * 1024),
    )
    error_pages(app, web)
    deps.install(app, web)  # app.state.web for the route functions, and their refusals
    app.add_middleware(UploadGate, web=web)
    app.add_middleware(HeadAsGet)
    for module in (auth, unit, board, review, documents, outbox, drafts, units):
        app.include_router(module.router)
    health.routes(app, web)  # /healthz, /metrics, and a 503 page when the database fails
    return app


def worker_app() -> FastAPI:
    """One of ``duban web --workers N``'s processes. The parent migrated the ledger; a
    worker only checks it is current (N workers must not race to migrate). Sessions,
    CSRF tokens, link secrets and login limits are in the ledger or the data folder,
    so any worker answers any request."""
    at = os.environ.get(WEB_AT)
    start = pendulum.parse(at) if at else None
    clock = offset_clock(start) if isinstance(start, dt.datetime) else real_clock
    return create_app(open_ledger(config.database_url(), migrate=False), clock=clock)
