"""What a coordinator's page asks before it answers, as FastAPI dependencies.

``Signed``: someone is signed in (a coordinator or a viewer), for a page that shows.
``Changing``: a coordinator posting a form with the session's CSRF token (the form's
``csrf`` field), for a page that changes something. ``OnPlan`` and ``ChangingPlan``:
the same for a ``/p/{key}`` page, with the plan's key; the plan itself is read in the
page's own transaction (``PlanPage.open``), 404 when there is none, and never outlives
that transaction.

They apply ``auth.guard`` unchanged: nobody signed in goes to the login page, a form
without its session's token and a viewer changing anything get 403. The answer given
instead of the page is raised as ``Refused`` and turned back into that response by the
handler ``install`` registers on the app.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ledger.db import transaction
from ledger.models import Plan
from ledger.reports import ActionError, get_plan
from ledger.users import SignedIn
from web import auth
from web.pages import Web, WebDep


class Refused(Exception):
    """The answer a dependency gives in place of the page: the login redirect, a 403 or a
    404 page."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


async def _answer(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    return exc.response


def install(app: FastAPI, web: Web) -> None:
    """The app's ``Web`` where route functions find it, and ``Refused`` answered."""
    app.state.web = web
    app.add_exception_handler(Refused, _answer)


def _passed(answer: SignedIn | Response) -> SignedIn:
    if isinstance(answer, SignedIn):
        return answer
    raise Refused(answer)


def signed(request: Request, web: WebDep) -> SignedIn:
    """Signed in, coordinator or viewer: the pages that only show."""
    return _passed(auth.guard(web, request))


def changing(request: Request, web: WebDep, csrf: Annotated[str, Form()] = "") -> SignedIn:
    """A coordinator's form carrying the session's CSRF token: the pages that change."""
    return _passed(auth.guard(web, request, csrf, change=True))


Signed = Annotated[SignedIn, Depends(signed)]
Changing = Annotated[SignedIn, Depends(changing)]


def find_plan(session: Session, key: str) -> Plan | None:
    try:
        return get_plan(session, key)
    except ActionError:
        return None


@dataclass(frozen=True)
class PlanPage:
    """A ``/p/{key}`` page: who asks, for which plan."""

    web: Web
    who: SignedIn
    key: str

    def find(self, session: Session) -> Plan | None:
        return find_plan(session, self.key)

    def get(self, session: Session) -> Plan:
        """The plan, or the 404 page raised in its place."""
        plan = self.find(session)
        if plan is None:
            raise Refused(self.web.refuse(404, f"没有计划 {self.key}。", self.who))
        return plan

    @contextmanager
    def open(self) -> Iterator[tuple[Session, Plan]]:
        """A transaction and the plan in it (404 when there is none)."""
        with transaction(self.web.ledger) as s:
            yield s, self.get(s)


def plan_page(key: str, who: Signed, web: WebDep) -> PlanPage:
    return PlanPage(web, who, key)


def plan_change(key: str, who: Changing, web: WebDep) -> PlanPage:
    return PlanPage(web, who, key)


OnPlan = Annotated[PlanPage, Depends(plan_page)]
ChangingPlan = Annotated[PlanPage, Depends(plan_change)]
