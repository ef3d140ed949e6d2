"""The downtime notice text (rdm.reports.notices): what, when, how long, whom to call."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rdm.edges.repository import Repository
from rdm.model.rdms import ChangeType, Downtime
from rdm.reports import notices

SP = ZoneInfo("America/Sao_Paulo")
WINDOW = datetime(2026, 12, 3, 0, 0, tzinfo=SP)


def _plan(example: Repository, rdm_id: str, **changes: object) -> notices.NoticePlan:
    rdm = replace(example.rdms[rdm_id], **changes)  # type: ignore[arg-type]
    assert example.operations is not None
    return notices.plan(rdm, example.topologies, example.operations, SP, WINDOW)


def test_a_normal_change_gets_one_notice_per_target(example: Repository) -> None:
    planned = _plan(example, "RDM-2026-0041")
    assert planned.ok
    assert [n.org_id for n in planned.notices] == ["grupo-alvorada", "hospital-santa-luzia"]
    first = planned.notices[0]
    assert [c.email for c in first.recipients] == [
        "ti@grupoalvorada.com.br",
        "rh.sistemas@grupoalvorada.com.br",
    ]
    assert first.subject == (
        "[RDM-2026-0041] Indisponibilidade programada em 03/12/2026 00:30: "
        "Atualização do Protheus para o pacote de expedição 12.1.2410 de novembro"
    )
    assert first.body == (
        "Prezados,\n"
        "\n"
        "informamos que haverá uma indisponibilidade programada, conforme abaixo:\n"
        "\n"
        "Cliente: Grupo Alvorada Participações S.A.\n"
        "O quê: Atualização do Protheus para o pacote de expedição 12.1.2410 de novembro\n"
        "Serviços afetados: Protheus (produção) e webservices (produção)\n"
        "Quando: quinta-feira, 3 de dezembro de 2026, das 00:30 às 01:10 "
        "(horário de Brasília, UTC-03:00)\n"
        "Duração máxima: 40 minutos\n"
        "Referência: RDM-2026-0041\n"
        "\n"
        "Em caso de dúvida, ou se algum serviço não voltar ao fim desse prazo, fale com "
        "Plantão NOC SaaS: +55 11 4003-7000, plantao@saas.com.br.\n"
        "\n"
        "Atenciosamente,\n"
        "Central de Mudanças SaaS\n"
    )
    assert planned.summary == (
        "Indisponibilidade programada de até 40 minutos em Protheus (produção) e "
        "webservices (produção): quinta-feira, 3 de dezembro de 2026, das 00:30 às 01:10 "
        "(horário de Brasília, UTC-03:00). Dúvidas: Plantão NOC SaaS, +55 11 4003-7000, "
        "plantao@saas.com.br."
    )
    assert (planned.start, planned.end) == (
        datetime(2026, 12, 3, 0, 30, tzinfo=SP),
        datetime(2026, 12, 3, 1, 10, tzinfo=SP),
    )


def test_an_emergency_names_its_incident(example: Repository) -> None:
    planned = _plan(example, "RDM-2026-0043")
    (notice,) = planned.notices
    assert notice.subject.startswith(
        "[RDM-2026-0043] Indisponibilidade emergencial em 26/11/2026 09:00"
    )
    assert "Referência: RDM-2026-0043 (incidente INC-20931)" in notice.body.splitlines()
    assert "Serviços afetados: TSS (transmissão de documentos fiscais)" in notice.body
    assert "quinta-feira, 26 de novembro de 2026, das 09:00 às 09:30" in notice.body


def test_without_a_start_the_downtime_starts_with_the_window(example: Repository) -> None:
    planned = _plan(example, "RDM-2026-0041", downtime=Downtime(timedelta(hours=1, minutes=30)))
    assert planned.start == WINDOW
    assert "das 00:00 às 01:30" in planned.notices[0].body
    assert "Duração máxima: 1 hora e 30 minutos" in planned.notices[0].body
    # no workloads: every service of the environments the RDM changes
    assert (
        "Serviços afetados: todos os serviços Protheus em produção e homologação"
        in planned.notices[0].body
    )


def test_a_downtime_across_midnight_names_both_days(example: Repository) -> None:
    start = datetime(2026, 12, 2, 23, 30, tzinfo=SP)
    planned = _plan(example, "RDM-2026-0041", downtime=Downtime(timedelta(hours=2), start=start))
    assert (
        "Quando: de quarta-feira, 2 de dezembro de 2026, 23:30, a quinta-feira, 3 de "
        "dezembro de 2026, 01:30 (horário de Brasília, UTC-03:00)"
    ) in planned.notices[0].body


def test_a_start_in_another_offset_is_told_in_the_policy_zone(example: Repository) -> None:
    start = datetime.fromisoformat("2026-12-03T04:00:00+00:00")
    planned = _plan(example, "RDM-2026-0041", downtime=Downtime(timedelta(minutes=1), start=start))
    assert "das 01:00 às 01:01" in planned.notices[0].body
    assert "Duração máxima: 1 minuto\n" in planned.notices[0].body


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (timedelta(minutes=45), "45 minutos"),
        (timedelta(hours=1), "1 hora"),
        (timedelta(hours=2), "2 horas"),
        (timedelta(hours=1, minutes=1), "1 hora e 1 minuto"),
        (timedelta(hours=12, minutes=30), "12 horas e 30 minutos"),
    ],
)
def test_durations_in_portuguese(duration: timedelta, text: str) -> None:
    assert notices.format_duration(duration) == text


def test_no_downtime_no_notice(example: Repository) -> None:
    planned = _plan(example, "RDM-2026-0042")
    assert planned.notices == ()
    assert planned.problems == (
        "RDM-2026-0042 não declara indisponibilidade (`downtime`): os clientes não perdem "
        "nada, então não há o que avisar",
    )


def test_an_emergency_must_say_when(example: Repository) -> None:
    planned = _plan(example, "RDM-2026-0043", downtime=None)
    assert planned.problems == (
        "RDM-2026-0043 é uma emergência sem `downtime`: acrescente `downtime: {start: <quando "
        "começa, com fuso>, duration: <ex.: 30m>}` para que o aviso diga quando e por quanto "
        "tempo",
    )
    planned = _plan(example, "RDM-2026-0043", downtime=Downtime(timedelta(minutes=30)))
    assert planned.problems == (
        "RDM-2026-0043 é uma emergência: informe em `downtime.start` quando a "
        "indisponibilidade começa",
    )


def test_a_normal_change_outside_the_calendar_cannot_say_when(example: Repository) -> None:
    rdm = replace(example.rdms["RDM-2026-0041"], downtime=Downtime(timedelta(minutes=30)))
    assert example.operations is not None
    planned = notices.plan(rdm, example.topologies, example.operations, SP, None)
    assert planned.problems == (
        "RDM-2026-0041: a janela 2026-12-03 não é uma janela de mudança do calendário e "
        "`downtime.start` não foi informado: o aviso não tem como dizer quando",
    )


def test_every_target_needs_contacts(example: Repository) -> None:
    topologies = dict(example.topologies)
    topologies["hospital-santa-luzia"] = replace(topologies["hospital-santa-luzia"], contacts=())
    del topologies["grupo-alvorada"]
    assert example.operations is not None
    planned = notices.plan(
        example.rdms["RDM-2026-0041"], topologies, example.operations, SP, WINDOW
    )
    assert planned.notices == ()
    assert planned.problems == (
        "RDM-2026-0041: o alvo grupo-alvorada não tem topologia utilizável",
        "hospital-santa-luzia: topologies/hospital-santa-luzia.yaml não tem contatos "
        "(client.contacts): não há a quem enviar o aviso",
    )


def test_hostile_titles_and_names_stay_on_one_line(example: Repository) -> None:
    topologies = dict(example.topologies)
    topologies["cooperativa-vale-verde"] = replace(
        topologies["cooperativa-vale-verde"], client_name="Vale\r\nBcc: rival@example.com"
    )
    rdm = replace(
        example.rdms["RDM-2026-0043"],
        title="TSS\nBcc: rival@example.com\x00\tfim " + "x" * 200,
        type=ChangeType.EMERGENCY,
    )
    assert example.operations is not None
    (notice,) = notices.plan(rdm, topologies, example.operations, SP, None).notices
    assert "\n" not in notice.subject and "\r" not in notice.subject
    assert notice.subject.startswith(
        "[RDM-2026-0043] Indisponibilidade emergencial em 26/11/2026 09:00: "
        "TSS Bcc: rival@example.com fim xxx"
    )
    assert len(notice.subject) == notices.SUBJECT_LIMIT and notice.subject.endswith("…")
    assert notice.client_name == "Vale Bcc: rival@example.com"
    assert "\r" not in notice.body and "\x00" not in notice.body


def test_a_title_cannot_reorder_or_drive_what_the_client_reads(example: Repository) -> None:
    # C1 controls (0x9b is a terminal's CSI) and the bidi overrides survived one_line:
    # "\u202eodnevlover" reads "revolvendo" backwards in the client's mail reader.
    rdm = replace(
        example.rdms["RDM-2026-0043"],
        title="TSS \u202eodnevlover\u202c \x9b2J \u2066x\u2069 fim",
        type=ChangeType.EMERGENCY,
    )
    assert example.operations is not None
    (notice,) = notices.plan(rdm, example.topologies, example.operations, SP, None).notices
    for text in (notice.subject, notice.body):
        assert not any(c in text for c in "\u202e\u202c\x9b\u2066\u2069")
    assert notice.subject.endswith(": TSS odnevlover 2J x fim")


def test_a_contact_listed_twice_gets_one_copy(example: Repository) -> None:
    # The same mailbox under a second entry (a bare address, another case) was a
    # second RCPT and a second name in To: one notice per person.
    from rdm.model.topologies import Contact

    topologies = dict(example.topologies)
    alvorada = topologies["grupo-alvorada"]
    topologies["grupo-alvorada"] = replace(
        alvorada,
        contacts=(
            *alvorada.contacts,
            Contact("ti@grupoalvorada.com.br"),
            Contact("TI@GrupoAlvorada.com.br", "Renata (TI)"),
        ),
    )
    assert example.operations is not None
    first, _ = notices.plan(
        example.rdms["RDM-2026-0041"], topologies, example.operations, SP, WINDOW
    ).notices
    assert [(c.name, c.email) for c in first.recipients] == [
        ("Renata Lima", "ti@grupoalvorada.com.br"),
        ("Paulo Henrique Souza", "rh.sistemas@grupoalvorada.com.br"),
    ]
