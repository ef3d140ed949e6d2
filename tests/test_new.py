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
    assert "'padaria-do-ze' não é uma das opções:" in err


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
    assert "'alta' não é uma das opções: high, medium, low" in output
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


# ------------------------------------------------------------ attacks on the form


def _form(repo: Path, answers: list[str], at: str = "2026-12-01T09:00:00-03:00") -> object:
    from rdm import i18n

    i18n.activate("pt_BR")
    return CliRunner().invoke(
        cli, ["new", "--repo", str(repo), "--at", at], input="\n".join(answers) + "\n"
    )


ANSWERS = [
    "Aumentar a memória do appserver do Grupo Alvorada",  # title
    "",  # type: normal
    "configuracao",
    "bruno-infra",
    "O fechamento de dezembro estoura a memória do appserver.",
    "carla-dba",
    "Reinício em sequência, sem indisponibilidade.",
    "",  # risk
    "high",
    "medium",
    "grupo-alvorada",
    "",  # environments
    "1h",
    "Reverter o commit da topologia e reaplicar.",
    "30m",
    "Teste de carga em homologação (CH-88200).",
    "fiscal-qa",
]


@pytest.mark.parametrize(
    ("window", "at", "message"),
    [
        # already run
        (
            "2026-11-26",
            "2026-12-01T09:00:00-03:00",
            "a janela de 2026-11-26 já começou; a primeira janela possível é 2026-12-03",
        ),
        # its meeting's deadline (10:00 on 12-01) has passed
        (
            "2026-12-03",
            "2026-12-01T10:00:00-03:00",
            "tarde demais para a janela de 2026-12-03: o prazo da reunião de 2026-12-01 era "
            "2026-12-01 10:00 -03:00; a primeira janela possível é 2026-12-10",
        ),
    ],
)
def test_a_window_the_rdm_can_no_longer_make_is_refused(
    run_rdm: Run, example_repo: Path, window: str, at: str, message: str
) -> None:
    code, out, err = run_rdm(
        "new", "--repo", str(example_repo), "--no-input", "--at", at, *FIELDS, "--window", window
    )
    assert (code, out) == (2, "")
    assert err == f"rdm: usage: --window: {message}\n"
    assert not (example_repo / "rdms/2026/RDM-2026-0045.yaml").exists()


def test_no_window_can_hold_it_is_said(run_rdm: Run, example_repo: Path) -> None:
    args = [a if a != "1h" else "6h" for a in FIELDS]  # 6h + 30m: more than any window
    code, out, err = run_rdm(
        "new", "--repo", str(example_repo), "--no-input", "--at", "2026-12-01T09:00:00-03:00",
        *args,
    )  # fmt: skip
    assert (code, out) == (2, "")
    assert err == (
        "rdm: usage: nenhuma janela dos próximos anos comporta 6h + 30m (implementação + "
        "rollback) fora dos congelamentos; divida a mudança ou reveja as estimativas\n"
    )


def test_the_form_asks_again_what_the_file_would_refuse(example_repo: Path) -> None:
    # Each answer is checked as typed against what `rdm validate` will say of the file,
    # so a short title or a login with a space never costs the whole form at the end.
    answers = list(ANSWERS)
    answers[3:4] = ["not a login!", "bruno-infra"]  # requester
    answers += [
        "03/12/2026",  # window: not a date
        "2026-12-02",  # a Wednesday: not a window
        "2026-11-26",  # already run
        "2026-12-31",  # frozen (year-end)
        "",  # the proposal
    ]
    result = _form(example_repo, answers)
    output = result.output  # type: ignore[attr-defined]
    assert result.exit_code == 0, output  # type: ignore[attr-defined]
    for expected in (
        "Error: 'not a login!' não é um login do GitHub (letras, dígitos e hífens simples, "
        "até 39)",
        "Error: '03/12/2026' não é uma data AAAA-MM-DD",
        "Error: 2026-12-02 não é uma janela de mudança (veja `rdm calendar`)",
        "Error: a janela de 2026-11-26 já começou; a primeira janela possível é 2026-12-03",
        "Error: a janela de 2026-12-31 está toda congelada (Fechamento fiscal e contábil de "
        "fim de ano dos clientes)",
    ):
        assert expected in output, expected
    text = (example_repo / "rdms/2026/RDM-2026-0045.yaml").read_text(encoding="utf-8")
    assert "window: '2026-12-03'" in text
    assert "requester: bruno-infra" in text


