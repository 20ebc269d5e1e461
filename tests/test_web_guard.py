"""What the pages refuse and how: sign-in limits that every worker shares and nobody can
turn against a coordinator, a unit's upload refused before it is stored, evidence that
is a real file, and error pages (404, 500, 503, an unknown filter) that are Chinese
pages with the security headers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import Message

from ledger.db import open_ledger, transaction
from ledger.evidence import EvidenceError, safe_name, store
from ledger.models import Milestone, Report, Unit
from ledger.users import add_user
from tests.conftest import at, cli
from web import create_app
from web.pages import offset_clock, unit_csrf

PLAN = "zhongshan-2021-zwgk"
PASSWORD = "correct horse 9"
CSP = "content-security-policy"


def sign_in(web: TestClient, name: str, password: str, **headers: str) -> tuple[int, str]:
    page = web.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = web.post(
        "/login",
        data={"name": name, "password": password, "csrf": token},
        headers=headers,
        follow_redirects=False,
    )
    return r.status_code, r.text


@pytest.fixture
def accounts(database_url: str) -> sessionmaker[Session]:
    factory = open_ledger(database_url)
    with transaction(factory) as s:
        add_user(s, "王科长", "coordinator", PASSWORD, actor="test")
    return factory


def browser(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))


# ---------------------------------------------------------------- sign-in


def test_an_unknown_name_gets_the_answers_a_real_one_gets(accounts: sessionmaker[Session]) -> None:
    app = create_app(accounts)
    real = [sign_in(browser(app, "10.0.0.1"), "王科长", "wrong password") for _ in range(6)]
    fake = [sign_in(browser(app, "10.0.0.2"), "王科员", "wrong password") for _ in range(6)]
    assert [c for c, _ in real] == [c for c, _ in fake] == [401] * 6
    message = re.compile(r'<div class="error">([^<]*)</div>')
    assert [message.findall(t) for _, t in real] == [message.findall(t) for _, t in fake]
    assert "暂停登录" in real[-1][1] and "暂停登录" not in real[-2][1]


def test_wrong_passwords_from_one_address_do_not_lock_the_coordinator_out(
    accounts: sessionmaker[Session],
) -> None:
    app = create_app(accounts)
    stranger, office = browser(app, "203.0.113.9"), browser(app, "10.1.2.3")
    assert [sign_in(stranger, "王科长", "guess-guess")[0] for _ in range(5)] == [401] * 5
    code, text = sign_in(stranger, "王科长", PASSWORD)
    assert code == 401 and "暂停登录" in text  # that address waits, even with the password
    assert sign_in(office, "王科长", PASSWORD)[0] == 303  # the coordinator signs in


def test_every_worker_counts_the_same_failures(accounts: sessionmaker[Session]) -> None:
    """Two apps on one ledger stand for two worker processes."""
    one, two = create_app(accounts), create_app(accounts)
    codes = [
        sign_in(browser(app, "198.51.100.7"), f"nobody{n}", "x" * 12)[0]
        for n, app in enumerate([one, two] * 5)
    ]
    assert codes == [401] * 10
    code, text = sign_in(browser(one, "198.51.100.7"), "王科长", PASSWORD)
    assert code == 429 and "过于频繁" in text
    assert sign_in(browser(two, "198.51.100.8"), "王科长", PASSWORD)[0] == 303


def test_forwarded_addresses_are_believed_only_from_configured_proxies(
    accounts: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(accounts)
    rotating = [
        sign_in(
            browser(app, "192.0.2.50"),
            f"nobody{n}",
            "x" * 12,
            **{"X-Forwarded-For": f"172.16.0.{n}"},
        )[0]
        for n in range(11)
    ]
    assert rotating == [401] * 10 + [429]  # a header anyone can send changes nothing
    monkeypatch.setenv("DUBAN_TRUSTED_PROXIES", "192.0.2.60, 10.9.0.0/16")
    proxy = browser(app, "192.0.2.60")
    # Through the proxy: each client is its own address, the forged hop before it ignored.
    assert [
        sign_in(
            proxy, f"nobody{n}", "x" * 12, **{"X-Forwarded-For": f"6.6.6.6, 172.16.1.{n}, 10.9.3.4"}
        )[0]
        for n in range(12)
    ] == [401] * 12
    same = [
        sign_in(proxy, f"nobody{n}", "x" * 12, **{"X-Forwarded-For": "172.16.2.1"})[0]
        for n in range(11)
    ]
    assert same == [401] * 10 + [429]


# ---------------------------------------------------------------- error pages


def test_error_pages_are_chinese_pages_with_the_security_headers(
    accounts: sessionmaker[Session], tmp_path: Path
) -> None:
    app = create_app(accounts)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    web = TestClient(app, raise_server_exceptions=False)
    for path, code, words in (("/no/such/page", 404, "没有这个页面"), ("/boom", 500, "系统出错")):
        r = web.get(path)
        assert r.status_code == code and words in r.text, path
        assert "'none'" in r.headers[CSP] and r.headers["x-frame-options"] == "DENY", path
    r = web.post("/login", data={})  # a form without its fields: a page, not JSON
    assert r.status_code in (400, 403) and "<html" in r.text and CSP in r.headers


@pytest.mark.parametrize(
    "url", ["sqlite:///{tmp}/no-folder/ledger.db", "postgresql+psycopg://postgres@127.0.0.1:1/test"]
)
def test_a_database_that_cannot_be_reached_is_a_503_page(url: str, tmp_path: Path) -> None:
    engine = create_engine(
        url.format(tmp=tmp_path),
        connect_args={} if url.startswith("sqlite") else {"connect_timeout": 2},
    )
    web = TestClient(create_app(sessionmaker(engine)), raise_server_exceptions=False)
    for r in (
        web.get("/u/abcdefghijkl"),  # a page, and a form stopped at the upload gate
        web.post("/u/abcdefghijkl/report", data={"csrf": "x", "text": "x"}),
    ):
        assert r.status_code == 503 and "数据库暂时无法访问" in r.text
        assert r.headers["retry-after"] and "'none'" in r.headers[CSP]


def test_an_unknown_unit_filter_is_a_page_that_says_so(ledger: sessionmaker[Session]) -> None:
    with transaction(ledger) as s:
        add_user(s, "王科长", "coordinator", PASSWORD, actor="test")
    web = TestClient(create_app(ledger))
    assert sign_in(web, "王科长", PASSWORD)[0] == 303
    for path in (
        f"/p/{PLAN}?unit=不存在的单位",
        "/notices?unit=不存在的单位",
        f"/notices?plan={PLAN}&unit=不存在的单位",
    ):
        r = web.get(path)
        assert r.status_code == 200, path
        assert "不存在的单位" in r.text and "没有" in r.text and CSP in r.headers, path
    r = web.get(f"/p/{PLAN}?unit=司法局")
    assert r.status_code == 200 and "没有找到单位" not in r.text


# ---------------------------------------------------------------- uploads


def multipart(csrf: str, file_bytes: int, chunk: int = 256 * 1024) -> Iterator[bytes]:
    """A unit's form as a browser streams it: the fields, then one file, in chunks."""
    b = b"----duban-test"
    yield (
        b"--"
        + b
        + b'\r\ncontent-disposition: form-data; name="csrf"\r\n\r\n'
        + csrf.encode()
        + b"\r\n--"
        + b
        + b"\r\ncontent-disposition: form-data; "
        b'name="text"\r\n\r\nreport\r\n--' + b + b"\r\ncontent-disposition: form-data; "
        b'name="files"; filename="scan.pdf"\r\ncontent-type: application/pdf\r\n\r\n'
    )
    sent = 0
    while sent < file_bytes:
        yield b"x" * min(chunk, file_bytes - sent)
        sent += chunk
    yield b"\r\n--" + b + b"--\r\n"


