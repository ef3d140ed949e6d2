"""`rdm committee`: roles, members, delegates (the example's text is checked in the README)."""

from __future__ import annotations

import json
from pathlib import Path


def test_json_names_roles_members_and_who_delegates_for_whom(run_rdm, example_repo: Path):
    code, out, err = run_rdm("committee", "--repo", str(example_repo), "--format", "json")
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert result["roles"]["product-owner"] == "paula-po"
    assert result["committees"]["CM"]["members"][3] == {
        "login": "diretor-services",
        "roles": ["diretor-services"],
        "delegates": ["fernanda-coord-services"],
    }
    assert result["committees"]["CME"]["fixedRoles"] == ["gestor-de-mudanca", "diretor-services"]
    assert result["delegates"] == {
        "fernanda-coord-services": ["diretor-services"],
        "gustavo-dba": ["carla-dba"],
    }
    assert result["forwarders"] == ["paula-po", "ana-gerente-mudancas", "eduardo-gmud"]


def test_a_policy_without_roles_says_so_and_nobody_forwards(run_rdm, example_repo: Path):
    policy = example_repo / "policy" / "committee.yaml"
    text = policy.read_text(encoding="utf-8")
    text = text[: text.index("roles:")] + text[text.index("committees:") :]
    policy.write_text(text.replace("    fixedRoles:", "    # fixedRoles:"), encoding="utf-8")
    code, out, err = run_rdm("committee", "--repo", str(example_repo))
    assert (code, err) == (0, "")
    assert out.splitlines()[:2] == [
        "Papéis (policy/committee.yaml)",
        "  nenhum papel declarado (`roles`)",
    ]
    assert (
        "Encaminhamento ao CM: não exigido (a política não tem `product-owner` em `roles`)"
    ) in out
    assert "  @diretor-services      substituto: @fernanda-coord-services" in out


def test_a_role_the_process_names_but_nobody_holds_is_warned_about(run_rdm, example_repo: Path):
    policy = example_repo / "policy" / "committee.yaml"
    text = (
        policy.read_text(encoding="utf-8")
        .replace(
            "  coordenador-suporte: carla-dba                   "
            "# coordenação de suporte do Smart eSocial\n",
            "",
        )
        .replace(", coordenador-suporte]", "]")
    )
    policy.write_text(text, encoding="utf-8")
    code, out, err = run_rdm("committee", "--repo", str(example_repo))
    assert code == 0
    assert err == (
        f"rdm: {example_repo}/policy/committee.yaml:7:1: warning: role coordenador-suporte is "
        "held by nobody: the change-management rules name it (add `coordenador-suporte: "
        "<login>`) [committee-roles]\n"
    )
    assert "  @carla-dba             substituto: @gustavo-dba" in out


def test_an_invalid_committee_prints_its_problems_and_exits_1(run_rdm, example_repo: Path):
    policy = example_repo / "policy" / "committee.yaml"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace(
            "  product-owner: paula-po ", "  product-owner: ~ ", 1
        ),
        encoding="utf-8",
    )
    code, out, err = run_rdm("committee", "--repo", str(example_repo))
    assert code == 1
    assert out == (
        f"{example_repo}/policy/committee.yaml:8:3: error: role product-owner is held by "
        "nobody: write the GitHub login of who holds it [committee-roles]\n"
    )
    assert err == "rdm: policy/committee.yaml is not valid; run `rdm validate`\n"


def test_in_english_when_asked(run_rdm, example_repo: Path, monkeypatch):
    monkeypatch.setenv("RDM_LANG", "en")
    code, out, _ = run_rdm("committee", "--repo", str(example_repo))
    assert code == 0
    assert out.splitlines()[0] == "Roles (policy/committee.yaml)"
    assert "CM — Comitê de Mudanças: consensus of 4 fixed members" in out
    assert "  @gustavo-dba              votes for @carla-dba" in out