def test_a_short_title_is_asked_again(example_repo: Path) -> None:
    answers = ["Ok", *ANSWERS, ""]
    result = _form(example_repo, answers)
    output = result.output  # type: ignore[attr-defined]
    assert result.exit_code == 0, output  # type: ignore[attr-defined]
    assert "Error: 'Ok' é curto demais: no mínimo 5 caracteres" in output


@pytest.mark.parametrize(
    "misnamed",
    [
        "rdms/2026/RDM-2026-0050.yml",
        "rdms/2026/rdm-2026-0050.yaml",
        "rdms/2025/RDM-2026-0050.yaml",
        "rdms/2026/RDM-2026-0050 (cópia).yaml",
        "rdms/2026/rascunho.yaml",  # its id says RDM-2026-0050
    ],
)
def test_the_next_id_skips_ids_taken_by_misnamed_files(
    run_rdm: Run, example_repo: Path, misnamed: str
) -> None:
    path = example_repo / misnamed
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("id: RDM-2026-0050\ntitle: rascunho\n", encoding="utf-8")
    code, out, err = run_rdm(
        "new", "--repo", str(example_repo), "--no-input", "--at", "2026-12-01T09:00:00-03:00",
        *FIELDS,
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert "RDM-2026-0051 gravada" in out


def test_the_next_id_never_reuses_one_from_the_history(
    run_rdm: Run, example_repo: Path
) -> None:
    # An id once used keeps its execution records (git notes name it) and its PR: a
    # deleted RDM's id, or one taken on another branch, is never handed out again.
    import git

    repo = git.Repo.init(example_repo, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "t").set_value("user", "email", "t@example.invalid")
    repo.index.add([str(p.relative_to(example_repo)) for p in example_repo.rglob("*.yaml")])
    repo.index.commit("base")
    repo.git.checkout("-b", "rdm-60")
    other = example_repo / "rdms/2026/RDM-2026-0060.yaml"
    other.write_text("id: RDM-2026-0060\n", encoding="utf-8")
    repo.index.add([str(other.relative_to(example_repo))])
    repo.index.commit("RDM-2026-0060 on another branch")
    repo.git.checkout("main")
    assert not other.exists()
    code, out, err = run_rdm(
        "new", "--repo", str(example_repo), "--no-input", "--at", "2026-12-01T09:00:00-03:00",
        *FIELDS,
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert "RDM-2026-0061 gravada" in out


def test_a_target_named_twice_is_taken_once(run_rdm: Run, example_repo: Path) -> None:
    # The file would be refused (targets must be unique) and the whole form lost.
    code, _, err = run_rdm(
        "new", "--repo", str(example_repo), "--no-input", "--at", "2026-12-01T09:00:00-03:00",
        *FIELDS, "--target", "grupo-alvorada", "--environment", "producao",
    )  # fmt: skip
    assert (code, err) == (0, "")
    answers = list(ANSWERS)
    answers[10] = "grupo-alvorada, hospital-santa-luzia,grupo-alvorada"
    answers[11] = "producao,producao"
    result = _form(example_repo, [*answers, ""])
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    loaded = load_work_tree(example_repo).rdms
    assert loaded["RDM-2026-0045"].targets == ("grupo-alvorada",)
    assert loaded["RDM-2026-0046"].targets == ("grupo-alvorada", "hospital-santa-luzia")
