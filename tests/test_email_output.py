"""The email output against aiosmtpd on 127.0.0.1: the message as received, TLS and login, and SMTP failures."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from pydantic import ValidationError

from monitor.deliver import DeliveryError
from monitor.deliver.outputs.email import EmailOutput, header_text
from monitor.deliver.outputs.email_settings import EmailSettings
from monitor.digest import Digest, DigestEntry, DigestSection, SourceProblem
from monitor.match.types import Snippet
from tests.smtp_server import Inbox

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=LONDON)  # Thu 26 Nov 2026
SENDER = "Beatwatch <beatwatch@example.org>"
NEWSDESK = ["newsdesk@example.org", "Crime Desk <crime@example.org>"]
USER, PASSWORD = "beatwatch", "correct horse"
KEY = "beatwatch-0123456789abcdef0123456789abcdef-1"  # a part key, as the outbox makes them


def entry(number: int, title: str, *, url: str | None = None) -> DigestEntry:
    text = f"Officers said the stabbing number {number} happened near the pier."
    start = text.index("stabbing")
    return DigestEntry(
        match_ids=(number,),
        topic_id="knife-crime",
        title=title,
        url=url or f"https://echo.example.test/news/{number}",
        source_name="Southend Echo",
        published=NOW - timedelta(minutes=number),
        terms=("stabbing",),
        snippet=Snippet(text, ((start, start + len("stabbing")),)),
    )


def digest(*entries: DigestEntry) -> Digest:
    section = DigestSection("knife-crime", "Knife crime", entries)
    return Digest(
        NOW,
        NOW - timedelta(days=1),
        (section,),
        (SourceProblem("Essex Police news", "failing since Wed 25 Nov 2026 09:00"),),
    )


TITLES = ("Stabbing near Southend pier", "Teenager arrested after knife attack in Leigh")


def check_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # unhandled: aiosmtpd answers 535 itself


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command (the venv has no `cryptography`)."""
    if not shutil.which("openssl"):
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_tls(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def output(port: int, **overrides) -> EmailOutput:
    values = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from": SENDER,
        "to": NEWSDESK,
        "timeout": 5,
    } | overrides
    return EmailOutput(EmailSettings(**values), LONDON)


def send(out: EmailOutput, the_digest: Digest, *, alert: bool = False) -> str | None:
    [part] = out.render(the_digest, alert=alert)
    return out.send(out.destinations()[0], part, [], key=KEY)


