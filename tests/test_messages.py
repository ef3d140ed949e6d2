"""Findings a person can act on: the words of `rdm validate`'s messages.

No message shows a regular expression; a value close to an allowed one gets
"did you mean"; dates, date-times, booleans, CNPJs and durations written in
another form get the right form, with the value itself rewritten when it can be
read. The folder cases (tests/cases/validate/invalid/messages-*) pin positions;
these pin the words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import copy_example, overlay
from rdm.edges.repository import load_work_tree
from rdm.model import messages
from rdm.model.schemas import SCHEMA_DIR

CASES = Path(__file__).parent / "cases" / "validate"
REGEX_MARKS = re.compile(r"\\[dswDSW]|\(\?|\[[a-zA-Z0-9]-|\{\d*,\d*\}|^\^|\$$|\^\[")


def _lines(repo: Path, run_rdm: Callable[..., tuple[int, str, str]], case: str) -> list[str]:
    overlay(repo, CASES / case / "files")
    code, out, err = run_rdm("validate", "--repo", str(repo), "--format", "text")
    assert (code, err) == (1, "")
    return [line.removeprefix(f"{repo}/") for line in out.splitlines()[:-1]]


def test_close_values_get_did_you_mean_across_languages(
    example_repo: Path, run_rdm: Callable[..., tuple[int, str, str]]
) -> None:
    path = "rdms/2026/RDM-2026-0042.yaml"
    lines = _lines(example_repo, run_rdm, "invalid/messages-did-you-mean")
    assert [line for line in lines if "known keys" not in line] == [
        f"{path}:5:1: error: category: 'configuração' is not one of 'atualizacao', "
        "'configuracao', 'infraestrutura', 'correcao', 'seguranca', 'novo-cliente', "
        "'desativacao': did you mean 'configuracao'? [schema]",
        f"{path}:13:3: error: technicalOpinion.risk: 'low' is not one of 'baixo', 'medio', "
        "'alto': did you mean 'baixo'? [schema]",
        f"{path}:14:1: error: impact: 'média' is not one of 'high', 'medium', 'low': "
        "did you mean 'medium'? [schema]",
        f"{path}:15:1: error: urgency: 'alto' is not one of 'high', 'medium', 'low': "
        "did you mean 'high'? [schema]",
        f"{path}:17:16: error: environments.0: 'produção' is not one of 'producao', "
        "'homologacao': did you mean 'producao'? [schema]",
        f"{path}:24:3: error: homologation.environment: 'Homologação' is not one of "
        "'homologacao', 'producao': did you mean 'homologacao'? [schema]",
        f"{path}:27:1: error: unknown key 'prioridade': the priority is derived from impact "
        "and urgency by policy/priorities.yaml, never written; remove it [schema]",
    ]
    unknown = [line for line in lines if "known keys" in line]
    assert len(unknown) == 1
    assert unknown[0].startswith(
        f"{path}:18:1: error: unknown key 'janela': did you mean 'window'? (known keys: $schema, "
    )


def test_dates_show_the_right_form_everywhere(
    example_repo: Path, run_rdm: Callable[..., tuple[int, str, str]]
) -> None:
    assert _lines(example_repo, run_rdm, "invalid/messages-dates-with-their-form") == [
        "policy/calendar.yaml:19:7: error: holidays.extra.0: '25/01/2026' is not a date in the "
        "form YYYY-MM-DD: write 2026-01-25 [schema]",
        "policy/calendar.yaml:74:5: error: freezes.0.start: '2026-12-28' is a date without a "
        "time; write it with the time and offset, e.g. 2026-12-28T00:00:00-03:00 [schema]",
        "rdms/2026/RDM-2026-0041.yaml:21:1: error: window: '03/12/2026' is not a date in the "
        "form YYYY-MM-DD: write 2026-12-03 [schema]",
        "rdms/2026/RDM-2026-0041.yaml:33:3: error: homologation.testedAt: '24/11/2026' is not a "
        "date in the form YYYY-MM-DD: write 2026-11-24 [schema]",
        "rdms/2026/RDM-2026-0043.yaml:32:3: error: communication.notifiedAt: '2026-11-26 08:15' "
        "has no offset; write 2026-11-26T08:15:00-03:00 (Brasília) or 2026-11-26T08:15:00Z (UTC) "
        "[schema]",
        "rdms/2026/RDM-2026-0044.yaml:19:1: error: window: 20261203 is a number; write the date "
        "as YYYY-MM-DD: 2026-12-03 [schema]",
    ]


def test_booleans_and_cnpj(
    example_repo: Path, run_rdm: Callable[..., tuple[int, str, str]]
) -> None:
    assert _lines(example_repo, run_rdm, "invalid/messages-booleans-and-cnpj") == [
        "rdms/2026/RDM-2026-0043.yaml:28:3: error: communication.notified: 'sim' is text; write "
        "true (without quotes) [schema]",
        "topologies/grupo-alvorada.yaml:7:3: error: client.cnpj: the CNPJ is written as a number, "
        'which loses leading zeros; write it in quotes: "12.345.678/0001-95" [schema]',
        "topologies/grupo-alvorada.yaml:42:5: error: workloads.protheus-appserver-update.enabled: "
        "'não' is text; write false (without quotes) [schema]",
        "topologies/hospital-santa-luzia.yaml:7:3: error: client.cnpj: '23456789000195': write "
        "the CNPJ as 23.456.789/0001-95 [schema]",
    ]


def test_cnpj_check_digits(
    example_repo: Path, run_rdm: Callable[..., tuple[int, str, str]]
) -> None:
    assert _lines(example_repo, run_rdm, "invalid/topology-cnpj-check-digits") == [
        "topologies/grupo-alvorada.yaml:7:9: error: CNPJ 12.345.678/0001-90: the check digits "
        "should be 95, not 90; check the number with the client [topology-cnpj]",
        "topologies/hospital-santa-luzia.yaml:7:9: error: CNPJ 12.ABC.345/01DE-53: the check "
        "digits should be 35, not 53; check the number with the client [topology-cnpj]",
    ]


# ---------------------------------------------------------------- the class, not the example


def _patterns(node: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            found.append((where, node))
        for key, value in node.items():
            found += _patterns(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _patterns(value, f"{where}/{index}")
    return found


@pytest.mark.parametrize("schema", sorted(p.name for p in SCHEMA_DIR.glob("*.schema.json")))
def test_every_pattern_says_its_form_in_words(schema: str) -> None:
    for where, node in _patterns(json.loads((SCHEMA_DIR / schema).read_text(encoding="utf-8"))):
        message = node.get("errorMessage")
        assert isinstance(message, str) and message, f"{schema}{where} has no errorMessage"
        assert not REGEX_MARKS.search(message), f"{schema}{where}: {message}"


def test_no_finding_of_any_case_shows_a_regular_expression(tmp_path: Path) -> None:
    checked = 0
    for case in sorted((CASES / "invalid").iterdir()):
        repo = copy_example(tmp_path / case.name)
        overlay(repo, case / "files")
        for problem in load_work_tree(repo).problems:
            assert not REGEX_MARKS.search(problem.message), str(problem)
            checked += 1
    assert checked > 50


def test_a_pattern_without_words_never_prints_itself() -> None:
    from jsonschema import Draft202012Validator

    from rdm.model.schemas import _message

    # A schema that forgot its errorMessage: the message still shows no expression.
    (error,) = Draft202012Validator({"type": "string", "pattern": r"^\d{4}$"}).iter_errors("abc")
    assert _message(error) == "'abc': does not have the expected form"


# ---------------------------------------------------------------- the helpers


@pytest.mark.parametrize(
    ("value", "options", "meant"),
    [
        ("produção", ["producao", "homologacao"], "producao"),
        ("HOMOLOGAÇÃO", ["producao", "homologacao"], "homologacao"),
        ("prod", ["producao", "homologacao"], "producao"),
        ("alto", ["high", "medium", "low"], "high"),
        ("média", ["high", "medium", "low"], "medium"),
        ("baixa", ["high", "medium", "low"], "low"),
        ("medium", ["baixo", "medio", "alto"], "medio"),
        ("emergência", ["normal", "emergency", "standard"], "emergency"),
        ("padrão", ["normal", "emergency", "standard"], "standard"),
        ("quinta", ["monday", "thursday"], "thursday"),
        ("novo cliente", ["novo-cliente", "desativacao"], "novo-cliente"),
        ("hihg", ["high", "medium", "low"], "high"),
        ("xyz", ["high", "medium", "low"], None),
        (3, ["high"], None),
    ],
)
def test_did_you_mean(value: object, options: list[str], meant: str | None) -> None:
    assert messages.did_you_mean(value, options) == meant


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("03/12/2026", "'03/12/2026' is not a date in the form YYYY-MM-DD: write 2026-12-03"),
        ("3.12.2026", "'3.12.2026' is not a date in the form YYYY-MM-DD: write 2026-12-03"),
        ("2026/12/03", "'2026/12/03' is not a date in the form YYYY-MM-DD: write 2026-12-03"),
        ("2026-2-3", "'2026-2-3' is not a date in the form YYYY-MM-DD: write 2026-02-03"),
        ("2026-02-30", "'2026-02-30' is not a day of the calendar; write a real date as "
         "YYYY-MM-DD, e.g. 2026-12-03"),
        ("31/02/2026", "'31/02/2026' is not a date; write YYYY-MM-DD, e.g. 2026-12-03"),
        ("amanhã", "'amanhã' is not a date; write YYYY-MM-DD, e.g. 2026-12-03"),
        (20261203, "20261203 is a number; write the date as YYYY-MM-DD: 2026-12-03"),
    ],
)
def test_date_messages(value: object, message: str) -> None:
    assert messages.date_message(value) == message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("26/11/2026 08:15", "'26/11/2026 08:15' has no offset; write 2026-11-26T08:15:00-03:00 "
         "(Brasília) or 2026-11-26T08:15:00Z (UTC)"),
        ("2026-11-26T08:15:00", "'2026-11-26T08:15:00' has no offset; write "
         "2026-11-26T08:15:00-03:00 (Brasília) or 2026-11-26T08:15:00Z (UTC)"),
        ("ontem", "'ontem' is not a date and time; write YYYY-MM-DDTHH:MM:SS with the offset "
         "(-03:00 for Brasília, or Z for UTC), e.g. 2026-11-26T08:15:00-03:00"),
    ],
)
def test_date_time_messages(value: object, message: str) -> None:
    assert messages.date_time_message(value) == message


@pytest.mark.parametrize(
    ("value", "word"),
    [("sim", "true"), ("Sim", "true"), ("yes", "true"), ("não", "false"), ("nao", "false"),
     ("no", "false"), ("off", "false"), ("verdadeiro", "true")],
)
def test_boolean_words(value: str, word: str) -> None:
    assert messages.boolean_message(value) == f"{value!r} is text; write {word} (without quotes)"


@pytest.mark.parametrize(
    ("value", "duration"),
    [("90 minutos", "1h30m"), ("1 hora e 30 minutos", "1h30m"), ("1:30", "1h30m"),
     ("1h30", "1h30m"), ("2 horas", "2h"), ("45 min", "45m"), ("meia hora", None), ("0m", None)],
)
def test_duration_suggestions(value: str, duration: str | None) -> None:
    assert messages.duration_suggestion(value) == duration


@pytest.mark.parametrize(
    ("characters", "digits"),
    [("112223330001", "81"), ("123456780001", "95"), ("12ABC34501DE", "35")],
)
def test_cnpj_check_digits_numeric_and_alphanumeric(characters: str, digits: str) -> None:
    assert messages.cnpj_check_digits(characters) == digits
