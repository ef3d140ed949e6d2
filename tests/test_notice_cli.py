"""`rdm notice` through the real entry point, mailing through a real SMTP server."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import trustme
import yaml

from conftest import ROOT
from smtp_fake import PASSWORD, USER, SmtpServer

Run = Callable[..., tuple[int, str, str]]
CREDENTIALS = f"{quote(USER, safe='')}:{quote(PASSWORD, safe='')}"
NOTICE_0043 = """\
From: Central de Mudanças SaaS <mudancas@saas.com.br>
To: Marcos Tavares <ti@valeverde.coop.com.br>, Luciana Prado <fiscal@valeverde.coop.com.br>
Reply-To: plantao@saas.com.br
Subject: [RDM-2026-0043] Indisponibilidade emergencial em 26/11/2026 09:00: Emergência — TSS \
sem transmitir NF-e após troca de certificado da SEFAZ

Prezados,

informamos que haverá uma indisponibilidade emergencial, conforme abaixo:

Cliente: Cooperativa Agroindustrial Vale Verde
O quê: Emergência — TSS sem transmitir NF-e após troca de certificado da SEFAZ
Serviços afetados: TSS (transmissão de documentos fiscais)
Quando: quinta-feira, 26 de novembro de 2026, das 09:00 às 09:30 (horário de Brasília, UTC-03:00)
Duração máxima: 30 minutos
Referência: RDM-2026-0043 (incidente INC-20931)

Em caso de dúvida, ou se algum serviço não voltar ao fim desse prazo, fale com Plantão NOC \
SaaS: +55 11 4003-7000, plantao@saas.com.br.

