"""The SMTP edge (rdm.edges.mail) against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import trustme

from rdm.edges import mail
from rdm.model.problems import UsageError
from smtp_fake import PASSWORD, USER, SmtpServer

AT = datetime(2026, 11, 26, 8, 15, tzinfo=ZoneInfo("America/Sao_Paulo"))
CREDENTIALS = f"{quote(USER, safe='')}:{quote(PASSWORD, safe='')}"


def message(**changes: object) -> mail.Outgoing:
    fields: dict[str, object] = {
        "sender_name": "Central de Mudanças SaaS",
        "sender_email": "mudancas@saas.com.br",
        "to": (
            ("Marcos Tavares", "ti@valeverde.coop.com.br"),
            (None, "fiscal@valeverde.coop.com.br"),
        ),
        "subject": "[RDM-2026-0043] Indisponibilidade emergencial em 26/11/2026 09:00: TSS",
        "body": "Prezados,\n\ninformamos que haverá uma indisponibilidade…\n",
        "reply_to": "plantao@saas.com.br",
        "id_left": "rdm-2026-0043.cooperativa-vale-verde",
    }
    fields.update(changes)
    return mail.Outgoing(**fields)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def starttls(ca: trustme.CA) -> Iterator[SmtpServer]:
    with SmtpServer(ca, "starttls") as server:
        yield server


@pytest.fixture
def implicit_tls(ca: trustme.CA) -> Iterator[SmtpServer]:
    with SmtpServer(ca, "tls") as server:
        yield server


@pytest.fixture
def plain(ca: trustme.CA) -> Iterator[SmtpServer]:
    with SmtpServer(ca, "plain") as server:
        yield server


# ------------------------------------------------------------------ the URL


def test_url_forms_and_default_ports() -> None:
    assert mail.parse_smtp_url("smtps://smtp.saas.com.br") == mail.SmtpUrl(
        "smtps", "smtp.saas.com.br", 465
    )
    assert mail.parse_smtp_url(f"smtp://{CREDENTIALS}@smtp.saas.com.br") == mail.SmtpUrl(
        "smtp", "smtp.saas.com.br", 587, USER, PASSWORD
    )
    assert mail.parse_smtp_url("smtp+insecure://localhost").port == 25
    assert mail.parse_smtp_url("SMTP+INSECURE://[::1]:2525") == mail.SmtpUrl(
        "smtp+insecure", "::1", 2525
    )


def test_the_password_is_never_shown() -> None:
    url = mail.parse_smtp_url(f"smtp://{CREDENTIALS}@smtp.saas.com.br:2587")
    assert url.redacted() == f"smtp://{USER}:***@smtp.saas.com.br:2587"
    assert PASSWORD not in repr(url)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "http://smtp.saas.com.br",
            "RDM_SMTP_URL deve começar com smtps://, smtp:// (STARTTLS) ou smtp+insecure:// "
            "(um relay nesta máquina), não http://",
        ),
        ("smtps://", "RDM_SMTP_URL não informa o servidor (smtp://SERVIDOR:PORTA)"),
        (
            "smtps://smtp.saas.com.br/inbox?x=1",
            "RDM_SMTP_URL não aceita caminho, query nem fragmento: "
            "smtps://[USUARIO:SENHA@]SERVIDOR[:PORTA]",
        ),
        (
            "smtp+insecure://smtp.saas.com.br",
            "RDM_SMTP_URL: smtp+insecure:// envia sem criptografia e serve só para um relay "
            "nesta máquina (localhost, 127.0.0.1, ::1), não para smtp.saas.com.br; use smtps:// "
            "ou smtp://",
        ),
        (
            "smtp+insecure://u:p@127.0.0.1",
            "RDM_SMTP_URL: sem credenciais em smtp+insecure:// (elas trafegariam sem "
            "criptografia); use smtps:// ou smtp:// (STARTTLS)",
        ),
    ],
)
def test_urls_rdm_does_not_use_are_usage_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        mail.parse_smtp_url(text)
    assert str(raised.value) == message


def test_a_bad_port_does_not_echo_the_password() -> None:
    with pytest.raises(UsageError) as raised:
        mail.parse_smtp_url("smtps://user:hunter2@smtp.saas.com.br:99999")
    assert "hunter2" not in str(raised.value)


# ------------------------------------------------------------------ sending


def test_starttls_login_and_the_message_as_received(starttls: SmtpServer) -> None:
    url = mail.parse_smtp_url(starttls.url("smtp", CREDENTIALS))
    (sent,) = mail.Mailer(url, starttls.client_context()).send([message()], AT)
    (received,) = starttls.received
    assert starttls.recorder.logins == [USER]
    assert received.mail_from == "mudancas@saas.com.br"
    assert received.rcpt_tos == ["ti@valeverde.coop.com.br", "fiscal@valeverde.coop.com.br"]
    headers = received.message
    assert headers["From"] == "Central de Mudanças SaaS <mudancas@saas.com.br>"
    assert headers["To"] == (
        "Marcos Tavares <ti@valeverde.coop.com.br>, fiscal@valeverde.coop.com.br"
    )
    assert headers["Reply-To"] == "plantao@saas.com.br"
    assert headers["Subject"] == message().subject
    assert headers["Date"] == "Thu, 26 Nov 2026 08:15:00 -0300"
    assert headers["Auto-Submitted"] == "auto-generated"
    assert headers["Message-ID"] == sent.message_id
    assert sent.message_id.startswith("<") and sent.message_id.endswith(
        ".rdm-2026-0043.cooperativa-vale-verde@saas.com.br>"
    )
    assert headers.get_content().replace("\r\n", "\n") == message().body
    assert sent.accepted == ("ti@valeverde.coop.com.br", "fiscal@valeverde.coop.com.br")
    assert sent.refused == ()


def test_implicit_tls(implicit_tls: SmtpServer) -> None:
    url = mail.parse_smtp_url(implicit_tls.url("smtps", CREDENTIALS))
    mail.Mailer(url, implicit_tls.client_context()).send([message(), message()], AT)
    assert len(implicit_tls.received) == 2
    assert implicit_tls.recorder.logins == [USER]


def test_a_local_relay_in_the_clear(plain: SmtpServer) -> None:
    url = mail.parse_smtp_url(plain.url("smtp+insecure"))
    mail.Mailer(url).send([message()], AT)
    assert len(plain.received) == 1


def test_no_starttls_no_login_no_message(plain: SmtpServer) -> None:
    url = mail.parse_smtp_url(plain.url("smtp", CREDENTIALS))
    with pytest.raises(mail.MailError) as raised:
        mail.Mailer(url, plain.client_context()).send([message()], AT)
    assert str(raised.value) == (
        f"smtp://{USER}:***@127.0.0.1:{plain.port} não oferece STARTTLS; o rdm não envia senha "
        "nem aviso sem criptografia (use smtps:// se o servidor fala TLS desde a conexão)"
    )
    assert plain.received == [] and plain.recorder.logins == []


def test_a_certificate_from_an_unknown_ca_is_refused(starttls: SmtpServer) -> None:
    url = mail.parse_smtp_url(starttls.url("smtp", CREDENTIALS))
    with pytest.raises(mail.MailError) as raised:
        mail.Mailer(url, mail_default_context()).send([message()], AT)
    assert "CERTIFICATE_VERIFY_FAILED" in str(raised.value)
    assert starttls.received == [] and starttls.recorder.logins == []


def mail_default_context() -> mail.ssl.SSLContext:
    return mail.ssl.create_default_context()  # the system's CAs only


def test_a_wrong_password_is_an_outside_failure_without_the_password(
    starttls: SmtpServer,
) -> None:
    url = mail.parse_smtp_url(
        starttls.url("smtp", f"{quote(USER, safe='')}:{quote('wrong-' + PASSWORD, safe='')}")
    )
    with pytest.raises(mail.MailError) as raised:
        mail.Mailer(url, starttls.client_context()).send([message()], AT)
    assert str(raised.value) == (
        f"smtp://{USER}:***@127.0.0.1:{starttls.port}: o servidor recusou o login de {USER} (535)"
    )
    assert starttls.received == []


def test_a_refused_recipient_is_reported(starttls: SmtpServer) -> None:
    starttls.recorder.refuse.add("fiscal@valeverde.coop.com.br")
    url = mail.parse_smtp_url(starttls.url("smtp", CREDENTIALS))
    (sent,) = mail.Mailer(url, starttls.client_context()).send([message()], AT)
    assert sent.accepted == ("ti@valeverde.coop.com.br",)
    assert sent.refused == ("fiscal@valeverde.coop.com.br",)
    assert starttls.received[0].rcpt_tos == ["ti@valeverde.coop.com.br"]


def test_a_message_nobody_takes_is_not_sent_and_the_next_one_goes(starttls: SmtpServer) -> None:
    starttls.recorder.refuse.update({"ti@valeverde.coop.com.br", "fiscal@valeverde.coop.com.br"})
    url = mail.parse_smtp_url(starttls.url("smtp", CREDENTIALS))
    other = message(to=(("Renata Lima", "ti@grupoalvorada.com.br"),), id_left="rdm.other")
    refused, sent = mail.Mailer(url, starttls.client_context()).send([message(), other], AT)
    assert (refused.delivered, refused.accepted) == (False, ())
    assert refused.refused == ("fiscal@valeverde.coop.com.br", "ti@valeverde.coop.com.br")
    assert (sent.delivered, sent.accepted) == (True, ("ti@grupoalvorada.com.br",))
    assert [r.rcpt_tos for r in starttls.received] == [["ti@grupoalvorada.com.br"]]


@pytest.mark.parametrize(
    "hostile",
    [
        {"subject": "TSS\r\nBcc: rival@example.com"},
        {"sender_name": "Central\nBcc: rival@example.com"},
        {"to": (("Marcos\r\nBcc: rival@example.com", "ti@valeverde.coop.com.br"),)},
        {"reply_to": "plantao@saas.com.br\nBcc: rival@example.com"},
    ],
)
def test_a_line_break_in_a_header_sends_nothing(
    starttls: SmtpServer, hostile: dict[str, object]
) -> None:
    url = mail.parse_smtp_url(starttls.url("smtp", CREDENTIALS))
    with pytest.raises(mail.MailError) as raised:
        mail.Mailer(url, starttls.client_context()).send([message(), message(**hostile)], AT)
    assert str(raised.value).startswith("nada enviado: quebra de linha num valor de cabeçalho")
    assert starttls.received == []


def test_nobody_listening_is_an_outside_failure() -> None:
    from smtp_fake import free_port

    port = free_port()
    url = mail.parse_smtp_url(f"smtps://{CREDENTIALS}@127.0.0.1:{port}")
    with pytest.raises(mail.MailError) as raised:
        mail.Mailer(url, timeout=5).send([message()], AT)
    assert str(raised.value).startswith(f"smtps://{USER}:***@127.0.0.1:{port}: ")
    assert PASSWORD not in str(raised.value)
