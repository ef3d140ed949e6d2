"""The pure rules behind the rollout: which RDMs are due, in which order, what is done,
what a merge commit carries along, the gate's calendar and emergency reasons, and the
approvals a record names."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from rdm.decisions import approvals, due, gate, revisions
from rdm.decisions.due import Merged
from rdm.model.rdms import Communication
from rdm.model.records import ExecutionRecord, Outcome, TopologyOutcome, TopologyRecord

BRT = timezone(timedelta(hours=-3))
T0 = datetime(2026, 12, 1, 16, 0, tzinfo=BRT)


@pytest.fixture
def rdms(example):
    return example.rdms


@pytest.fixture
def policy(example):
    return example.calendar


def merged(rdm, position, priority="P3", at=T0, depends=()):
    return Merged(
        rdm, f"{position:040x}", at + timedelta(minutes=position), position, priority, depends
    )


def approved(rdm_id: str, committee: str = "CM") -> approvals.Verdict:
    return approvals.Verdict(
        approvals.Outcome.APPROVED, committee, rdm_id, (), ("consensus of the CM",), (rdm_id,)
    )


# ---------------------------------------------------------------- due


def test_candidates_are_the_open_windows_rdms_and_the_last_weeks_emergencies(rdms, policy):
    normal, later, emergency = rdms["RDM-2026-0041"], rdms["RDM-2026-0042"], rdms["RDM-2026-0043"]
    items = [
        merged(normal, 1),
        merged(later, 2),
        merged(emergency, 3, at=datetime(2026, 11, 26, 8, 45, tzinfo=BRT)),
    ]
    thursday = datetime(2026, 12, 3, 0, 5, tzinfo=BRT)
    assert [m.rdm.id for m in due.candidates(items, thursday, policy)] == [
        "RDM-2026-0041",
        "RDM-2026-0043",
    ]
    # Eight days after the emergency's merge it is no longer the schedule's to run.
    later_week = datetime(2026, 12, 10, 0, 5, tzinfo=BRT)
    assert [m.rdm.id for m in due.candidates(items, later_week, policy)] == ["RDM-2026-0042"]


def test_a_merge_after_the_instant_is_not_seen(rdms, policy):
    item = merged(rdms["RDM-2026-0041"], 1, at=datetime(2026, 12, 3, 1, 0, tzinfo=BRT))
    assert due.candidates([item], datetime(2026, 12, 3, 0, 5, tzinfo=BRT), policy) == []


def test_priority_orders_unless_merges_on_a_shared_target_or_depends_on_say_otherwise(rdms):
    base = rdms["RDM-2026-0041"]
    a = merged(replace(base, id="RDM-2026-0101", targets=("x",)), 1, "P4")
    b = merged(replace(base, id="RDM-2026-0102", targets=("y",)), 2, "P1")
    c = merged(replace(base, id="RDM-2026-0103", targets=("x",)), 3, "P1")  # after a on x
    d = merged(
        replace(base, id="RDM-2026-0104", targets=("z",)), 4, "P2", depends=("RDM-2026-0105",)
    )
    e = merged(replace(base, id="RDM-2026-0105", targets=("w",)), 5, "P3")
    ordered, stuck = due.order([a, b, c, d, e])
    assert [m.rdm.id for m in ordered] == [
        "RDM-2026-0102",  # P1
        "RDM-2026-0105",  # P3, but RDM-0104 (P2) waits for it
        "RDM-2026-0104",
        "RDM-2026-0101",  # P4, but RDM-0103 (P1) changes x after it
        "RDM-2026-0103",
    ]
    assert stuck == []


def test_depends_on_against_the_merge_order_cannot_be_ordered(rdms):
    base = rdms["RDM-2026-0041"]
    first = merged(replace(base, id="RDM-2026-0101", targets=("x",)), 1, depends=("RDM-2026-0102",))
    second = merged(replace(base, id="RDM-2026-0102", targets=("x",)), 2)
    ordered, stuck = due.order([first, second])
    assert ordered == []
    assert [m.rdm.id for m, _ in stuck] == ["RDM-2026-0101", "RDM-2026-0102"]
    assert stuck[0][1] == (
        "RDM-2026-0101 cannot be ordered: it must run after RDM-2026-0102 (its dependsOn, or an "
        "earlier merge on a shared target), and the order of the merges says the opposite; fix "
        "dependsOn or the window"
    )


def record(rdm, outcome, topologies=(), window=date(2026, 12, 3), merge_commit="a" * 40):
    return ExecutionRecord(
        rdm_id=rdm.id,
        outcome=outcome,
        merge_commit=merge_commit,
        revision=merge_commit,
        started_at=T0,
        finished_at=T0,
        estimated_duration=rdm.estimated_duration,
        rollback_declared=rdm.rollback_duration,
        window=window,
        topologies=tuple(TopologyRecord(org, o, T0, T0) for org, o in topologies),
    )


LINE = ["a" * 40, "b" * 40, "c" * 40]  # the default branch's first-parent line, oldest first


def follows(earlier: str, later: str) -> bool:
    return later in LINE and earlier in LINE and LINE.index(earlier) <= LINE.index(later)


def test_progress_resumes_what_was_not_finished_and_a_refusal_is_final(rdms):
    rdm = rdms["RDM-2026-0041"]
    item = Merged(rdm, "a" * 40, T0, 0)
    half = record(
        rdm,
        Outcome.EXECUTED,
        [
            ("grupo-alvorada", TopologyOutcome.APPLIED),
            ("hospital-santa-luzia", TopologyOutcome.SKIPPED),
        ],
    )
    state = due.progress(item, [half], follows)
    assert state.remaining(rdm.targets) == ("hospital-santa-luzia",)
    assert not state.executed(rdm.targets)
    other_window = record(rdm, Outcome.REFUSED, window=date(2026, 12, 10))
    assert due.progress(item, [other_window], follows).remaining(rdm.targets) == rdm.targets
    refused = record(rdm, Outcome.REFUSED)
    assert due.progress(item, [refused], follows).remaining(rdm.targets) == ()
    done = record(rdm, Outcome.EXECUTED, [(t, TopologyOutcome.UNCHANGED) for t in rdm.targets])
    assert due.progress(item, [done], follows).executed(rdm.targets)


def test_a_record_counts_for_the_merge_it_was_made_at_and_not_for_a_later_edit(rdms):
    rdm = rdms["RDM-2026-0041"]
    done = record(rdm, Outcome.EXECUTED, [(t, TopologyOutcome.APPLIED) for t in rdm.targets])
    refused = record(rdm, Outcome.REFUSED)
    # The RDM's file changed again in "b": the records made at "a" are of another version.
    edited = Merged(rdm, "b" * 40, T0, 1)
    assert due.progress(edited, [done], follows).remaining(rdm.targets) == rdm.targets
    assert due.progress(edited, [refused], follows).remaining(rdm.targets) == rdm.targets
    # A rebase merge records on its last commit, after the one that changed the file.
    rebased = Merged(rdm, "a" * 40, T0, 0)
    later = record(
        rdm,
        Outcome.EXECUTED,
        [(t, TopologyOutcome.APPLIED) for t in rdm.targets],
        merge_commit="b" * 40,
    )
    assert due.progress(rebased, [later], follows).executed(rdm.targets)
    # A record at a commit that is not on the line (anyone may write a note) counts for nothing.
    forged = record(rdm, Outcome.REFUSED, merge_commit="d" * 40)
    assert due.progress(edited, [forged], follows).remaining(rdm.targets) == rdm.targets


# ---------------------------------------------------------------- revisions


def change(commit: str, *rdm_ids: str, created: bool = False) -> revisions.TopologyChange:
    return revisions.TopologyChange(commit * 40, rdm_ids, created)


def test_what_a_merge_carries_along():
    merge = "f" * 40
    known = revisions.Baseline("0" * 40, source="the Namespace")
    unknown = revisions.Baseline(None)
    pending = [change("1", "RDM-2026-0042")]
    assert revisions.carried("RDM-2026-0041", "x", merge, known, pending, {"RDM-2026-0042"}) == []
    [sentence] = revisions.carried("RDM-2026-0041", "x", merge, unknown, pending, set())
    assert sentence.startswith(
        "topologies/x.yaml at ffffffffffff also holds the change of RDM-2026-0042 (merged in "
        "111111111111), which is not live"
    )
    # The commit that created the file: the starting point of a client rdm never applied...
    imported = change("2", created=True)
    assert revisions.carried("RDM-2026-0041", "x", merge, unknown, [imported], set()) == []
    # ...not a later commit without an RDM...
    [later] = revisions.carried(
        "RDM-2026-0041", "x", merge, unknown, [imported, change("3")], set()
    )
    assert "333333333333, which changed it without an RDM that targets x" in later
    # ...but after rdm applied it, a change without an approval of its own.
    [pushed] = revisions.carried("RDM-2026-0041", "x", merge, known, [change("2")], set())
    assert "222222222222, which changed it without an RDM that targets x" in pushed
    # A topology already at a newer revision holds the change: nothing is carried (the
    # rollout records it unchanged instead of taking it back in time).
    newer = revisions.Baseline("9" * 40, newer=True, source="the Namespace")
    assert revisions.carried("RDM-2026-0041", "x", merge, newer, pending, set()) == []
    # A commit that wrote the RDM's own file is its own only when its PR brought it (the
    # commits of a rebase merge); any other is a change nobody saw in that PR's diff.
    mine = [change("4", "RDM-2026-0041")]
    assert revisions.carried("RDM-2026-0041", "x", merge, known, mine, set(), own=["4" * 40]) == []
    [foreign] = revisions.carried("RDM-2026-0041", "x", merge, known, mine, set(), own=[merge])
    assert "444444444444, which changed it together with RDM-2026-0041's own file" in foreign


def shared(commit: str, approved: bool, *, restored: bool = False) -> revisions.InputChange:
    pr, why = (7, "merged without the CM's approval (pending)") if commit != "2" else (None, "x")
    return revisions.InputChange(commit * 40, "policy/cluster.yaml", pr, approved, why, restored)


def test_a_file_every_client_is_rendered_from_needs_the_committee_on_every_change():
    merge = "f" * 40
    known = revisions.Baseline("0" * 40, source="the Namespace")

    def carried(*inputs: revisions.InputChange, own: tuple[str, ...] = ()) -> list[str]:
        return revisions.carried("RDM-2026-0041", "x", merge, known, [], set(), own, inputs)

    assert carried(shared("1", True)) == []
    [sentence] = carried(shared("1", True), shared("3", False))
    assert sentence.startswith(
        "policy/cluster.yaml at ffffffffffff also holds 333333333333, which changed it "
        "through PR #7, merged without the CM's approval (pending): every client is rendered "
        "from policy/cluster.yaml"
    )
    [pushed] = carried(shared("2", False))
    assert "222222222222, which changed it without a pull request (x; `rdm audit` tells)" in pushed
    # Put back as it stood at the baseline: what came before reaches no client...
    assert carried(shared("2", False), shared("3", False, restored=True)) == []
    # ...but what comes after still needs the committee.
    after = carried(shared("2", False), shared("3", True, restored=True), shared("4", False))
    assert len(after) == 1 and "444444444444" in after[0]
    # The RDM's own pull request (its merge commit, a rebase merge's commits) was judged by
    # its own verdict; a merge commit that puts the file back clears what came before.
    assert carried(shared("5", False), own=("5" * 40,)) == []
    assert carried(shared("3", False), shared("f", False, restored=True)) == []


# ---------------------------------------------------------------- gate


def committee(rdm_id: str, verdict: approvals.Verdict | None = None) -> gate.Committee:
    return gate.Committee("c" * 40, 12, verdict or approved(rdm_id))


def test_a_frozen_window_blocks_with_the_freeze(rdms, policy):
    rdm = replace(rdms["RDM-2026-0041"], window=date(2026, 12, 31))
    decision = gate.decide(
        rdm,
        at=datetime(2026, 12, 31, 1, 0, tzinfo=BRT),
        policy=policy,
        committee=committee(rdm.id),
        submitted_at=T0,
    )
    assert not decision.allowed
    assert decision.reasons[0].startswith(
        "blocked: freeze until 2027-01-08 00:00 -03:00 (Fechamento fiscal e contábil"
    )


def test_a_window_that_closed_and_one_that_is_not_a_window(rdms, policy):
    rdm = rdms["RDM-2026-0041"]
    closed = gate.decide(
        rdm,
        at=datetime(2026, 12, 3, 6, 0, tzinfo=BRT),
        policy=policy,
        committee=committee(rdm.id),
        submitted_at=T0,
    )
    assert closed.reasons[0] == (
        "blocked: its window closed at 2026-12-03 06:00 -03:00: the committee must give the RDM "
        "a new window"
    )
    wednesday = replace(rdm, window=date(2026, 12, 2))
    nowhere = gate.decide(
        wednesday,
        at=datetime(2026, 12, 2, 1, 0, tzinfo=BRT),
        policy=policy,
        committee=committee(rdm.id),
        submitted_at=T0,
    )
    assert nowhere.reasons[0].startswith("blocked: 2026-12-02 is not a change window")


def test_an_emergency_needs_the_clients_told_before_now(rdms, policy):
    rdm = rdms["RDM-2026-0043"]
    now = datetime(2026, 11, 26, 8, 0, tzinfo=BRT)  # before the notice at 08:15
    early = gate.decide(
        rdm, at=now, policy=policy, committee=committee(rdm.id, approved(rdm.id, "CME"))
    )
    assert early.reasons[0] == (
        "blocked: the clients are to be told at 2026-11-26 08:15 -03:00, after now: an emergency "
        "runs only once they know"
    )
    silent = replace(rdm, communication=Communication(False, "", None))
    untold = gate.decide(silent, at=now, policy=policy, committee=committee(rdm.id))
    assert untold.reasons[0].startswith("blocked: RDM-2026-0043 is an emergency and its clients")


def test_a_verdict_for_another_rdm_does_not_approve_this_one(rdms, policy):
    rdm = rdms["RDM-2026-0041"]
    decision = gate.decide(
        rdm,
        at=datetime(2026, 12, 3, 0, 5, tzinfo=BRT),
        policy=policy,
        committee=committee(rdm.id, approved("RDM-2026-0044")),
        submitted_at=T0,
    )
    assert decision.reasons[0] == (
        "blocked: PR #12, which merged in cccccccccccc, does not carry RDM-2026-0041: its "
        "verdict cannot approve it"
    )


def test_a_conflict_finding_blocks_with_its_own_sentence(rdms, policy):
    from rdm.decisions import conflicts

    first = rdms["RDM-2026-0041"]
    second = replace(rdms["RDM-2026-0044"], id="RDM-2026-0045", depends_on=())
    changes = [conflicts.plan(first), conflicts.plan(second)]
    found = conflicts.conflicts(changes, policy)
    assert found, "RDM-0041 and RDM-0045 both change hospital's homolog appserver"
    decision = gate.decide(
        first,
        at=datetime(2026, 12, 3, 0, 5, tzinfo=BRT),
        policy=policy,
        committee=committee(first.id),
        submitted_at=T0,
        conflicts=found,
    )
    assert not decision.allowed
    assert any("RDM-2026-0045" in r and r.startswith("blocked: ") for r in decision.reasons)


# ---------------------------------------------------------------- the approvals a record names


def review(login, state, commit, rid):
    return approvals.Review(login, state, commit, "2026-12-01T15:00:00Z", review_id=rid)


def test_the_approvals_a_record_names_are_the_reviews_that_counted(example):
    policy = example.committee
    head = "h" * 40
    pr = approvals.PullRequest(
        number=12,
        author="eduardo-gmud",
        head_sha=head,
        base_sha="b" * 40,
        labels=(),
        reviews=(
            review("ana-gerente-mudancas", "APPROVED", head, 101),
            review("bruno-infra", "APPROVED", "o" * 40, 102),  # stale
            review("bruno-infra", "APPROVED", head, 103),  # again on head: this one counts
            review("carla-dba", "APPROVED", head, 104),
            review("fernanda-coord-services", "APPROVED", head, 105),  # for diretor-services
            review("outsider", "APPROVED", head, 106),
        ),
        changed_files=(),
        base_ref="main",
    )
    verdict = approvals.decide(policy, pr, {}, {}, protected_branch="main")
    assert verdict.verdict is approvals.Outcome.APPROVED
    counted = verdict.approvers()
    assert [(c.login, c.review_id, str(c.capacity), c.stood_in_for) for c in counted] == [
        ("ana-gerente-mudancas", 101, "member", None),
        ("bruno-infra", 103, "member", None),
        ("carla-dba", 104, "member", None),
        ("fernanda-coord-services", 105, "delegate", "diretor-services"),
    ]


# ---------------------------------------------------------------- dependsOn at rollout time


def dependency_items(rdms):
    base = rdms["RDM-2026-0041"]
    dep = merged(replace(base, id="RDM-2026-0201"), 0)
    dependent = merged(replace(base, id="RDM-2026-0202"), 1, depends=("RDM-2026-0201",))
    return dep, dependent


def executed(rdm, merge_commit):
    return record(
        rdm,
        Outcome.EXECUTED,
        [(t, TopologyOutcome.APPLIED) for t in rdm.targets],
        merge_commit=merge_commit,
    )


def test_a_dependency_is_met_by_its_execution_record_at_its_current_version(rdms):
    dep, dependent = dependency_items(rdms)
    ran = executed(dep.rdm, dep.merge_commit)
    assert due.unmet(dependent, [dep, dependent], [ran], follows, {}) == []
    # The dependency was edited by a later merge: the record is of a version it no longer holds.
    edited = replace(dep, merge_commit="b" * 40)
    old = executed(dep.rdm, "a" * 40)
    assert due.unmet(dependent, [edited, dependent], [old], follows, {}) == [
        ("RDM-2026-0201", due.Dependency.NOT_RUN)
    ]
    # A record of another window says nothing of this one.
    elsewhere = replace(ran, window=date(2026, 12, 10))
    assert due.unmet(dependent, [dep, dependent], [elsewhere], follows, {}) == [
        ("RDM-2026-0201", due.Dependency.NOT_RUN)
    ]
    # A record at a commit off the default branch's line (anyone may write a note) is no run.
    forged = executed(dep.rdm, "d" * 40)
    assert due.unmet(
        dependent, [replace(dep, merge_commit="a" * 40), dependent], [forged], follows, {}
    ) == [("RDM-2026-0201", due.Dependency.NOT_RUN)]


@pytest.mark.parametrize(
    ("outcome", "topology", "state"),
    [
        (Outcome.REFUSED, None, due.Dependency.REFUSED),
        (Outcome.FAILED, TopologyOutcome.ROLLBACK_FAILED, due.Dependency.FAILED),
        (Outcome.ROLLED_BACK, TopologyOutcome.ROLLED_BACK, due.Dependency.ROLLED_BACK),
        (Outcome.HELD, None, due.Dependency.HELD),
    ],
)
def test_a_dependency_that_did_not_execute_holds_the_rdm_with_its_state(
    rdms, outcome, topology, state
):
    dep, dependent = dependency_items(rdms)
    pairs = [(t, topology) for t in dep.rdm.targets] if topology else []
    ended = record(dep.rdm, outcome, pairs, merge_commit=dep.merge_commit)
    assert due.unmet(dependent, [dep, dependent], [ended], follows, {}) == [
        ("RDM-2026-0201", state)
    ]


def test_a_half_executed_dependency_is_not_met(rdms):
    dep, dependent = dependency_items(rdms)
    first, *rest = dep.rdm.targets
    half = record(
        dep.rdm,
        Outcome.EXECUTED,
        [(first, TopologyOutcome.APPLIED), *((t, TopologyOutcome.SKIPPED) for t in rest)],
        merge_commit=dep.merge_commit,
    )
    assert rest, "the example RDM has several targets"
    assert due.unmet(dependent, [dep, dependent], [half], follows, {}) == [
        ("RDM-2026-0201", due.Dependency.NOT_RUN)
    ]


def test_what_happened_in_this_run_wins_over_the_records(rdms):
    dep, dependent = dependency_items(rdms)
    assert due.unmet(dependent, [dep, dependent], [], follows, {}) == [
        ("RDM-2026-0201", due.Dependency.NOT_RUN)
    ]
    assert (
        due.unmet(dependent, [dep, dependent], [], follows, {"RDM-2026-0201": due.Dependency.MET})
        == []
    )
    for state in (
        due.Dependency.FAILED,
        due.Dependency.ROLLED_BACK,
        due.Dependency.DEFERRED,
        due.Dependency.REFUSED,
        due.Dependency.HELD,
    ):
        assert due.unmet(dependent, [dep, dependent], [], follows, {"RDM-2026-0201": state}) == [
            ("RDM-2026-0201", state)
        ]


def test_a_dependency_that_does_not_exist_or_is_itself_is_never_met(rdms):
    dep, dependent = dependency_items(rdms)
    ghost = replace(dependent, depends_on=("RDM-2026-0999", "RDM-2026-0201", "RDM-2026-0999"))
    ran = executed(dep.rdm, dep.merge_commit)
    assert due.unmet(ghost, [dep, ghost], [ran], follows, {}) == [
        ("RDM-2026-0999", due.Dependency.MISSING)
    ]
    itself = replace(dependent, depends_on=("RDM-2026-0202",))
    assert due.unmet(itself, [dep, itself], [], follows, {}) == [
        ("RDM-2026-0202", due.Dependency.NOT_RUN)
    ]


def test_an_emergency_waits_for_the_normal_rdm_it_depends_on(rdms):
    normal = merged(rdms["RDM-2026-0041"], 0)
    emergency = merged(rdms["RDM-2026-0043"], 1, depends=("RDM-2026-0041",))
    assert due.unmet(emergency, [normal, emergency], [], follows, {}) == [
        ("RDM-2026-0041", due.Dependency.NOT_RUN)
    ]
    ran = executed(normal.rdm, normal.merge_commit)
    assert due.unmet(emergency, [normal, emergency], [ran], follows, {}) == []


def test_the_hold_is_said_in_the_teams_language():
    from rdm import i18n

    held = [
        ("RDM-2026-0201", due.Dependency.NOT_RUN),
        ("RDM-2026-0203", due.Dependency.REFUSED),
        ("RDM-2026-0204", due.Dependency.FAILED),
        ("RDM-2026-0205", due.Dependency.ROLLED_BACK),
        ("RDM-2026-0206", due.Dependency.DEFERRED),
        ("RDM-2026-0207", due.Dependency.HELD),
        ("RDM-2026-0999", due.Dependency.MISSING),
    ]
    with i18n.using("pt_BR"):
        said = [due.hold_reason(dep, state) for dep, state in held]
    assert said == [
        "blocked: retida: depende de RDM-2026-0201 (dependsOn), que ainda não foi executada; "
        "a próxima execução tenta de novo",
        "blocked: retida: depende de RDM-2026-0203 (dependsOn), que foi recusada; "
        "a próxima execução tenta de novo",
        "blocked: retida: depende de RDM-2026-0204 (dependsOn), que falhou; "
        "a próxima execução tenta de novo",
        "blocked: retida: depende de RDM-2026-0205 (dependsOn), que foi revertida; "
        "a próxima execução tenta de novo",
        "blocked: retida: depende de RDM-2026-0206 (dependsOn), que foi adiada nesta execução; "
        "a próxima execução tenta de novo",
        "blocked: retida: depende de RDM-2026-0207 (dependsOn), que também está retida; "
        "a próxima execução tenta de novo",
        "blocked: retida: depende de RDM-2026-0999 (dependsOn), que não existe no branch "
        "padrão; a próxima execução tenta de novo",
    ]


def test_every_outcome_of_a_run_is_a_state_for_the_rdms_that_depend_on_it():
    from rdm.operations import rollout

    # A new outcome must say whether it lets its dependents run (a KeyError at 02:00 else).
    assert set(rollout._AS_DEPENDENCY) == set(rollout.Kind)
    met = {kind for kind, state in rollout._AS_DEPENDENCY.items() if state is due.Dependency.MET}
    assert met == {rollout.Kind.EXECUTED, rollout.Kind.DRY_RUN}
    assert rollout._AS_DEPENDENCY[rollout.Kind.ROLLED_BACK] is due.Dependency.ROLLED_BACK
    assert rollout._AS_DEPENDENCY[rollout.Kind.FAILED] is due.Dependency.FAILED


def test_the_cluster_must_confirm_what_the_records_say_has_executed(rdms):
    dep, dependent = dependency_items(rdms)
    ran = executed(dep.rdm, dep.merge_commit)
    asked: list[str] = []

    def nowhere(item: Merged) -> bool:
        asked.append(item.rdm.id)
        return False

    assert due.unmet(dependent, [dep, dependent], [ran], follows, {}, nowhere) == [
        ("RDM-2026-0201", due.Dependency.NOT_RUN)
    ]
    assert due.unmet(dependent, [dep, dependent], [ran], follows, {}, lambda _: True) == []
    # What this run did itself needs no confirmation.
    asked.clear()
    met = {"RDM-2026-0201": due.Dependency.MET}
    assert due.unmet(dependent, [dep, dependent], [], follows, met, nowhere) == []
    assert asked == []