Atenciosamente,
Central de Mudanças SaaS
"""


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def smtp(ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    with SmtpServer(ca, "starttls") as server:
        # The client trusts the test CA the way an operator trusts a company CA.
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file(tmp_path)))
        monkeypatch.setenv("RDM_SMTP_URL", server.url("smtp", CREDENTIALS))
        yield server


def test_without_send_it_prints_the_notice(run_rdm: Run) -> None:
    code, out, err = run_rdm("notice", "RDM-2026-0043", "--repo", str(ROOT))
    assert (code, out) == (0, NOTICE_0043)
    assert err == "nada enviado: 1 aviso(s); --send os envia por e-mail via RDM_SMTP_URL\n"


def test_one_notice_per_target_client(run_rdm: Run) -> None:
    code, out, _ = run_rdm("notice", "RDM-2026-0041", "--repo", str(ROOT))
    assert code == 0
    blocks = out.split("\n---\n")
    assert [b.splitlines()[1] for b in blocks] == [
        "To: Renata Lima <ti@grupoalvorada.com.br>, "
        "Paulo Henrique Souza <rh.sistemas@grupoalvorada.com.br>",
        "To: Dr. Fábio Castro <ti@hsl.org.com.br>, Camila Reis <rh.sistemas@hsl.org.com.br>",
    ]


def test_send_mails_each_client_and_says_what_to_record(
    run_rdm: Run, smtp: SmtpServer, example_repo: Path
) -> None:
    code, out, err = run_rdm("notice", "RDM-2026-0041", "--send", "--repo", str(example_repo))
    assert (code, err) == (0, "")
    assert [r.rcpt_tos for r in smtp.received] == [
        ["ti@grupoalvorada.com.br", "rh.sistemas@grupoalvorada.com.br"],
        ["ti@hsl.org.com.br", "rh.sistemas@hsl.org.com.br"],
    ]
    assert smtp.recorder.logins == [USER]
    ids = [str(r.message["Message-ID"]) for r in smtp.received]
    lines = out.splitlines()
    assert lines[:4] == [
        f"enviado para grupo-alvorada: 2 contato(s), Message-ID {ids[0]}",
        f"enviado para hospital-santa-luzia: 2 contato(s), Message-ID {ids[1]}",
        "",
        "Escreva em rdms/2026/RDM-2026-0041.yaml:",
    ]
    snippet = yaml.safe_load("\n".join(lines[4:]))["communication"]
    assert snippet["notified"] is True
    assert snippet["messageIds"] == ids
    assert snippet["notice"].startswith("Indisponibilidade programada de até 40 minutos")
    assert re.fullmatch(r"  notifiedAt: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-03:00", lines[7])
    assert PASSWORD not in out

    # What it says to write is a valid `communication` of the RDM.
    rdm_file = example_repo / "rdms/2026/RDM-2026-0041.yaml"
    rdm_file.write_text(
        rdm_file.read_text(encoding="utf-8") + "\n".join(lines[4:]) + "\n", encoding="utf-8"
    )
    code, out, _ = run_rdm("validate", "--repo", str(example_repo))
    # (warnings aside: judged as of now, the example's windows end up in the past)
    assert (code, out.splitlines()[-1].split(", ")[0]) == (0, "14 file(s) checked: 0 error(s)")


def test_an_rdm_already_notified_needs_again(run_rdm: Run, smtp: SmtpServer) -> None:
    code, _, err = run_rdm("notice", "RDM-2026-0043", "--send", "--repo", str(ROOT))
    assert code == 1
    assert err == (
        "rdm: RDM-2026-0043 já registra um aviso (notifiedAt 2026-11-26T08:15:00-03:00); "
        "nada enviado. Use --again para enviar outro\n"
    )
    assert smtp.received == []
    code, _, _ = run_rdm("notice", "RDM-2026-0043", "--send", "--again", "--repo", str(ROOT))
    assert code == 0
    assert len(smtp.received) == 1


def test_send_without_a_server_is_a_usage_error(
    run_rdm: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RDM_SMTP_URL", raising=False)
    code, _, err = run_rdm("notice", "RDM-2026-0041", "--send", "--repo", str(ROOT))
    assert code == 2
    assert "--send exige RDM_SMTP_URL, por exemplo smtps://USUARIO:SENHA@smtp.example.com" in err


def test_a_refused_login_is_an_outside_failure_and_hides_the_password(
    run_rdm: Run, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RDM_SMTP_URL", smtp.url("smtp", f"{quote(USER, safe='')}:hunter2"))
    code, out, err = run_rdm("notice", "RDM-2026-0041", "--send", "--repo", str(ROOT))
    assert (code, out) == (3, "")
    assert err == (
        f"rdm: smtp://{USER}:***@127.0.0.1:{smtp.port}: o servidor recusou o login de "
        f"{USER} (535)\n"
    )


def test_a_refused_contact_is_reported_after_the_record(run_rdm: Run, smtp: SmtpServer) -> None:
    smtp.recorder.refuse.add("rh.sistemas@hsl.org.com.br")
    code, out, err = run_rdm("notice", "RDM-2026-0041", "--send", "--repo", str(ROOT))
    assert code == 3
    assert "enviado para hospital-santa-luzia: 1 contato(s)" in out
    assert "communication:" in out
    assert err == "rdm: o servidor recusou rh.sistemas@hsl.org.com.br\n"


def test_hostile_names_and_titles_add_no_recipient(
    run_rdm: Run, smtp: SmtpServer, example_repo: Path
) -> None:
    topology = example_repo / "topologies/cooperativa-vale-verde.yaml"
    topology.write_text(
        topology.read_text(encoding="utf-8").replace(
            "  name: Cooperativa Agroindustrial Vale Verde",
            '  name: "Vale Verde\\r\\nBcc: rival@example.com"',
        ),
        encoding="utf-8",
    )
    rdm = example_repo / "rdms/2026/RDM-2026-0043.yaml"
    rdm.write_text(
        rdm.read_text(encoding="utf-8").replace(
            "title: Emergência — TSS sem transmitir NF-e após troca de certificado da SEFAZ",
            'title: "TSS parado\\nBcc: rival@example.com\\n\\nCorpo falso"',
        ),
        encoding="utf-8",
    )
    code, _, err = run_rdm(
        "notice", "RDM-2026-0043", "--send", "--again", "--repo", str(example_repo)
    )
    assert (code, err) == (0, "")
    (received,) = smtp.received
    assert received.rcpt_tos == ["ti@valeverde.coop.com.br", "fiscal@valeverde.coop.com.br"]
    assert received.message["Bcc"] is None
    assert received.message["Subject"] == (
        "[RDM-2026-0043] Indisponibilidade emergencial em 26/11/2026 09:00: "
        "TSS parado Bcc: rival@example.com Corpo falso"
    )


@pytest.mark.parametrize(
    ("argv", "code", "err"),
    [
        (
            ["RDM-2026-0099"],
            1,
            "rdm: RDM-2026-0099: RDM inexistente (rdms/2026/RDM-2026-0099.yaml)\n",
        ),
        (
            ["RDM-2026-0042"],
            1,
            "rdm: RDM-2026-0042 não declara indisponibilidade (`downtime`): os clientes não "
            "perdem nada, então não há o que avisar\n",
        ),
    ],
)
def test_nothing_to_notify(run_rdm: Run, argv: list[str], code: int, err: str) -> None:
    assert run_rdm("notice", *argv, "--repo", str(ROOT)) == (code, "", err)


def test_a_malformed_id_is_a_usage_error(run_rdm: Run) -> None:
    code, _, err = run_rdm("notice", "../../etc/passwd", "--repo", str(ROOT))
    assert code == 2
    assert "'../../etc/passwd' não é um id de RDM como RDM-2026-0042" in err


def test_a_broken_target_topology_is_shown(run_rdm: Run, example_repo: Path) -> None:
    topology = example_repo / "topologies/cooperativa-vale-verde.yaml"
    topology.write_text(
        topology.read_text(encoding="utf-8").replace("product: smart-fiscal", "product: sap"),
        encoding="utf-8",
    )
    code, out, err = run_rdm("notice", "RDM-2026-0043", "--repo", str(example_repo))
    assert (code, out) == (1, "")
    assert "topologies/cooperativa-vale-verde.yaml" in err and "[schema]" in err
    assert "rdm: RDM-2026-0043: o alvo cooperativa-vale-verde não tem topologia utilizável" in err


def _recorded(out: str) -> dict[str, object]:
    """The `communication` block the run said to write."""
    block = out.split(":\ncommunication:\n", 1)[1]
    found = yaml.safe_load("communication:\n" + block)["communication"]
    assert isinstance(found, dict)
    return found


def test_a_client_whose_every_contact_is_refused_does_not_stop_the_others(
    run_rdm: Run, smtp: SmtpServer
) -> None:
    smtp.recorder.refuse.update({"ti@grupoalvorada.com.br", "rh.sistemas@grupoalvorada.com.br"})
    code, out, err = run_rdm("notice", "RDM-2026-0041", "--send", "--repo", str(ROOT))
    assert code == 3
    (received,) = smtp.received
    assert received.rcpt_tos == ["ti@hsl.org.com.br", "rh.sistemas@hsl.org.com.br"]
    lines = out.splitlines()
    message_id = str(received.message["Message-ID"])
    assert lines[0] == f"enviado para hospital-santa-luzia: 2 contato(s), Message-ID {message_id}"
    recorded = _recorded(out)
    assert recorded["notified"] is False  # grupo-alvorada was not told
    assert recorded["messageIds"] == [str(received.message["Message-ID"])]
    assert "# não avisados: grupo-alvorada" in out
    assert err == (
        "rdm: não enviado para grupo-alvorada: o servidor recusou todos os contatos "
        "(rh.sistemas@grupoalvorada.com.br, ti@grupoalvorada.com.br)\n"
    )


def test_a_connection_lost_in_the_middle_records_only_what_was_sent(
    run_rdm: Run, smtp: SmtpServer
) -> None:
    smtp.recorder.drop_data.add(2)  # the second message's DATA is cut
    code, out, err = run_rdm("notice", "RDM-2026-0041", "--send", "--repo", str(ROOT))
    assert code == 3
    (received,) = smtp.received
    message_id = str(received.message["Message-ID"])
    assert out.splitlines()[0] == (
        f"enviado para grupo-alvorada: 2 contato(s), Message-ID {message_id}"
    )
    recorded = _recorded(out)
    assert recorded["notified"] is False
    assert recorded["messageIds"] == [message_id]
    assert "# não avisados: hospital-santa-luzia" in out
    assert out.splitlines()[-1] == (
        "Quando o servidor voltar: rdm notice RDM-2026-0041 --send --target hospital-santa-luzia"
    )
    assert err.startswith("rdm: smtp://notices@saas.com.br:***@127.0.0.1:")
    assert err.endswith(": Connection unexpectedly closed\n")
    assert PASSWORD not in out + err
    # That command tells only the client left out.
    code, out, err = run_rdm(
        "notice", "RDM-2026-0041", "--send", "--target", "hospital-santa-luzia", "--repo", str(ROOT)
    )
    assert (code, err) == (0, "")
    assert [r.rcpt_tos for r in smtp.received[1:]] == [
        ["ti@hsl.org.com.br", "rh.sistemas@hsl.org.com.br"]
    ]
    assert _recorded(out)["notified"] is True


def test_a_target_that_is_not_one_is_a_usage_error(run_rdm: Run) -> None:
    code, out, err = run_rdm(
        "notice", "RDM-2026-0041", "--target", "cooperativa-vale-verde", "--repo", str(ROOT)
    )
    assert (code, out) == (2, "")
    assert err == (
        "rdm: usage: --target cooperativa-vale-verde: não é alvo da RDM-2026-0041 "
        "(grupo-alvorada, hospital-santa-luzia)\n"
    )


def test_a_failed_quit_after_every_message_was_accepted_is_not_a_failure(
    run_rdm: Run, smtp: SmtpServer
) -> None:
    # The server answered 250 to each DATA: the messages are its to deliver. A bad
    # answer to QUIT must not make the operator send them all again.
    smtp.recorder.quit_reply = "421 4.3.2 shutting down"
    code, out, err = run_rdm("notice", "RDM-2026-0041", "--send", "--repo", str(ROOT))
    assert (code, err) == (0, "")
    assert len(smtp.received) == 2
    recorded = _recorded(out)
    assert recorded["notified"] is True
    assert recorded["messageIds"] == [str(r.message["Message-ID"]) for r in smtp.received]
