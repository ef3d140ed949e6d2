"""The SMTP edge: send the downtime notices as e-mail (smtplib), and nothing else.

The server comes from `RDM_SMTP_URL`, in one of three forms:

- ``smtps://[USER[:PASSWORD]@]HOST[:PORT]``: TLS from the first byte (port 465).
- ``smtp://[USER[:PASSWORD]@]HOST[:PORT]``: STARTTLS, required (port 587). A
  server that does not offer it gets nothing: no login, no message.
- ``smtp+insecure://HOST[:PORT]``: no TLS at all (port 25), only to a relay on
  this machine (a loopback address or ``localhost``) and without credentials.

USER and PASSWORD are percent-encoded (``notices%40saas.com.br``). Certificates
are verified against the system's CA store (``SSL_CERT_FILE`` names another
bundle, e.g. a company CA). The password is never printed: messages name the
server as ``smtp://USER:***@HOST:PORT``, and an error text is scrubbed of the
password before it is raised.

Headers are built with `email.headerregistry` and checked again here: a line
break in any header value is refused, whatever the caller passed, so a client
name or a title cannot add a recipient. The Message-ID's domain is the sender's,
so that no machine name leaks into it.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import unquote, urlsplit

from rdm.edges.loopback import is_loopback
from rdm.i18n import _
from rdm.model.problems import ExternalError, UsageError

ENV_URL = "RDM_SMTP_URL"
_DEFAULT_PORTS = {"smtps": 465, "smtp": 587, "smtp+insecure": 25}


class MailError(ExternalError):
    """The SMTP server could not be reached, refused us, or refused the message.

    `sent` lists the messages that went out before the failure.
    """

    def __init__(self, message: str, sent: Sequence[Sent] = ()) -> None:
        super().__init__(message)
        self.sent = tuple(sent)


@dataclass(frozen=True)
class SmtpUrl:
    scheme: str  # smtps | smtp | smtp+insecure
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def redacted(self) -> str:
        """The URL as it may be shown: the password replaced by ***."""
        user = ""
        if self.username is not None:
            user = self.username + (":***" if self.password is not None else "") + "@"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{user}{host}:{self.port}"


def parse_smtp_url(text: str) -> SmtpUrl:
    """Read `RDM_SMTP_URL`; a form rdm does not use is a `UsageError` (exit 2)."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError as exc:
        raise UsageError(
            _("{var} is not a URL: {reason}").format(var=ENV_URL, reason=_no_password(text, exc))
        ) from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise UsageError(
            _(
                "{var} must start with smtps://, smtp:// (STARTTLS) or smtp+insecure:// "
                "(a relay on this machine), not {scheme}://"
            ).format(var=ENV_URL, scheme=scheme or _("nothing"))
        )
    host = parts.hostname
    if not host:
        raise UsageError(_("{var} names no host (smtp://HOST:PORT)").format(var=ENV_URL))
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise UsageError(
            _(
                "{var} takes no path, query or fragment: {scheme}://[USER:PASSWORD@]HOST[:PORT]"
            ).format(var=ENV_URL, scheme=scheme)
        )
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    url = SmtpUrl(scheme, host, port or _DEFAULT_PORTS[scheme], username, password)
    if scheme == "smtp+insecure":
        if not is_loopback(host):
            raise UsageError(
                _(
                    "{var}: smtp+insecure:// sends in the clear and is only for a relay on "
                    "this machine (localhost, 127.0.0.1, ::1), not {host}; use smtps:// or "
                    "smtp://"
                ).format(var=ENV_URL, host=host)
            )
        if username is not None:
            raise UsageError(
                _(
                    "{var}: no credentials over smtp+insecure:// (they would travel in the "
                    "clear); use smtps:// or smtp:// (STARTTLS)"
                ).format(var=ENV_URL)
            )
    return url



@dataclass(frozen=True)
class Outgoing:
    """One message: who sends, to whom, what. Texts are plain pt-BR (UTF-8)."""

    sender_name: str
    sender_email: str
    to: tuple[tuple[str | None, str], ...]  # (display name, address)
    subject: str
    body: str
    reply_to: str | None = None
    id_left: str = "rdm"  # left part hint of the Message-ID (e.g. the RDM id)


@dataclass(frozen=True)
class Sent:
    """What the server did with one message: `accepted` empty means nobody got it."""

    message_id: str
    accepted: tuple[str, ...]
    refused: tuple[str, ...]

    @property
    def delivered(self) -> bool:
        return bool(self.accepted)


