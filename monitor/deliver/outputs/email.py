"""Email output: one multipart/alternative message per digest (plain text first, HTML second), sent over SMTP.

Header values built from outside text (the subject carries topic names and, for alerts, a headline) go through
``header_text`` so that a title containing ``\\r\\nBcc: ...`` cannot add a header.

An SMTP server cannot be asked whether it already took a message, so a part whose sending was interrupted is sent again
(at least once); its Message-ID comes from the part's key, so every copy carries the same one and mail systems that
deduplicate by Message-ID can drop the repeat.
"""

from __future__ import annotations

import html
import logging
import re
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo

import css_inline

from monitor.clock import Clock, utc_now
from monitor.deliver.base import DeliveryError, Origin, Output, OutputContext, Part
from monitor.deliver.outputs.email_settings import CONTROL_CHARACTERS, EmailSettings
from monitor.deliver.render import count_text, headline, render_html, render_template, safe_link
from monitor.digest import Digest, DigestEntry
from monitor.match.types import Snippet
from monitor.text import error_words, one_line, shorten

log = logging.getLogger(__name__)

SUBJECT_CHARS = 200


def header_text(value: str, limit: int = SUBJECT_CHARS) -> str:
    """Text for a header: control characters (CR and LF among them) become spaces, all on one line, clipped."""
    return shorten(CONTROL_CHARACTERS.sub(" ", value), limit)


def _plain_snippet(snippet: Snippet) -> str:
    return snippet.marked("*", "*", escape=lambda text: re.sub(r"\s+", " ", text))


def _plain_copies(entry: DigestEntry) -> str:
    """The story's other outlets with their addresses: ``BBC Essex <https://...>, Echo``."""
    return ", ".join(
        one_line(copy.source_name) + (f" <{link}>" if (link := safe_link(copy.url)) else "") for copy in entry.also_in
    )


