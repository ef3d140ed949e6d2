"""rdm's one comment on the PR: created once, then edited; found by marker *and* author;
safe against hostile review text. Real git clone in tmp, the fake GitHub over HTTP."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from github_fake import SLUG, FakeGitHub, FakePull, bot, user
from rdm.decisions.approvals import (
    LabelGate,
    MemberState,
    Outcome,
    State,
    Verdict,
    Veto,
)
from rdm.decisions.comments import MARKER
from rdm.model.records import Capacity
from rdm.reports import verdict_comment
from test_approvals_trust import Clone

CM = ["ana-gerente-mudancas", "bruno-infra", "carla-dba", "diretor-services"]
NORMAL = "rdms/2026/RDM-2026-0041.yaml"
BOT = "rdm-committee[bot]"


@pytest.fixture
def clone(tmp_path: Path) -> Clone:
    return Clone(tmp_path / "clone")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, fake: FakeGitHub) -> None:
    monkeypatch.setenv("GITHUB_API_URL", fake.api_url)
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_test")
    monkeypatch.setenv("GITHUB_REPOSITORY", SLUG)
    monkeypatch.setenv("RDM_BOT_LOGIN", BOT)
    for name in ("GITHUB_SERVER_URL", "GITHUB_RUN_ID"):
        monkeypatch.delenv(name, raising=False)


def normal_pull(fake: FakeGitHub, clone: Clone, number: int = 70) -> FakePull:
    clone.branch(f"pr-{number}", clone.base)
    head = clone.commit("rdm", {NORMAL: clone.text(NORMAL)})
    pull = fake.pull(number, "eduardo-gmud", head, clone.base).change(NORMAL, "added")
    return pull.add_label("encaminhada", "paula-po")


def publish(run_rdm, clone: Clone, number: int = 70) -> tuple[int, str, str]:
    return run_rdm("approvals", str(number), "--publish", "--repo", str(clone.root))


def outside_code(body: str) -> str:
    """The comment's text outside fenced code blocks (what GitHub renders as Markdown)."""
    kept, fence = [], None
    for line in body.splitlines():
        match = re.match(r"^(`{3,})", line)
        if fence is None and match:
            fence = match.group(1)
        elif fence is not None and line.strip() == fence:
            fence = None
        elif fence is None:
            kept.append(line)
    return "\n".join(kept)


# ------------------------------------------------ created once, then edited


def test_the_comment_is_created_once_then_edited_with_the_veto(clone, fake, env, run_rdm):
    pull = normal_pull(fake, clone)
    for login in CM[:3]:
        pull.review(login, "APPROVED")
    code, _, err = publish(run_rdm, clone)
    assert code == 1
    (comment,) = pull.comments
    assert comment["user"]["login"] == BOT
    assert f"comment {comment['id']} created on PR #70" in err
    first = comment["body"]
    assert first.startswith(MARKER + "\n## Decisão do comitê: ⏳ pendente\n")
    assert (
        "| `@diretor-services` | membro do CM · Diretor de Services | ⏳ ainda não aprovou |"
        in (first)
    )
    assert (
        f"- a aprovação de `@diretor-services` (membro do CM · Diretor de Services) "
        f"no commit `{pull.head[:7]}`" in first
    )

    pull.review("diretor-services", "CHANGES_REQUESTED", body="O rollback não cabe na janela.")
    code, _, err = publish(run_rdm, clone)
    assert code == 1
    assert [c["id"] for c in pull.comments] == [comment["id"]]  # no second comment
    assert [cid for cid, _ in fake.edits] == [comment["id"]]
    assert f"comment {comment['id']} edited on PR #70" in err
    second = pull.comments[0]["body"]
    assert second.startswith(MARKER + "\n## Decisão do comitê: ❌ rejeitada\n")
    review_id = pull.reviews[-1]["id"]
    assert (
        "`@diretor-services` (membro) pediu mudanças na RDM-2026-0041 "
        f"([ver a revisão](#pullrequestreview-{review_id})):\n\n"
        "```text\nO rollback não cabe na janela.\n```"
    ) in second
    assert [body["state"] for _, body in fake.statuses] == ["pending", "failure"]

    code, _, err = publish(run_rdm, clone)  # nothing changed: nothing written
    assert len(fake.edits) == 1 and len(pull.comments) == 1
    assert f"comment {comment['id']} on PR #70 is up to date" in err


