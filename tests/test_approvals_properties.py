"""Properties of the committee's verdict over generated review histories.

The rules in `approvals` are few, and a wrong merge is costly: these hold for
any sequence of reviews, not just the cases written out in test_approvals.py.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from rdm.decisions.approvals import (
    ChangedFile,
    LabelEvent,
    Outcome,
    PullRequest,
    Review,
    decide,
)
from rdm.edges.repository import Repository

HEAD, OLD = "h" * 40, "o" * 40
NORMAL = "rdms/2026/RDM-2026-0041.yaml"  # targets grupo-alvorada, hospital-santa-luzia
CM = ("ana-gerente-mudancas", "bruno-infra", "carla-dba", "diretor-services")
OUTSIDERS = ("estagiario-dev", "cliente-ti", "dependabot")
AUTHOR = "eduardo-gmud"  # a change manager, not a CM member

reviews = st.lists(
    st.builds(
        Review,
        login=st.sampled_from(CM + OUTSIDERS + ("fernanda-coord-services", "gustavo-dba")),
        state=st.sampled_from(["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED"]),
        commit_id=st.sampled_from([HEAD, OLD]),
        submitted_at=st.just("2026-11-24T15:00:00Z"),
    ),
    max_size=14,
)


def _pr(history: list[Review], author: str = AUTHOR) -> PullRequest:
    return PullRequest(
        number=1,
        author=author,
        head_sha=HEAD,
        base_sha=OLD,
        labels=(LabelEvent("encaminhada", "paula-po"),),  # forwarded by the Product Owner
        reviews=tuple(history),
        changed_files=(ChangedFile(NORMAL, "added"),),
        base_ref="main",
    )


def _verdict(example: Repository, history: list[Review], author: str = AUTHOR) -> Outcome:
    assert example.committee is not None
    rdms = {NORMAL: example.rdms["RDM-2026-0041"]}
    return decide(
        example.committee,
        _pr(history, author),
        rdms,
        example.standard_changes,
        protected_branch="main",
    ).verdict


def _latest(history: list[Review], login: str) -> Review | None:
    decisive = [r for r in history if r.login == login and r.state != "COMMENTED"]
    return decisive[-1] if decisive else None


@settings(max_examples=150, deadline=None)
@given(history=reviews, noise=reviews)
def test_reviews_of_outsiders_never_change_the_verdict(
    example: Repository, history: list[Review], noise: list[Review]
) -> None:
    outsiders = [r for r in noise if r.login in OUTSIDERS]
    assert _verdict(example, history + outsiders) == _verdict(example, history)


@settings(max_examples=150, deadline=None)
@given(history=reviews)
def test_approved_only_if_every_member_or_a_delegate_approved_the_head(
    example: Repository, history: list[Review]
) -> None:
    if _verdict(example, history) is not Outcome.APPROVED:
        return
    delegates = {"diretor-services": "fernanda-coord-services", "carla-dba": "gustavo-dba"}
    for member in CM:
        own = _latest(history, member)
        stand_in = _latest(history, delegates[member]) if member in delegates else None
        approved = [
            r for r in (own, stand_in) if r and r.state == "APPROVED" and r.commit_id == HEAD
        ]
        assert approved, f"approved without {member}"


@settings(max_examples=150, deadline=None)
@given(history=reviews, member=st.sampled_from(CM))
def test_a_members_latest_changes_requested_rejects(
    example: Repository, history: list[Review], member: str
) -> None:
    history = [*history, Review(member, "CHANGES_REQUESTED", OLD, "2026-11-24T16:00:00Z")]
    assert _verdict(example, history) is Outcome.REJECTED


@settings(max_examples=150, deadline=None)
@given(history=reviews)
def test_every_member_approving_the_head_last_approves(
    example: Repository, history: list[Review]
) -> None:
    final = [Review(m, "APPROVED", HEAD, "2026-11-24T17:00:00Z") for m in CM]
    # Delegates' own requests for changes reject too; keep them out of this history.
    history = [r for r in history if r.login not in ("fernanda-coord-services", "gustavo-dba")]
    assert _verdict(example, history + final) is Outcome.APPROVED


@settings(max_examples=100, deadline=None)
@given(history=reviews, author=st.sampled_from(CM))
def test_the_authors_approval_never_counts(
    example: Repository, history: list[Review], author: str
) -> None:
    without = [r for r in history if r.login != author]
    with_own = [*without, Review(author, "APPROVED", HEAD, "2026-11-24T17:00:00Z")]
    assert _verdict(example, with_own, author) == _verdict(example, without, author)


INVOLVED = ("lucas-analista-cloud", "estagiario-dev")


@settings(max_examples=150, deadline=None)
@given(
    history=st.lists(
        st.builds(
            Review,
            login=st.sampled_from(CM + INVOLVED + ("fernanda-coord-services",)),
            state=st.sampled_from(["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED"]),
            commit_id=st.sampled_from([HEAD, OLD]),
            submitted_at=st.just("2026-11-24T15:00:00Z"),
        ),
        max_size=16,
    ),
    involved=st.lists(st.sampled_from(INVOLVED + CM), unique=True, max_size=3),
)
def test_approved_only_if_every_person_involved_approved_the_head(
    example: Repository, history: list[Review], involved: list[str]
) -> None:
    """Someone involved who is not a member has no delegate: only their own approval counts."""
    assert example.committee is not None
    rdm = replace(example.rdms["RDM-2026-0041"], involved=tuple(involved))
    verdict = decide(
        example.committee, _pr(history), {NORMAL: rdm}, {}, protected_branch="main"
    ).verdict
    if verdict is not Outcome.APPROVED:
        return
    for login in involved:
        if login in CM:
            continue
        own = _latest(history, login)
        assert own is not None and own.state == "APPROVED" and own.commit_id == HEAD, login


@settings(max_examples=150, deadline=None)
@given(
    history=reviews,
    actor=st.sampled_from(["paula-po", "eduardo-gmud", "ana-gerente-mudancas", "mallory", ""]),
    label=st.sampled_from(["encaminhada", "Encaminhada", "encaminhado", "emergency"]),
)
def test_a_normal_rdm_is_approved_only_when_forwarded_by_whom_the_policy_allows(
    example: Repository, history: list[Review], actor: str, label: str
) -> None:
    """Every member approves the head last: the forwarding label alone decides."""
    assert example.committee is not None
    final = [Review(m, "APPROVED", HEAD, "2026-11-24T17:00:00Z") for m in CM]
    history = [r for r in history if r.login not in ("fernanda-coord-services", "gustavo-dba")]
    pr = replace(_pr(history + final), labels=(LabelEvent(label, actor),))
    rdms = {NORMAL: example.rdms["RDM-2026-0041"]}
    verdict = decide(example.committee, pr, rdms, {}, protected_branch="main").verdict
    allowed = actor in ("paula-po", "eduardo-gmud", "ana-gerente-mudancas")
    forwarded = allowed and label.lower() == "encaminhada"
    assert verdict is (Outcome.APPROVED if forwarded else Outcome.PENDING)