def post_streamed(
    app: FastAPI, path: str, body: Iterator[bytes], declared: int | None = None
) -> tuple[int, int]:
    """POST through the ASGI interface as a server would: the status and how many bytes
    of the body the app pulled."""
    pulled, status = 0, 0
    headers = [(b"content-type", b"multipart/form-data; boundary=----duban-test")]
    if declared is not None:
        headers.append((b"content-length", str(declared).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("10.0.0.1", 5000),
        "server": ("testserver", 80),
    }

    async def receive() -> Message:
        nonlocal pulled
        chunk = next(body, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    anyio.run(app, scope, receive, send)
    return status, pulled


def test_a_unit_upload_is_refused_before_it_is_stored(ledger: sessionmaker[Session]) -> None:
    cli("sweep", "--at", "2021-07-12T09:00")
    token = re.search(
        r"/u/([A-Za-z0-9]{12})",  # type: ignore[union-attr]
        cli("links", "issue", "司法局", "--plan", PLAN),
    ).group(1)
    with transaction(ledger) as s:
        mid = s.scalars(
            select(Milestone.id)
            .join(Unit, Unit.id == Milestone.unit_id)
            .where(Unit.name == "市司法局", Milestone.state == "open")
            .order_by(Milestone.due_at, Milestone.id)
        ).first()
    app = create_app(ledger, clock=offset_clock(at("2021-07-12T10:00")), upload_mb=0.1)
    limit = int(0.1 * 1024 * 1024) * 20 + 2 * 1024 * 1024  # files × DUBAN_UPLOAD_MB + text
    big = 300 * 1024 * 1024
    # A forged link: refused before a byte of the body is read.
    assert post_streamed(app, "/u/forgedtoken0/report", multipart("x", big)) == (404, 0)
    # A real link, a body declared too large: refused before reading.
    assert post_streamed(
        app, f"/u/{token}/report", multipart(unit_csrf(token), big), declared=big
    ) == (413, 0)
    # A real link without its form's token: refused once the first fields are in.
    status, pulled = post_streamed(app, f"/u/{token}/report", multipart("guess", big))
    assert status == 403 and pulled < 64 * 1024 + 256 * 1024
    # Declared small, streamed large: stopped at the bound.
    status, pulled = post_streamed(
        app, f"/u/{token}/report", multipart(unit_csrf(token), big), declared=1000
    )
    assert status == 413 and pulled <= limit + 256 * 1024
    with transaction(ledger) as s:
        assert s.scalars(select(Report)).all() == []
        assert s.get_one(Milestone, mid).state == "open"
    # Within the bounds the same form is taken.
    web = TestClient(app)
    r = web.post(
        f"/u/{token}/report",
        follow_redirects=False,
        data={"milestone": mid, "text": "已报备", "csrf": unit_csrf(token)},
        files=[("files", ("\u202efdp.exe.pdf", b"%PDF-1.4", "application/pdf"))],
    )
    assert r.status_code == 303, r.text
    with transaction(ledger) as s:
        assert [f.rsplit("/", 1)[-1] for f in s.scalars(select(Report)).one().files] == [
            "fdp.exe.pdf"
        ]


# ---------------------------------------------------------------- evidence


def test_evidence_must_be_a_real_file_reached_without_links(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "scan.pdf").write_bytes(b"%PDF")
    (tmp_path / "linked").symlink_to(real)
    fifo = tmp_path / "pipe.pdf"
    import os

    os.mkfifo(fifo)
    root = tmp_path / "evidence"
    for path, why in (
        (Path("/proc/self/environ"), "系统目录 /proc"),
        (Path("/sys/kernel/hostname"), "系统目录 /sys"),
        (Path("/dev/zero"), "系统目录 /dev"),
        (tmp_path / "linked" / "scan.pdf", "是符号链接"),
        (fifo, "不是普通文件"),  # refused at once, never waited on
        (real, "不是普通文件"),
    ):
        with pytest.raises(EvidenceError, match=re.escape(why)):
            store([path], root, "plan")
    assert not root.exists() or not any(p.is_file() for p in root.rglob("*"))
    assert len(store([real / "scan.pdf"], root, "plan")) == 1


def test_a_report_from_the_command_line_refuses_the_environment_as_evidence(
    ledger: sessionmaker[Session],
) -> None:
    from typer.testing import CliRunner

    from duban.cli import app

    r = CliRunner().invoke(
        app,
        [
            "report",
            PLAN,
            "--unit",
            "市司法局",
            "--task",
            "t26",
            "--text",
            "附件",
            "--file",
            "/proc/self/environ",
        ],
    )
    assert r.exit_code != 0 and "/proc" in r.output
    with transaction(ledger) as s:
        assert s.scalars(select(Report)).all() == []


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("报告\u202efdp.exe", "报告fdp.exe"),
        ("a\u200bb\u2066c\u2069.pdf", "abc.pdf"),
        ("..\\..\\windows\\evil.docx", "evil.docx"),
        ("line\nbreak\u2028.pdf", "linebreak.pdf"),
    ],
)
def test_stored_names_lose_bidi_and_control_characters(given: str, kept: str) -> None:
    assert safe_name(given) == kept