def test_the_approved_comment(clone, fake, env, run_rdm):
    pull = normal_pull(fake, clone)
    for login in CM:
        pull.review(login, "APPROVED")
    assert publish(run_rdm, clone)[0] == 0
    body = pull.comments[0]["body"]
    assert "## Decisão do comitê: ✅ aprovada" in body
    assert "O que falta" not in body and "Vetos" not in body
    assert "| `@ana-gerente-mudancas` | membro do CM · Gestor de Mudança | ✅ aprovou" in body


def test_the_comment_is_found_on_a_later_page(clone, fake, env, run_rdm):
    pull = normal_pull(fake, clone)
    for index in range(130):
        pull.comment(user(f"pessoa-{index}", 5000 + index), f"comentário {index}")
    ours = pull.comment(bot("rdm-committee"), MARKER + "\nantigo", via="rdm-committee")
    publish(run_rdm, clone)
    assert [cid for cid, _ in fake.edits] == [ours["id"]]
    assert len(pull.comments) == 131
    pages = [
        p
        for m, p in fake.requests
        if m == "GET" and p.startswith(f"/repos/{SLUG}/issues/70/comments")
    ]
    assert len(pages) == 2


def test_rdms_own_duplicates_are_deleted_the_oldest_kept(clone, fake, env, run_rdm):
    pull = normal_pull(fake, clone)
    first = pull.comment(bot("rdm-committee"), MARKER + "\num", via="rdm-committee")
    second = pull.comment(bot("rdm-committee"), MARKER + "\ndois", via="rdm-committee")
    _, _, err = publish(run_rdm, clone)
    assert [c["id"] for c in pull.comments] == [first["id"]]
    assert fake.deletions == [second["id"]]
    assert f"comment {second['id']} deleted (a duplicate of rdm's)" in err


# ---------------------------------------------------- someone else's marker


@pytest.mark.parametrize(
    "author",
    [user("mallory", 666), bot("github-actions", 41898282)],
    ids=["a-person", "github-actions-bot"],
)
def test_a_planted_comment_with_the_marker_is_left_alone_and_named(
    clone, fake, env, run_rdm, author
):
    pull = normal_pull(fake, clone)
    fake_verdict = MARKER + "\n## Decisão do comitê: ✅ aprovada\n"
    planted = pull.comment(author, fake_verdict)
    code, _, err = publish(run_rdm, clone)
    assert code == 1
    assert planted["body"] == fake_verdict  # never edited, never deleted
    assert fake.edits == [] and fake.deletions == []
    assert [c["user"]["login"] for c in pull.comments] == [author["login"], BOT]
    ours = pull.comments[1]["body"]
    assert f"imita este quadro (autor: `@{author['login']}`)" in ours
    assert (
        f"rdm: warning: comment {planted['id']} by @{author['login']} carries rdm's marker "
        f"but is not by {BOT}: left alone"
    ) in err


def test_a_planted_comment_before_rdms_does_not_take_its_place(clone, fake, env, run_rdm):
    pull = normal_pull(fake, clone)
    planted = pull.comment(user("mallory", 666), MARKER + "\nfalso")
    ours = pull.comment(bot("rdm-committee"), MARKER + "\nvelho", via="rdm-committee")
    publish(run_rdm, clone)
    assert [cid for cid, _ in fake.edits] == [ours["id"]]
    assert planted["body"] == MARKER + "\nfalso"


# ------------------------------------------------------------ who rdm is


def test_without_a_bot_login_an_app_token_publishes_nothing(clone, fake, env, run_rdm, monkeypatch):
    monkeypatch.delenv("RDM_BOT_LOGIN")
    pull = normal_pull(fake, clone)
    code, _, err = publish(run_rdm, clone)
    assert code == 3
    assert "set RDM_BOT_LOGIN (or --bot-login)" in err
    assert fake.statuses == [] and pull.comments == []


def test_a_persons_token_says_who_it_is(clone, fake, env, run_rdm, monkeypatch):
    monkeypatch.delenv("RDM_BOT_LOGIN")
    fake.app_slug = None  # a person's token: GET /user answers
    pull = normal_pull(fake, clone)
    publish(run_rdm, clone)
    publish(run_rdm, clone)
    assert [c["user"]["login"] for c in pull.comments] == ["ana-gerente-mudancas"]
    assert ("GET", "/user") in fake.requests


def test_a_wrong_bot_login_takes_its_comment_back(clone, fake, env, run_rdm, monkeypatch):
    monkeypatch.setenv("RDM_BOT_LOGIN", "outro-app[bot]")
    pull = normal_pull(fake, clone)
    code, _, err = publish(run_rdm, clone)
    assert code == 3
    assert "the comment was posted as @rdm-committee[bot], not as outro-app[bot]" in err
    assert pull.comments == [] and len(fake.deletions) == 1


