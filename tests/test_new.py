"""`rdm new`: the RDM form, the proposed window, checking before writing, never overwriting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT
from rdm.cli import cli
from rdm.decisions import calendar
from rdm.edges import new_rdm
from rdm.edges.repository import load_work_tree
from rdm.model import rdm_form

Run = Callable[..., tuple[int, str, str]]
T = datetime.fromisoformat

FIELDS = [
    "--title", "Aumentar a memória do appserver do Grupo Alvorada",
    "--type", "normal",
    "--category", "configuracao",
    "--requester", "bruno-infra",
    "--description", "O fechamento de dezembro estoura a memória do appserver.",
    "--opinion-author", "carla-dba",
    "--opinion", "Reinício em sequência, sem indisponibilidade.",
    "--impact", "high",
    "--urgency", "medium",
    "--target", "grupo-alvorada",
    "--environment", "producao",
    "--estimate", "1h",
    "--rollback-plan", "Reverter o commit da topologia e reaplicar.",
    "--rollback-estimate", "30m",
    "--evidence", "Teste de carga em homologação (CH-88200).",
    "--tested-by", "fiscal-qa",
]  # fmt: skip


@pytest.fixture
def policy() -> calendar.CalendarPolicy:
    found = load_work_tree(ROOT).calendar
    assert found is not None
    return found


def test_no_input_writes_the_next_id_with_the_proposed_window(
    run_rdm: Run, example_repo: Path
) -> None:
    code, out, err = run_rdm(
        "new", "--repo", str(example_repo), "--no-input", "--at", "2026-12-01T10:00:00-03:00",
        *FIELDS,
    )  # fmt: skip
    assert (code, err) == (0, "")
    path = example_repo / "rdms/2026/RDM-2026-0045.yaml"
    assert out.splitlines()[0] == f"RDM-2026-0045 gravada em {path}"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../../schemas/rdm.schema.json\n")
    # 10:00 on meeting day is late for 12-03: the next window is 12-10
    assert "window: '2026-12-10'\n" in text
    code, _, _ = run_rdm("validate", "--repo", str(example_repo))
    assert code == 0
    # the next run takes the next id, never the same file
    code, out, _ = run_rdm(
        "new", "--repo", str(example_repo), "--no-input", "--at", "2026-12-01T09:59:59-03:00",
        *FIELDS,
    )  # fmt: skip
    assert code == 0 and "RDM-2026-0046" in out
    assert "window: '2026-12-03'\n" in (example_repo / "rdms/2026/RDM-2026-0046.yaml").read_text()


def test_a_missing_field_with_no_input_is_a_usage_error(run_rdm: Run, example_repo: Path) -> None:
    without_target = [a for a in FIELDS if a not in ("--target", "grupo-alvorada")]
    code, _, err = run_rdm("new", "--repo", str(example_repo), "--no-input", *without_target)
    assert code == 2
    assert err == "rdm: usage: --no-input exige --target\n"
    assert not (example_repo / "rdms/2026/RDM-2026-0045.yaml").exists()


def test_an_invalid_rdm_is_not_written(run_rdm: Run, example_repo: Path) -> None:
    args = [*FIELDS, "--window", "2026-12-31"]  # inside the year-end freeze
    code, out, err = run_rdm("new", "--repo", str(example_repo), "--no-input", *args)
    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert lines[0].endswith("[rdm-window-frozen]")
    assert lines[-1] == "nada foi gravado: corrija as respostas acima e rode de novo"
    assert not (example_repo / "rdms/2026/RDM-2026-0045.yaml").exists()


def test_an_unknown_target_is_refused(run_rdm: Run, example_repo: Path) -> None:
    args = [a if a != "grupo-alvorada" else "padaria-do-ze" for a in FIELDS]
    code, _, err = run_rdm("new", "--repo", str(example_repo), "--no-input", *args)
    assert code == 2
    assert "'padaria-do-ze' não é um de:" in err


def test_hostile_text_is_written_as_text(run_rdm: Run, example_repo: Path) -> None:
    title = "no: [1, 2] # {x}\n---\nkind: ClusterRole"
    args = list(FIELDS)
    args[1] = title
    code, _, err = run_rdm(
        "new", "--repo", str(example_repo), "--no-input", "--at", "2026-12-01T09:00:00-03:00",
        *args,
    )  # fmt: skip
    assert code == 0, err
    loaded = load_work_tree(example_repo).rdms["RDM-2026-0045"]
    assert loaded.title == title


def test_the_form_prompts_in_portuguese(
    example_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rdm import i18n

    i18n.activate("pt_BR")
    answers = [
        "Aumentar a memória do appserver do Grupo Alvorada",  # title
        "",  # type: default normal
        "configuracao",
        "bruno-infra",
        "O fechamento de dezembro estoura a memória do appserver.",
        "carla-dba",
        "Reinício em sequência, sem indisponibilidade.",
        "",  # risk: baixo
        "alta",  # not a level: asked again
        "high",
        "medium",
        "grupo-alvorada, padaria",  # one unknown: asked again
        "grupo-alvorada",
        "",  # environments: producao
        "uma hora",  # not a duration: asked again
        "1h",
        "Reverter o commit da topologia e reaplicar.",
        "30m",
        "Teste de carga em homologação (CH-88200).",
        "fiscal-qa",
        "",  # window: the proposal
    ]
    result = CliRunner().invoke(
        cli,
        ["new", "--repo", str(example_repo), "--at", "2026-12-01T09:00:00-03:00"],
        input="\n".join(answers) + "\n",
    )
    assert result.exit_code == 0, result.output
    output = result.output
    assert "Prioridade (impacto x urgência): P2" in output
    assert "Clientes: cooperativa-vale-verde, grupo-alvorada, hospital-santa-luzia" in output
    assert "'alta' não é um de: high, medium, low" in output
    assert "'uma hora' não é uma duração como 45m, 2h ou 1h30m" in output
    assert (
        "Primeira janela possível: 2026-12-03 "
        "(reunião de 2026-12-01, prazo 2026-12-01 10:00 -03:00)" in output
    )
    assert "window: '2026-12-03'" in (example_repo / "rdms/2026/RDM-2026-0045.yaml").read_text()


def test_write_new_never_overwrites(tmp_path: Path) -> None:
    assert new_rdm.write_new(tmp_path, "rdms/2026/RDM-2026-0001.yaml", "a\n")
    assert not new_rdm.write_new(tmp_path, "rdms/2026/RDM-2026-0001.yaml", "b\n")
    assert (tmp_path / "rdms/2026/RDM-2026-0001.yaml").read_text() == "a\n"


@pytest.mark.parametrize(
    ("existing", "year", "expected"),
    [
        ([], 2026, "RDM-2026-0001"),
        (["RDM-2026-0041", "RDM-2026-0007", "RDM-2025-0999"], 2026, "RDM-2026-0042"),
        (["RDM-2025-0999", "notes", "RDM-2026-12"], 2026, "RDM-2026-0001"),
        (["RDM-2026-9999"], 2026, None),
    ],
)
def test_next_id(existing: list[str], year: int, expected: str | None) -> None:
    assert rdm_form.next_id(existing, year) == expected


@pytest.mark.parametrize(
    ("submitted", "needed", "expected"),
    [
        ("2026-12-01T09:59:59-03:00", timedelta(hours=2), "2026-12-03T00:00:00-03:00"),
        ("2026-12-01T10:00:00-03:00", timedelta(hours=2), "2026-12-10T00:00:00-03:00"),
        # the Christmas window moved to Tuesday night 22:00-04:00; its meeting is 12-22 14:00
        ("2026-12-22T09:00:00-03:00", timedelta(hours=2), "2026-12-22T22:00:00-03:00"),
        # after that, the freeze until 2027-01-08 takes the windows of 12-31 and 01-07
        ("2026-12-22T10:00:00-03:00", timedelta(hours=2), "2027-01-14T00:00:00-03:00"),
        # longer than any window: none within the horizon
        ("2026-12-01T09:00:00-03:00", timedelta(hours=7), None),
        ("2026-12-01T09:00:00-03:00", timedelta(hours=6), "2026-12-03T00:00:00-03:00"),
    ],
)
def test_the_first_window_an_rdm_can_make(
    policy: calendar.CalendarPolicy, submitted: str, needed: timedelta, expected: str | None
) -> None:
    found = calendar.first_window_for_submission(policy, T(submitted), needed)
    assert (found.start if found else None) == (T(expected) if expected else None)