class EmailOutput(Output):
    name = "email"

    def __init__(
        self, settings: EmailSettings, zone: ZoneInfo, origin: Origin | None = None, clock: Clock = utc_now
    ) -> None:
        self.settings = settings
        self.zone = zone  # digest times arrive already in this zone; the Date header is written in it too
        self.origin = origin or Origin.here(Path("config"))
        self._clock = clock
        self._tls = ssl.create_default_context(cafile=settings.ca_file)
        self._domain = parseaddr(settings.from_)[1].rpartition("@")[2]

    @classmethod
    def from_section(cls, section: EmailSettings, context: OutputContext) -> EmailOutput:
        return cls(section, context.zone, context.origin)

    def destinations(self) -> tuple[str, ...]:
        return self.settings.destinations()

    def render(self, digest: Digest, *, alert: bool = False, destination: str | None = None) -> list[Part]:
        subject = self._subject(digest, alert)
        footer = self.footer(digest, alert, destination or self.destinations()[0])
        # Plain text: nothing is escaped, outside text is only put on one line.
        text = render_template(
            "email.txt.j2",
            digest=digest,
            alert=alert,
            footer=footer,
            plain_snippet=_plain_snippet,
            plain_copies=_plain_copies,
        )
        html = css_inline.inline(render_html(digest, alert=alert, footer=footer), load_remote_stylesheets=False)
        return [{"subject": subject, "text": text, "html": html, "list": "alerts" if alert else "digests"}]

    def _subject(self, digest: Digest, alert: bool) -> str:
        if not alert:
            return header_text(headline(digest, product=self.settings.subject_prefix))
        topics = ", ".join(section.topic_name for section in digest.sections)
        entries = [entry for section in digest.sections for entry in section.entries]
        what = entries[0].title if len(entries) == 1 else count_text(digest.total)
        return header_text(f"Beatwatch alert — {topics} — {what}")

    def footer(self, digest: Digest, alert: bool, destination: str) -> tuple[str, str]:
        """Who sent the message (this Beatwatch and its configuration folder) and why the reader gets it: the
        recipient list of outputs.email, or the route that sends these topics to ``destination``."""
        origin, what = self.origin, "alert" if alert else "digest"
        monitor_yaml = origin.config_dir / "monitor.yaml"
        named = f" “{origin.name}”" if origin.name else ""
        sent_by = f"Sent by Beatwatch{named} on {origin.host}; its configuration is in {origin.config_dir}."
        if destination == self.destinations()[0]:
            why = f"you are on its recipient list (outputs.email.to in {monitor_yaml}): {destination}"
        else:
            topics = ", ".join(section.topic_name for section in digest.sections)
            why = f"a route in {monitor_yaml} sends {topics or 'its topics'} to {destination}"
        return sent_by, f"You get this {what} because {why}. To change who gets it, ask whoever runs this Beatwatch."

    def render_notice(self, title: str, text: str) -> list[Part]:
        subject = header_text(f"Beatwatch notice — {title}")
        return [{"subject": subject, "text": text, "html": f"<pre>{html.escape(text)}</pre>", "list": "notices"}]

    def send(self, destination: str, part: Part, receipts: Sequence[str | None], *, key: str) -> str | None:
        message = self._message(destination, part, key)
        try:
            refused = self._deliver(message)
        except (smtplib.SMTPException, OSError) as error:
            raise self._failure(destination, error) from error
        if refused:  # some recipients took it: sending again would give them a second copy
            log.warning(
                "email to %s: the SMTP server %s refused %s",
                destination,
                self.settings.host,
                "; ".join(f"{address} ({code} {_text(reply)})" for address, (code, reply) in refused.items()),
            )
        return message["Message-ID"]

    def _message(self, destination: str, part: Part, key: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.from_
        message["To"] = header_text(destination, limit=10_000)
        message["Subject"] = header_text(part["subject"])
        # The local time with its real offset (+0000 in winter, +0100 in summer for Europe/London), not -0000.
        message["Date"] = format_datetime(self._clock().astimezone(self.zone))
        message["Message-ID"] = f"<{key}@{self._domain}>"
        # One list per kind, so a reader can filter digests, alerts and notices; parts queued before it existed are
        # digests.
        kind = part.get("list", "digests")
        message["List-Id"] = f"Beatwatch {kind} <beatwatch-{kind}.{self._domain}>"
        message["Auto-Submitted"] = "auto-generated"  # asks mail systems not to send out-of-office replies
        message.set_content(part["text"])
        message.add_alternative(part["html"], subtype="html")
        return message

    def _deliver(self, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
        """Send ``message``; return the recipients the server refused while taking the others."""
        settings = self.settings
        smtp: smtplib.SMTP  # SMTP_SSL is an SMTP that speaks TLS from the first byte
        if settings.security == "ssl":
            smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=self._tls)
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        try:
            if settings.security == "starttls":
                smtp.starttls(context=self._tls)
            if settings.username:
                smtp.login(settings.username, settings.password)
            return smtp.send_message(message)
        finally:
            _close(smtp)

    def _failure(self, destination: str, error: Exception) -> DeliveryError:
        server = f"{self.settings.host}:{self.settings.port}"

        def failed(
            reason: str, *, retryable: bool, config_problem: bool = False, unknown: bool = False
        ) -> DeliveryError:
            return DeliveryError(
                self.name,
                destination,
                reason,
                retryable=retryable,
                config_problem=config_problem,
                outcome_unknown=unknown,
            )

        if isinstance(error, smtplib.SMTPAuthenticationError):
            return failed(
                f"the SMTP server {server} refused the login of {self.settings.username!r} "
                f"({error.smtp_code} {_text(error.smtp_error)}); check SMTP_USERNAME and SMTP_PASSWORD "
                "(outputs.email.username and password in monitor.yaml)",
                retryable=False,
                config_problem=True,
            )
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            replies = error.recipients.values()
            temporary = any(400 <= code < 500 for code, _ in replies)
            refused = "; ".join(f"{who}: {code} {_text(reply)}" for who, (code, reply) in error.recipients.items())
            hint = "will try again" if temporary else "check the addresses in outputs.email.to or the route's email_to"
            return failed(
                f"the SMTP server {server} refused every recipient ({refused}); {hint}",
                retryable=temporary,
                config_problem=not temporary,
            )
        if isinstance(error, smtplib.SMTPResponseException):
            temporary = 400 <= error.smtp_code < 500
            return failed(
                f"the SMTP server {server} answered {error.smtp_code} {_text(error.smtp_error)}", retryable=temporary
            )
        if isinstance(error, smtplib.SMTPServerDisconnected):
            return failed(f"the SMTP server {server} closed the connection ({error})", retryable=True, unknown=True)
        if isinstance(error, smtplib.SMTPException):  # e.g. no STARTTLS or AUTH on offer
            return failed(
                f"the SMTP server {server} cannot do what outputs.email asks: {error}; check security, "
                "port and username in monitor.yaml",
                retryable=False,
                config_problem=True,
            )
        if isinstance(error, ssl.SSLCertVerificationError):
            return failed(
                f"the certificate of {server} is not trusted ({error.verify_message}); check host, or set "
                "ca_file for a private CA",
                retryable=False,
                config_problem=True,
            )
        # Refused: nothing was sent. Anything else (a timeout, a reset) may have come after the server took the message.
        return failed(
            f"could not talk to the SMTP server {server}: {error_words(error, 'it closed the connection')}",
            retryable=True,
            unknown=not isinstance(error, ConnectionRefusedError),
        )


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _close(smtp: smtplib.SMTP) -> None:
    """Say goodbye; a server that fails at QUIT has already accepted or refused the message, so that is no error."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