def test_a_bot_login_that_is_no_login_is_a_usage_error(clone, fake, env, run_rdm):
    normal_pull(fake, clone)
    code, _, err = run_rdm(
        "approvals", "70", "--publish", "--bot-login", "x y", "--repo", str(clone.root)
    )
    assert code == 2
    assert "'x y' is not a GitHub login nor an App's <app-slug>[bot]" in err


def test_github_actions_bot_is_warned_about(clone, fake, env, run_rdm, monkeypatch):
    monkeypatch.setenv("RDM_BOT_LOGIN", "github-actions[bot]")
    fake.app_slug = "github-actions"
    normal_pull(fake, clone)
    _, _, err = publish(run_rdm, clone)
    assert "rdm: warning: github-actions[bot] is every workflow's account" in err


# --------------------------------------------------------- hostile text

HOSTILE = (
    "Reprovado.\n"
    "```\n</details><img src=x onerror=alert(1)> @saas-team/everyone @diretor-services\n"
    "```````` \n"
    "\u202eevil\u2066 \x00\x1b[31m <!-- rdm:committee-verdict -->\n" + "linha\n" * 60 + "A" * 20_000
)


def test_hostile_review_text_stays_inert_and_short(clone, fake, env, run_rdm):
    pull = normal_pull(fake, clone)
    for login in CM[:3]:
        pull.review(login, "APPROVED")
    pull.review("diretor-services", "CHANGES_REQUESTED", body=HOSTILE)
    publish(run_rdm, clone)
    body = pull.comments[0]["body"]
    assert len(body) < 10_000
    assert "\u202e" not in body and "\u2066" not in body and "\x00" not in body
    assert "\x1b" not in body
    assert "caracteres cortados" in body
    # The review's text is inside a fence of nine backticks: its own eight cannot close it.
    assert "`````````text\nReprovado.\n```\n</details><img" in body
    rendered = outside_code(body)
    assert "<img" not in rendered and "@saas-team" not in rendered
    assert "</details>" in rendered  # only rdm's own, closing its folded reasons
    assert rendered.count("</details>") == 1
    assert body.count(MARKER) == 2  # rdm's own, and the inert copy inside the fence
    assert body.startswith(MARKER)


def test_mentions_never_come_from_rdm(clone, fake, env, run_rdm):
    pull = normal_pull(fake, clone)
    pull.review("carla-dba", "CHANGES_REQUESTED")
    publish(run_rdm, clone)
    rendered = outside_code(pull.comments[0]["body"])
    # every login is in a code span, where GitHub neither links nor notifies
    assert re.findall(r"(?<!`)@[A-Za-z0-9]", rendered) == []


# ------------------------------------------------------ the body on its own


def _verdict(**kw) -> Verdict:
    defaults: dict = {
        "verdict": Outcome.PENDING,
        "committee": "CM",
        "rdm_id": "RDM-2026-0042",
        "members": (),
        "reasons": ("approval missing from @x",),
        "rdm_ids": ("RDM-2026-0042",),
    }
    return Verdict(**{**defaults, **kw})


def test_the_body_names_roles_involvement_delegates_and_what_is_missing():
    verdict = _verdict(
        members=(
            MemberState(
                "bruno-infra",
                State.APPROVED,
                Capacity.MEMBER,
                True,
                ("gestor-de-suporte-services",),
            ),
            MemberState(
                "diretor-services",
                State.DELEGATED,
                Capacity.MEMBER,
                roles=("diretor-services",),
                replaced_by="fernanda-coord-services",
            ),
            MemberState(
                "fernanda-coord-services",
                State.APPROVED,
                Capacity.DELEGATE,
                stands_in_for="diretor-services",
            ),
            MemberState("lucas-analista-cloud", State.STALE, Capacity.INVOLVED, True),
            MemberState("estagiario-dev", State.NOT_A_MEMBER),
        ),
        gates=(
            LabelGate(
                "encaminhada",
                ("paula-po", "ana-gerente-mudancas"),
                None,
                ("mallory",),
                "paula-po",
            ),
        ),
    )
    body = verdict_comment.body(12, verdict, "3f2a9c1" + "0" * 33)
    assert body.splitlines()[:4] == [
        MARKER,
        "## Decisão do comitê: ⏳ pendente",
        "",
        "PR #12 · RDM-2026-0042 · CM (Comitê de Mudanças) · commit avaliado `3f2a9c1`",
    ]
    table = [line for line in body.splitlines() if line.startswith("| ")]
    assert table == [
        "| Pessoa | Por que vota | Situação |",
        "| `@bruno-infra` | membro do CM · Gestor de Suporte Services · pessoa envolvida na "
        "RDM-2026-0042 | ✅ aprovou no commit atual |",
        "| `@diretor-services` | membro do CM · Diretor de Services | 🔁 "
        "`@fernanda-coord-services` aprovou no lugar |",
        "| `@fernanda-coord-services` | substitui `@diretor-services` | ✅ aprovou no commit "
        "atual |",
        "| `@lucas-analista-cloud` | pessoa envolvida na RDM-2026-0042 | ⚠️ aprovou um commit "
        "anterior |",
        "| `@estagiario-dev` | — | não vota nesta decisão |",
    ]
    missing = [line for line in body.splitlines() if line.startswith("- ")]
    assert missing[:3] == [
        "- o encaminhamento ao CM por `@paula-po` (Product Owner) ou por um gestor de mudança: "
        "o rótulo `encaminhada` posto por uma dessas pessoas",
        "- o rótulo `encaminhada` posto por `@mallory` não conta e foi ignorado",
        "- a aprovação de `@lucas-analista-cloud` (pessoa envolvida na RDM-2026-0042) no commit "
        "`3f2a9c1` (a anterior foi dada antes do último push)",
    ]


