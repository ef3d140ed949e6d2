"""What the rollout tells #monitoring on Slack, word for word: before an emergency starts,
on a rollback, and when a run's work is done. In the team's language (pt-BR), English
with RDM_LANG=en; an RDM's text is escaped so it can neither ping the channel nor forge
a link. tests/test_week.py sees the same messages arrive through the rollout on the
local control plane; these build them from the example's RDMs, with every outcome."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rdm import i18n
from rdm.decisions import gate
from rdm.model.records import ExecutionRecord, Outcome, Rollback, TopologyOutcome, TopologyRecord
from rdm.operations.rollout import (
    Kind,
    RdmRun,
    Report,
    Shard,
    Verification,
    _emergency_message,
    _rollback_message,
    _summary_message,
)

ZONE = ZoneInfo("America/Sao_Paulo")
MERGE = "4e0fae587cad5cfde63112b124b516be1e07d8cb"


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 12, 3, hour, minute, second, tzinfo=ZONE)


@pytest.fixture
def rdms(example):
    return example.rdms


def verification(pr: int) -> Verification:
    return Verification(gate.Committee(MERGE, pr, None), MERGE)


def record(rdm, outcome: Outcome, topologies) -> ExecutionRecord:
    return ExecutionRecord(
        rdm_id=rdm.id,
        outcome=outcome,
        merge_commit=MERGE,
        revision=MERGE,
        started_at=at(0, 5),
        finished_at=at(0, 12),
        estimated_duration=rdm.estimated_duration,
        rollback_declared=rdm.rollback_duration,
        topologies=tuple(topologies),
    )


def rolled_back(org: str, seconds: int, reason: str) -> TopologyRecord:
    back = Rollback(at(0, 8), at(0, 8) + timedelta(seconds=seconds), timedelta(minutes=10), reason)
    return TopologyRecord(
        org, TopologyOutcome.ROLLED_BACK, at(0, 5), at(0, 9), "20261203-030502-4f53cd", None, back
    )


def report(runs, remaining=()) -> Report:
    return Report(at(0, 5), at(0, 20), Shard(1, 1), False, tuple(runs), remaining=remaining)


def run(rdm, kind: Kind) -> RdmRun:
    return RdmRun(rdm, kind, "P3", MERGE)


def test_an_emergency_is_announced_in_portuguese(rdms):
    text = _emergency_message(rdms["RDM-2026-0043"], verification(11), ["cooperativa-vale-verde"])
    assert text == (
        ":rotating_light: Emergência *RDM-2026-0043* (INC-20931) começa agora em "
        "cooperativa-vale-verde: Emergência — TSS sem transmitir NF-e após troca de certificado "
        "da SEFAZ. Aprovada pelo CME na PR #11; plano de rollback (10 min): Voltar a imagem "
        "anterior do TSS pelo snapshot; notas ficam em contingência."
    )


def test_a_rollback_says_where_how_long_and_why(rdms):
    rdm = rdms["RDM-2026-0041"]
    done = record(
        rdm,
        Outcome.ROLLED_BACK,
        [
            rolled_back("grupo-alvorada", 42, "protheus-appserver: 0/2 Ready after 10 min"),
            rolled_back("hospital-santa-luzia", 900, "RDM-2026-0041 failed on grupo-alvorada"),
        ],
    )
    assert _rollback_message(done, rdm).splitlines() == [
        ":warning: *RDM-2026-0041* revertida: Atualização do Protheus para o pacote de "
        "expedição 12.1.2410 de novembro",
        "• grupo-alvorada: de volta ao snapshot 20261203-030502-4f53cd em 42 s (dentro do tempo "
        "declarado de 10 min): protheus-appserver: 0/2 Ready after 10 min",
        "• hospital-santa-luzia: de volta ao snapshot 20261203-030502-4f53cd em 900 s (ACIMA do "
        "tempo declarado de 10 min): RDM-2026-0041 failed on grupo-alvorada",
    ]


def test_a_rollback_that_did_not_finish_asks_for_a_person(rdms):
    rdm = rdms["RDM-2026-0041"]
    stuck = TopologyRecord(
        "grupo-alvorada",
        TopologyOutcome.ROLLBACK_FAILED,
        at(0, 5),
        at(0, 9),
        error="the API server answered 503",
    )
    assert _rollback_message(record(rdm, Outcome.FAILED, [stuck]), rdm).splitlines() == [
        ":warning: *RDM-2026-0041* FALHOU: Atualização do Protheus para o pacote de expedição "
        "12.1.2410 de novembro",
        "• grupo-alvorada: O ROLLBACK FALHOU, alguém precisa olhar: the API server answered 503",
    ]


def test_the_summary_counts_each_outcome_in_singular_and_plural(rdms, example):
    r41, r42, r43, r44 = (rdms[f"RDM-2026-00{n}"] for n in (41, 42, 43, 44))
    runs = [
        run(r43, Kind.EXECUTED),
        run(r41, Kind.EXECUTED),
        run(r44, Kind.ROLLED_BACK),
        run(r42, Kind.DEFERRED),
        run(replace(r42, id="RDM-2026-0045", title="Outra"), Kind.ERROR),
        run(replace(r42, id="RDM-2026-0046", title="Mais uma"), Kind.REFUSED),
        run(replace(r42, id="RDM-2026-0047", title="A última"), Kind.FAILED),
    ]
    text = _summary_message(report(runs, ("RDM-2026-0042", "RDM-2026-0045")), example.calendar)
    assert text.splitlines() == [
        ":white_check_mark: rdm rollout em 2026-12-03 00:05 -03:00 (shard 1/1): "
        "2 executadas, 1 revertida, 1 FALHOU (um rollback não terminou), 1 recusada, "
        "1 adiada, 1 não executada (um sistema externo falhou); "
        "ainda aguardando: RDM-2026-0042, RDM-2026-0045",
        "• RDM-2026-0043 executada: Emergência — TSS sem transmitir NF-e após troca de "
        "certificado da SEFAZ",
        "• RDM-2026-0041 executada: Atualização do Protheus para o pacote de expedição "
        "12.1.2410 de novembro",
        "• RDM-2026-0044 revertida: Nova build do appserver em homologação do Hospital Santa Luzia",
        "• RDM-2026-0042 adiada: " + r42.title,
        "• RDM-2026-0045 não executada: Outra",
        "• RDM-2026-0046 recusada: Mais uma",
        "• RDM-2026-0047 FALHOU: A última",
    ]
    one = _summary_message(report([run(r41, Kind.EXECUTED)]), example.calendar)
    assert one.splitlines()[0] == (
        ":white_check_mark: rdm rollout em 2026-12-03 00:05 -03:00 (shard 1/1): "
        "1 executada; nenhuma outra RDM pendente"
    )


def test_an_rdms_text_cannot_ping_the_channel_or_forge_a_link(rdms, example):
    rdm = replace(
        rdms["RDM-2026-0043"],
        title="<!channel> <https://evil.example|clique> & pronto",
        incident="INC-1 <@U123>",
        rollback_plan="<!here> voltar",
    )
    emergency = _emergency_message(rdm, verification(11), ["cooperativa-vale-verde"])
    summary = _summary_message(report([run(rdm, Kind.EXECUTED)]), example.calendar)
    for text in (emergency, summary):
        assert "<" not in text and ">" not in text
    assert "&lt;!channel&gt; &lt;https://evil.example|clique&gt; &amp; pronto" in emergency
    assert "(INC-1 &lt;@U123&gt;)" in emergency and "&lt;!here&gt; voltar" in emergency


def test_english_with_rdm_lang_en(rdms, example):
    rdm = rdms["RDM-2026-0043"]
    back = record(rdm, Outcome.ROLLED_BACK, [rolled_back("cooperativa-vale-verde", 42, "x")])
    with i18n.using("en"):
        emergency = _emergency_message(rdm, verification(11), ["cooperativa-vale-verde"])
        rollback = _rollback_message(back, rdm)
        summary = _summary_message(
            report([run(rdm, Kind.EXECUTED), run(rdms["RDM-2026-0041"], Kind.EXECUTED)]),
            example.calendar,
        )
    assert emergency == (
        ":rotating_light: Emergency *RDM-2026-0043* (INC-20931) starts now on "
        "cooperativa-vale-verde: Emergência — TSS sem transmitir NF-e após troca de certificado "
        "da SEFAZ. Approved by the CME in PR #11; rollback plan (10 min): Voltar a imagem "
        "anterior do TSS pelo snapshot; notas ficam em contingência."
    )
    assert rollback.splitlines() == [
        ":warning: *RDM-2026-0043* rolled back: Emergência — TSS sem transmitir NF-e após troca "
        "de certificado da SEFAZ",
        "• cooperativa-vale-verde: back to snapshot 20261203-030502-4f53cd in 42 s (within the "
        "declared 10 min): x",
    ]
    assert summary.splitlines()[0] == (
        ":white_check_mark: rdm rollout at 2026-12-03 00:05 -03:00 (shard 1/1): 2 executed; "
        "nothing else is due"
    )


def test_a_hold_is_counted_and_told_in_the_summary_and_the_step_summary(rdms, example):
    from rdm.decisions import due
    from rdm.reports import rollout_report

    r41, r44 = rdms["RDM-2026-0041"], rdms["RDM-2026-0044"]
    reason = due.hold_reason("RDM-2026-0041", due.Dependency.ROLLED_BACK)
    held = replace(run(r44, Kind.HELD), reasons=(reason,), record=record(r44, Outcome.HELD, ()))
    runs = [run(r41, Kind.ROLLED_BACK), held]
    text = _summary_message(report(runs, ("RDM-2026-0044",)), example.calendar)
    assert text.splitlines() == [
        ":white_check_mark: rdm rollout em 2026-12-03 00:05 -03:00 (shard 1/1): "
        "1 revertida, 1 retida (um dependsOn não foi executado); "
        "ainda aguardando: RDM-2026-0044",
        "• RDM-2026-0041 revertida: Atualização do Protheus para o pacote de expedição "
        "12.1.2410 de novembro",
        "• RDM-2026-0044 retida: Nova build do appserver em homologação do Hospital Santa Luzia",
    ]
    markdown = rollout_report.markdown(report(runs, ("RDM-2026-0044",)), ZONE)
    assert (
        f"| RDM-2026-0044 | P3 | — | `{MERGE[:12]}` | "
        "retida: uma RDM do seu dependsOn não foi executada |"
    ) in markdown.splitlines()
    said = (
        "blocked: retida: depende de RDM-2026-0041 (dependsOn), que foi revertida; "
        "a próxima execução tenta de novo"
    )
    assert f"  - {said}" in markdown.splitlines(), markdown  # a sub-item, not "- - ..."
    # Held again by a later run, for the same reasons: nothing new recorded, nobody told.
    assert report([held]).acted
    assert not report([replace(held, record=None)]).acted