def test_a_digest_arrives_as_plain_text_then_html(smtp_server):
    inbox = Inbox()
    out = output(smtp_server(inbox))

    brief = [replace(entry(n, f"Further story {n}"), shown_in_full=False) for n in (3, 4)]
    receipt = send(out, digest(entry(1, TITLES[0]), entry(2, TITLES[1]), *brief))

    [(recipients, message)] = inbox.received
    assert recipients == ["newsdesk@example.org", "crime@example.org"]
    assert message["Subject"] == "Beatwatch 08:00 digest — Thu 26 Nov 2026 — 4 new stories"
    assert message["From"] == SENDER and message["To"] == ", ".join(NEWSDESK)
    assert message["Date"] and message["Message-ID"] == receipt and receipt.endswith("@example.org>")
    assert message.get_content_type() == "multipart/alternative"
    plain, html = message.get_payload()
    assert (plain.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    text, markup = plain.get_content(), html.get_content()
    for title in TITLES:
        assert title in text and title in markup
    assert text.index(TITLES[0]) < text.index(TITLES[1]) and markup.index(TITLES[0]) < markup.index(TITLES[1])
    assert "https://echo.example.test/news/1" in text and 'href="https://echo.example.test/news/1"' in markup
    assert "*stabbing*" in text and "Essex Police news" in text
    for n in (3, 4):  # beyond max_items_per_topic: a title and its link, in both parts
        assert f"Further story {n}" in text and f"https://echo.example.test/news/{n}" in text
        assert f'href="https://echo.example.test/news/{n}"' in markup
    assert "<style" not in markup and 'style="' in markup  # CSS inlined for mail clients
    assert "<script" not in markup


def test_a_part_sent_again_carries_the_same_message_id_and_another_part_another(smtp_server):
    """An SMTP server cannot be asked whether it took a message, so a part whose sending was interrupted is sent again:
    with the Message-ID its key fixes, so the copy is recognisably the same message."""
    inbox = Inbox()
    out = output(smtp_server(inbox))
    [part] = out.render(digest(entry(1, TITLES[0])))

    receipts = [out.send(out.destinations()[0], part, [], key=key) for key in (KEY, KEY, KEY[:-1] + "2")]

    assert [message["Message-ID"] for _, message in inbox.received] == receipts
    assert receipts[0] == receipts[1] == f"<{KEY}@example.org>" and receipts[2] != receipts[0]
    assert out.look_up(out.destinations()[0], KEY, [], since=NOW).asked is False


def test_an_alert_subject_names_the_topic_and_the_story(smtp_server):
    inbox = Inbox()
    send(output(smtp_server(inbox)), digest(entry(1, TITLES[0])), alert=True)

    [(_, message)] = inbox.received
    assert message["Subject"] == f"Beatwatch alert — Knife crime — {TITLES[0]}"


def test_a_title_cannot_add_a_header(smtp_server):
    inbox = Inbox()
    hostile = "Knife attack\r\nBcc: victim@example.org\r\nX-Evil: 1\n\nbody"

    send(output(smtp_server(inbox)), digest(entry(1, hostile)), alert=True)

    [(recipients, message)] = inbox.received
    assert recipients == ["newsdesk@example.org", "crime@example.org"]
    assert message["Bcc"] is None and message["X-Evil"] is None
    subject = "Beatwatch alert — Knife crime — Knife attack Bcc: victim@example.org X-Evil: 1 body"
    assert message["Subject"] == subject


def test_header_text_strips_every_control_character():
    assert header_text("a\rb\nc\x00d\x1be\u2028f\x85g\tt") == "a b c d e f g t"


PLAIN_AUTH = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@PLAIN_AUTH
def test_login_over_a_plain_connection(smtp_server):
    inbox = Inbox()
    port = smtp_server(inbox, authenticator=check_login, auth_required=True, auth_require_tls=False)

    send(output(port, username=USER, password=PASSWORD), digest(entry(1, TITLES[0])))

    assert len(inbox.received) == 1


@PLAIN_AUTH
def test_a_refused_login_is_a_config_problem(smtp_server):
    inbox = Inbox()
    port = smtp_server(inbox, authenticator=check_login, auth_required=True, auth_require_tls=False)

    with pytest.raises(DeliveryError) as failure:
        send(output(port, username=USER, password="wrong"), digest(entry(1, TITLES[0])))

    assert failure.value.config_problem and not failure.value.retryable
    assert "SMTP_PASSWORD" in failure.value.reason and not inbox.received


def test_starttls_then_login(smtp_server, certificate):
    inbox = Inbox()
    port = smtp_server(
        inbox, tls_context=server_tls(certificate), require_starttls=True, authenticator=check_login, auth_required=True
    )

    send(
        output(port, security="starttls", username=USER, password=PASSWORD, ca_file=str(certificate[0])),
        digest(entry(1, TITLES[0])),
    )

    assert len(inbox.received) == 1


def test_implicit_tls(smtp_server, certificate):
    inbox = Inbox()
    port = smtp_server(inbox, ssl_context=server_tls(certificate))

    send(output(port, security="ssl", ca_file=str(certificate[0])), digest(entry(1, TITLES[0])))

    assert len(inbox.received) == 1


def test_an_untrusted_certificate_is_a_config_problem(smtp_server, certificate):
    port = smtp_server(Inbox(), tls_context=server_tls(certificate), require_starttls=True)

    with pytest.raises(DeliveryError) as failure:
        send(output(port, security="starttls"), digest(entry(1, TITLES[0])))  # the system CAs do not know it

    assert failure.value.config_problem and not failure.value.retryable and "ca_file" in failure.value.reason


def test_starttls_on_a_server_without_it_is_a_config_problem(smtp_server):
    with pytest.raises(DeliveryError) as failure:
        send(output(smtp_server(Inbox()), security="starttls"), digest(entry(1, TITLES[0])))

    assert failure.value.config_problem and not failure.value.retryable and "STARTTLS" in failure.value.reason


@pytest.mark.parametrize(
    ("reply", "retryable"),
    [("451 4.3.0 try later", True), ("550 5.7.1 message refused", False)],
)
def test_refusals_are_retryable_only_when_temporary(smtp_server, reply, retryable):
    with pytest.raises(DeliveryError) as failure:
        send(output(smtp_server(Inbox(reply=reply))), digest(entry(1, TITLES[0])))

    assert failure.value.retryable is retryable and not failure.value.config_problem
    assert reply in failure.value.reason and failure.value.output == "email"
    assert failure.value.destination == ", ".join(NEWSDESK)


def test_a_connection_dropped_mid_message_is_retryable(smtp_server):
    with pytest.raises(DeliveryError) as failure:
        send(output(smtp_server(Inbox(hang_up=True))), digest(entry(1, TITLES[0])))

    assert failure.value.retryable and not failure.value.config_problem
    assert failure.value.outcome_unknown  # the server may have taken it before the line dropped


@pytest.mark.parametrize(("reply", "retryable"), [("450 4.2.0 mailbox busy", True), ("550 5.1.1 no such user", False)])
def test_every_recipient_refused_is_retried_only_when_temporary(smtp_server, reply, retryable):
    refuse = {"newsdesk@example.org": reply, "crime@example.org": reply}

    with pytest.raises(DeliveryError) as failure:
        send(output(smtp_server(Inbox(refuse=refuse))), digest(entry(1, TITLES[0])))

    assert failure.value.retryable is retryable and failure.value.config_problem is not retryable
    assert "crime@example.org: " + reply[:3] in failure.value.reason


def test_one_refused_recipient_is_logged_and_the_others_get_the_digest(smtp_server, caplog):
    inbox = Inbox(refuse={"crime@example.org": "550 5.1.1 no such user"})

    receipt = send(output(smtp_server(inbox)), digest(entry(1, TITLES[0])))

    [(recipients, message)] = inbox.received
    assert recipients == ["newsdesk@example.org"] and message["Message-ID"] == receipt
    assert "crime@example.org (550" in caplog.text


@pytest.fixture
def silent_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]  # connections are queued but never greeted


def test_a_server_that_never_answers_is_a_retryable_timeout(silent_port):
    with pytest.raises(DeliveryError) as failure:
        send(output(silent_port, timeout=0.3), digest(entry(1, TITLES[0])))

    assert failure.value.retryable and "timed out" in failure.value.reason


@pytest.fixture
def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]  # bound but not listening: connections to it are refused


def test_a_refused_connection_is_retryable(closed_port):
    with pytest.raises(DeliveryError) as failure:
        send(output(closed_port), digest(entry(1, TITLES[0])))

    assert failure.value.retryable and not failure.value.config_problem and not failure.value.outcome_unknown
    assert "could not talk to the SMTP server" in failure.value.reason


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"to": []}, "at least 1"),
        ({"to": ["newsdesk"]}, "not an email address"),
        ({"from": "Beatwatch\r\nBcc: x@example.org <b@example.org>"}, "line break"),
        ({"security": "tls"}, "security"),
    ],
)
def test_settings_say_what_is_wrong(values, complaint):
    with pytest.raises(ValidationError) as failure:
        EmailSettings(**({"host": "smtp.example.org", "from": SENDER, "to": NEWSDESK} | values))

    assert complaint in str(failure.value)
