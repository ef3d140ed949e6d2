"""A real SMTP server on loopback for the tests (aiosmtpd), in the shapes rdm meets.

`SmtpServer` runs aiosmtpd's asyncio server in a thread: with `mode="starttls"`
it offers STARTTLS and refuses AUTH and mail before it (as submission servers on
587 do); with `mode="tls"` it speaks TLS from the first byte (465); with
`mode="plain"` it has no TLS and no AUTH (a local relay). AUTH PLAIN/LOGIN is
checked against one user and password; recipients listed in `refuse` get a 550.
`drop_data` names messages (1 = the first since the server started) whose DATA the server
cuts by closing the connection before answering, and `quit_reply` replaces the
221 that QUIT gets. Every accepted message is recorded with its envelope and parsed headers, and
every AUTH attempt with the login it carried. Certificates come from a throw-away
CA (trustme); the client trusts it through an SSL context or SSL_CERT_FILE.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

USER = "notices@saas.com.br"
PASSWORD = "s3nh@:/ secreta"  # characters that need percent-encoding in a URL


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes


@dataclass
class Recorder:
    refuse: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    drop_data: set[int] = field(default_factory=set)
    quit_reply: str | None = None
    data_count: int = 0

    async def handle_RCPT(  # aiosmtpd's hook names
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.data_count += 1
        if self.data_count in self.drop_data:
            assert server.transport is not None
            server.transport.close()  # the message is never accepted
            return "421 4.3.0 connection lost"
        raw = envelope.original_content or b""
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(
            Received(str(envelope.mail_from), list(envelope.rcpt_tos), message, raw)
        )
        return "250 2.0.0 Message accepted for delivery"

    async def handle_QUIT(self, server: SMTP, session: Session, envelope: Envelope) -> str | object:
        from aiosmtpd.smtp import MISSING

        return self.quit_reply if self.quit_reply is not None else MISSING

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = data.login.decode()
        self.logins.append(login)
        ok = login == USER and data.password.decode() == PASSWORD
        return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    def __init__(self, ca: trustme.CA, mode: str = "starttls") -> None:
        self.ca = ca
        self.mode = mode
        self.recorder = Recorder()
        self.port = free_port()
        cert = ca.issue_cert("localhost", "127.0.0.1")
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(server_context)
        kwargs: dict[str, Any] = {"hostname": "127.0.0.1", "port": self.port}
        if mode == "starttls":
            kwargs.update(
                tls_context=server_context,
                require_starttls=True,
                authenticator=self.recorder.authenticate,
                auth_require_tls=True,
            )
        elif mode == "tls":
            kwargs.update(
                ssl_context=server_context,
                authenticator=self.recorder.authenticate,
                auth_require_tls=False,  # the whole connection is TLS
            )
        self.controller = Controller(self.recorder, **kwargs)

    @property
    def received(self) -> list[Received]:
        return self.recorder.received

    def url(self, scheme: str, credentials: str | None = None) -> str:
        user = f"{credentials}@" if credentials else ""
        return f"{scheme}://{user}127.0.0.1:{self.port}"

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context

    def ca_file(self, folder: Path) -> Path:
        path = folder / "ca.pem"
        self.ca.cert_pem.write_to_path(str(path))
        return path

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