def build(message: Outgoing, at: datetime) -> EmailMessage:
    """The MIME message; `ValueError` when a header value carries a line break."""
    for value in (
        message.sender_name,
        message.sender_email,
        message.subject,
        message.reply_to or "",
        *(part for pair in message.to for part in pair if part),
    ):
        if "\r" in value or "\n" in value:
            raise ValueError(
                _("a line break in a header value: {value!r}").format(value=value[:40])
            )
    # Lines up to RFC 5322's 998: Python folds a long subject before its first word,
    # which some readers show with a leading space.
    email = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
    domain = message.sender_email.rsplit("@", 1)[-1]
    email["Message-ID"] = make_msgid(idstring=message.id_left, domain=domain)
    email["Date"] = format_datetime(at)
    email["From"] = Address(message.sender_name, addr_spec=message.sender_email)
    email["To"] = [Address(name or "", addr_spec=address) for name, address in message.to]
    if message.reply_to:
        email["Reply-To"] = Address(addr_spec=message.reply_to)
    email["Subject"] = message.subject
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders stay quiet
    # quoted-printable: readable by a server without 8BITMIME, and lines stay short
    email.set_content(message.body, charset="utf-8", cte="quoted-printable")
    return email


@dataclass
class Mailer:
    url: SmtpUrl
    context: ssl.SSLContext | None = None  # None: the system's CAs, verification on
    timeout: float = 30.0

    def send(self, messages: Sequence[Outgoing], at: datetime) -> list[Sent]:
        """Send every message over one connection; `MailError` when the server fails.

        One `Sent` per message, in order. A message whose every recipient the
        server refuses is not sent (`accepted` empty) and the next one still
        goes: one client's bad contacts must not keep the others uninformed.
        Messages handled before a failure are listed in the error's `sent`, so
        the caller can say which clients were told. Once the server has
        accepted a message (250 after DATA) it is the server's to deliver: a bad
        answer to QUIT is no failure.
        """
        built = []
        for message in messages:
            try:
                built.append((message, build(message, at)))
            except ValueError as exc:
                raise MailError(_("not sent: {reason}").format(reason=exc)) from exc
        sent: list[Sent] = []
        smtp: smtplib.SMTP | None = None
        try:
            smtp = self._connect()
            for message, email in built:
                recipients = [address for _, address in message.to]
                message_id = str(email["Message-ID"])
                try:
                    refused = smtp.send_message(
                        email, from_addr=message.sender_email, to_addrs=recipients
                    )
                except smtplib.SMTPRecipientsRefused as exc:
                    # smtplib reset the transaction: the connection serves the next one.
                    sent.append(Sent(message_id, (), tuple(sorted(exc.recipients))))
                    continue
                sent.append(
                    Sent(
                        message_id,
                        tuple(r for r in recipients if r not in refused),
                        tuple(sorted(refused)),
                    )
                )
        except MailError as exc:
            raise MailError(str(exc), sent) from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(
                _("{server}: the server refused the login of {user} ({code})").format(
                    server=self.url.redacted(), user=self.url.username, code=exc.smtp_code
                ),
                sent,
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            reason = self._scrub(str(exc) or type(exc).__name__)
            raise MailError(f"{self.url.redacted()}: {reason}", sent) from exc
        finally:
            if smtp is not None:
                _quit(smtp)
        return sent

    def _connect(self) -> smtplib.SMTP:
        url = self.url
        context = self.context or ssl.create_default_context()
        smtp: smtplib.SMTP
        if url.scheme == "smtps":
            smtp = smtplib.SMTP_SSL(url.host, url.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(url.host, url.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if url.scheme == "smtp":
                if not smtp.has_extn("starttls"):
                    raise MailError(
                        _(
                            "{server} does not offer STARTTLS; rdm sends neither a password "
                            "nor a notice in the clear (use smtps:// if the server speaks TLS "
                            "on connect)"
                        ).format(server=url.redacted())
                    )
                smtp.starttls(context=context)
                smtp.ehlo()
            if url.username is not None:
                smtp.login(url.username, url.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _scrub(self, text: str) -> str:
        """The error text without the password, plain or as the AUTH exchange encodes it."""
        password = self.url.password
        if not password:
            return text
        user = self.url.username or ""
        secrets = {
            password,
            base64.b64encode(f"\0{user}\0{password}".encode()).decode(),
            base64.b64encode(password.encode()).decode(),
        }
        for secret in secrets:
            text = text.replace(secret, "***")
        return text


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye; whatever QUIT gets, the messages already accepted stay sent."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _no_password(text: str, exc: Exception) -> str:
    # urlsplit's errors quote the input; a password in it must not reach the terminal.
    message = str(exc)
    if "@" in text and "//" in text:
        credentials = text.split("//", 1)[1].split("@", 1)[0]
        message = message.replace(credentials, "***")
    return message