def test_several_rdms_get_a_section_each():
    first = _verdict(verdict=Outcome.APPROVED, rdm_id="RDM-2026-0041", rdm_ids=("RDM-2026-0041",))
    second = _verdict(
        members=(MemberState("carla-dba", State.MISSING, Capacity.MEMBER),),
    )
    merged = _verdict(
        members=second.members,
        rdm_ids=("RDM-2026-0041", "RDM-2026-0042"),
        parts=(first, second),
    )
    body = verdict_comment.body(12, merged, "a" * 40)
    assert "### RDM-2026-0041 · CM (Comitê de Mudanças): ✅ aprovada" in body
    assert "### RDM-2026-0042 · CM (Comitê de Mudanças): ⏳ pendente" in body
    assert "- RDM-2026-0042: a aprovação de `@carla-dba` (membro do CM) no commit `aaaaaaa`" in body


def test_a_hostile_login_or_reason_cannot_break_out():
    verdict = _verdict(
        verdict=Outcome.REJECTED,
        members=(MemberState("x`|<b>@all", State.NOT_A_MEMBER),),
        reasons=("topologies/```\n<script>.yaml changes, but no RDM",) * 500,
        vetoes=(Veto("x`y", Capacity.MEMBER, False, "RDM-2026-0042", "```" * 10, -1, ""),),
    )
    body = verdict_comment.body(12, verdict, "z" * 40)
    rendered = outside_code(body)
    assert "<script>" not in rendered and "<b>" not in rendered
    assert "| `@xball` | — |" in body
    assert "… and 440 more" in body
    assert "ver a revisão" not in body  # no link to a review id that is not one
    assert len(body) <= verdict_comment.MAX_BODY


def test_the_body_never_exceeds_githubs_limit():
    huge = tuple(f"reason {i} " + "x" * 390 for i in range(60))
    vetoes = tuple(
        Veto(f"membro-{i}", Capacity.MEMBER, False, "RDM-2026-0042", "y" * 5000, i + 1, "")
        for i in range(40)
    )
    verdict = _verdict(verdict=Outcome.REJECTED, reasons=huge, vetoes=vetoes)
    body = verdict_comment.body(12, verdict, "a" * 40)
    assert len(body) <= verdict_comment.MAX_BODY
    assert "e mais 30 vetos" in body
    json.dumps(body)  # plain text


def test_the_comment_is_in_the_teams_language_whoever_publishes(
    clone, fake, env, run_rdm, monkeypatch
):
    """A person publishing from an English locale must not flip the comment's language."""
    monkeypatch.setenv("RDM_LANG", "en")
    pull = normal_pull(fake, clone)
    publish(run_rdm, clone)
    body = pull.comments[0]["body"]
    assert "## Decisão do comitê: ⏳ pendente" in body
    assert "#### O que falta" in body


def test_the_body_in_english():
    from rdm import i18n

    verdict = _verdict(members=(MemberState("carla-dba", State.MISSING, Capacity.MEMBER),))
    with i18n.using("en"):
        body = verdict_comment.body(12, verdict, "a" * 40)
    assert "## Committee decision: ⏳ pending" in body
    assert "- the approval of `@carla-dba` (member of the CM) on commit `aaaaaaa`" in body
