"""The committee's verdict on a pull request, computed from its reviews.

GitHub's branch protection counts "N approvals"; the team's rule is consensus of
every fixed member of the committee for the RDM's type (CM for normal changes,
CME for emergencies), or one change manager for a standard change that stays
inside its template. `decide` applies that rule and says why, naming people:

- Only a person's latest decisive review (APPROVED, CHANGES_REQUESTED or
  DISMISSED; a COMMENTED review changes nothing) counts. A DISMISSED latest
  review counts as no review. An approval counts only when it was given on the
  PR's current head commit, and after the PR's base branch last changed (the
  same head into another base is another diff); an older one is *stale*.
- CHANGES_REQUESTED from a member, or from a delegate of a member, rejects until
  that person approves again, whatever commit it was given on.
- A listed delegate who approved on head stands in for a member who has not
  approved (absent, stale, or the PR's author); never for one who asked for
  changes, and never when the delegate is a member of the same committee (one
  person, one vote). The reasons say who stood in for whom.
- The PR author's own review never counts; reviews from people the policy does
  not name are shown and never count.
- People involved: the logins an RDM lists in `involved` join the consensus of
  its committee (CM or CME) with a member's rules, and without delegates; one
  who is also a member counts once. The reasons name them "involved in RDM-…".
  In a standard change within its template they may only stop it (changes
  requested), as CM members may.
- Forwarding: once the policy names a `product-owner`, a normal RDM (and a
  standard one whose diff leaves its template, which then goes to the CM as a
  normal change) reaches the CM only once the Product Owner forwarded it: the
  PR carries the label `encaminhada` last added by the Product Owner or by a
  change manager. Until then it is pending, however the votes stand (a veto
  still rejects); a label added by anyone else is reported and ignored, as for
  the emergency label. A policy without roles keeps the rule it had.
- Emergency: the RDM is of type emergency and the PR carries the `emergency`
  label last added by a login in `emergencyLabelers`; then the CME decides.
  A label added by anyone else is reported and ignored, and the emergency cannot
  be approved until a labeler adds it. The CME decides RDMs and topologies
  only: a PR that also changes any other file (rdm's code, workflows, schemas,
  policy) or deletes or renames an RDM needs the CM's consensus with the CME's.
- Standard: the RDM names a template and the PR's topology diff stays inside
  it; then one approval on head from a change manager suffices. A diff beyond
  the template is listed and the full CM decides.
- Coverage: every changed topology is a target of an RDM in the PR, and a change
  under `policy/` comes with a normal RDM; otherwise the PR is rejected.
- Protected branch only: a commit status belongs to a commit, not to a PR, so a
  verdict on a PR into any other branch (whose policy at base may name other
  people) would also pass the same head commit into the protected branch. Such a
  PR is rejected and its verdict is never published.
- The changed paths are git's (merge-base...head, renames detected), filled in by
  `repository.decide_from_git`; GitHub's list of files, when given, is only a
  cross-check, and a disagreement rejects.
- Several RDMs in one PR: each is decided and the strictest verdict wins
  (rejected > pending > approved; among equals CM > CME > standard); the reasons
  of all are kept, prefixed by the RDM id. A PR with no RDM that touches neither
  topologies/ nor policy/ (tooling, docs) needs the CM's consensus.

Pure: no I/O, no clock. The GitHub client (`rdm.edges.github`) and git
(`repository.decide_from_git`) fill the inputs; `verdict_text` and
`commit_status` word the result, which the `approvals` command prints and
publishes.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from rdm.decisions.standard import TopologyDiff, beyond_template
from rdm.model.policy import Committee, CommitteePolicy, StandardTemplate
from rdm.model.rdms import ChangeType, Rdm
from rdm.model.records import Approver, Capacity

EMERGENCY_LABEL = "emergency"
FORWARDING_LABEL = "encaminhada"
STATUS_CONTEXT = "rdm/committee"
# Whole-path matches (\Z, ASCII digits): a path from git may hold any character,
# and "x.yaml\n" or Arabic-Indic digits must not pass for an RDM or a topology.
RDM_PATH = re.compile(r"\Ardms/[0-9]{4}/RDM-[0-9]{4}-[0-9]{4}\.yaml\Z")
_TOPOLOGY_PATH = re.compile(r"\Atopologies/([^/]+)\.yaml\Z")

APPROVED, CHANGES_REQUESTED, DISMISSED = "APPROVED", "CHANGES_REQUESTED", "DISMISSED"
_DECISIVE = (APPROVED, CHANGES_REQUESTED, DISMISSED)
# GitHub lists at most this many files of a PR; a longer list is cut short.
GITHUB_FILES_LIMIT = 3000


class Outcome(enum.StrEnum):
    APPROVED = "approved"
    PENDING = "pending"
    REJECTED = "rejected"


class State(enum.StrEnum):
    """A person's standing in the vote, as shown in the members table."""

    APPROVED = "approved"  # approved on the head commit
    STALE = "stale"  # approved an older commit, or before the base changed
    CHANGES_REQUESTED = "changes_requested"
    MISSING = "missing"  # no decisive review (or it was dismissed)
    AUTHOR = "author"  # the PR's author: their review never counts
    DELEGATED = "delegated"  # absent, a delegate approved on their behalf
    NOT_A_MEMBER = "not_a_member"  # reviewed, but the vote is not theirs


# ------------------------------------------------------------------ inputs


@dataclass(frozen=True)
class LabelEvent:
    """A label on the PR and who added it last ('' when GitHub did not say)."""

    label: str
    actor: str
    at: str = ""  # when it was added (ISO 8601), when GitHub said


@dataclass(frozen=True)
class Review:
    login: str
    state: str  # APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED | PENDING
    commit_id: str | None
    submitted_at: str
    body: str = ""  # the reviewer's text: hostile, shown only escaped and cut short
    review_id: int = 0


@dataclass(frozen=True)
class ChangedFile:
    filename: str
    status: str = "modified"  # added | removed | modified | renamed | copied | changed
    previous_filename: str | None = None


@dataclass(frozen=True)
class PullHead:
    """What GitHub says a PR is, before its reviews are read: where it comes from and goes."""

    number: int
    author: str
    state: str  # open | closed
    head_sha: str
    head_repo: str  # owner/name of the head's repository; '' when it was deleted
    base_sha: str
    base_ref: str  # the branch the PR merges into
    default_branch: str  # the default branch of the base repository
    labels: tuple[str, ...] = ()
    created_at: str = ""  # ISO 8601, as GitHub wrote it
    draft: bool = False
    merged_at: str | None = None  # None: not merged
    merge_commit_sha: str | None = None  # for a merged PR, the commit on the base branch


@dataclass(frozen=True)
class PullRequest:
    number: int
    author: str
    head_sha: str
    base_sha: str
    labels: tuple[LabelEvent, ...]
    reviews: tuple[Review, ...]  # in GitHub's (chronological) order
    # What the decision reads: git's diff merge-base...head (`decide_from_git`
    # fills it). Empty until then, which can only make the verdict stricter.
    changed_files: tuple[ChangedFile, ...]
    base_ref: str = ""  # never equals a real branch: a PR without it is rejected
    head_repo: str = ""
    # GitHub's own list of the PR's files, when read: a cross-check only.
    listed_files: tuple[ChangedFile, ...] | None = None
    # When it was last marked ready for review (ISO 8601), when the events were read.
    ready_at: str = ""
    # When the PR's base branch last changed (GitHub's `base_ref_changed` event,
    # ISO 8601; '' never; any other text: at a time GitHub did not say, so every
    # approval is older). An approval given before answered another diff.
    base_changed_at: str = ""

    def paths(self) -> tuple[str, ...]:
        """Every path the PR touches, old names of renames included."""
        return _paths(self.changed_files)

    def rdm_paths(self) -> tuple[str, ...]:
        """RDM files the PR adds or modifies (present at head)."""
        return tuple(
            f.filename
            for f in self.changed_files
            if f.status != "removed" and RDM_PATH.match(f.filename)
        )

    def topology_ids(self) -> tuple[str, ...]:
        ids: dict[str, None] = {}
        for path in self.paths():
            match = _TOPOLOGY_PATH.match(path)
            if match:
                ids.setdefault(match.group(1), None)
        return tuple(ids)


# ----------------------------------------------------------------- outputs


@dataclass(frozen=True)
class MemberState:
    """One row of the table: a person, their standing, and why their vote is asked."""

    login: str
    state: State
    capacity: Capacity | None = None  # None: the vote is not theirs (shown only)
    involved: bool = False  # listed in the RDM's `involved`
    roles: tuple[str, ...] = ()  # the policy roles they hold (`product-owner`, …)
    stands_in_for: str | None = None  # a delegate's row: the member they may replace
    replaced_by: str | None = None  # a `delegated` member's row: who approved for them
    review_id: int = 0  # their latest decisive review (0: none)
    submitted_at: str = ""
    # A `stale` row whose approval is of the head commit, given before the PR's
    # base changed (otherwise a stale approval is of an older commit).
    stale_base: bool = False

    def as_json(self) -> dict[str, object]:
        return {
            "login": self.login,
            "state": str(self.state),
            "capacity": str(self.capacity) if self.capacity else None,
            "involved": self.involved,
            "roles": list(self.roles),
        }


@dataclass(frozen=True)
class LabelGate:
    """A label that must be put on the PR by certain people before it can pass."""

    label: str  # FORWARDING_LABEL | EMERGENCY_LABEL
    allowed: tuple[str, ...]  # whose label counts
    by: str | None = None  # whose label counted; None: the gate is still closed
    ignored: tuple[str, ...] = ()  # who added it without counting ('' an unknown actor)
    product_owner: str | None = None  # for forwarding: the holder of `product-owner`

    def as_json(self) -> dict[str, object]:
        return {
            "label": self.label,
            "by": self.by,
            "allowed": list(self.allowed),
            "ignored": list(self.ignored),
        }


@dataclass(frozen=True)
class Veto:
    """A request for changes that rejects the PR, with the text the reviewer wrote."""

    login: str
    capacity: Capacity | None
    involved: bool
    rdm_id: str | None
    body: str
    review_id: int
    submitted_at: str

    def as_json(self) -> dict[str, object]:
        return {
            "login": self.login,
            "capacity": str(self.capacity) if self.capacity else None,
            "involved": self.involved,
            "rdm": self.rdm_id,
            "review_id": self.review_id,
            "submitted_at": self.submitted_at,
            "body": self.body,
        }


@dataclass(frozen=True)
class Verdict:
    verdict: Outcome
    committee: str  # "CM" | "CME" | "standard"
    rdm_id: str | None
    members: tuple[MemberState, ...]
    reasons: tuple[str, ...]
    rdm_ids: tuple[str, ...] = ()  # every RDM the PR carries
    # False when the verdict must not become a commit status (a PR into a
    # branch other than the protected one): `reasons[0]` says why.
    publishable: bool = True
    # RDM id -> its derived priority (P1..P4), when the priority matrix is known
    priorities: Mapping[str, str] = field(default_factory=dict)
    gates: tuple[LabelGate, ...] = ()  # labels this verdict waited for (or got)
    vetoes: tuple[Veto, ...] = ()  # requests for changes that reject, every RDM's
    # With several RDMs: each one's own verdict (the strictest is this one).
    parts: tuple[Verdict, ...] = ()

    def each(self) -> tuple[Verdict, ...]:
        """The verdict of each RDM in the PR (itself when there is one, or none)."""
        return self.parts or (self,)

    def approvers(self) -> tuple[Approver, ...]:
        """Whose approvals made an `approved` verdict, as the execution records keep them.

        Members and people involved who approved on head; a delegate for the
        member they stood in for; for a standard change, the change manager
        whose approval sufficed. Each person once, in table order; none unless
        approved.
        """
        if self.verdict is not Outcome.APPROVED:
            return ()
        found: dict[str, Approver] = {}
        for part in self.each():
            rows = {row.login.lower(): row for row in part.members}
            for row in part.members:
                approver = _approver(row)
                if approver is not None:
                    found.setdefault(row.login.lower(), approver)
                    if part.committee == "standard":
                        break  # one change manager's approval is the one that counts
                elif row.state is State.DELEGATED and row.replaced_by:
                    delegate = rows.get(row.replaced_by.lower())
                    if delegate is not None:
                        found.setdefault(
                            delegate.login.lower(),
                            _record(delegate, Capacity.DELEGATE, stood_in_for=row.login),
                        )
        return tuple(found.values())

    def as_json(self, pr: int) -> dict[str, object]:
        return {
            "pr": pr,
            "rdm": self.rdm_id,
            "priority": self.priorities.get(self.rdm_id) if self.rdm_id else None,
            "rdms": list(self.rdm_ids),
            "priorities": {i: self.priorities[i] for i in self.rdm_ids if i in self.priorities},
            "committee": self.committee,
            "verdict": str(self.verdict),
            "members": [m.as_json() for m in self.members],
            "gates": [g.as_json() for g in self.gates],
            "vetoes": [v.as_json() for v in self.vetoes],
            "reasons": list(self.reasons),
        }


def _approver(row: MemberState) -> Approver | None:
    """The record of a row whose own approval counted (a delegate's is found via its member)."""
    if row.state is not State.APPROVED or row.capacity is None:
        return None
    if row.capacity is Capacity.DELEGATE:
        # A delegate's approval counts for the member they replaced (found from the
        # member's row) or, when they are involved, for themselves.
        return _record(row, Capacity.INVOLVED) if row.involved else None
    return _record(row, row.capacity)


def _record(row: MemberState, capacity: Capacity, stood_in_for: str | None = None) -> Approver:
    try:
        when = datetime.fromisoformat(row.submitted_at.replace("Z", "+00:00"))
    except ValueError:
        when = None
    if when is not None and when.tzinfo is None:
        when = None  # the records hold aware times only
    return Approver(row.login, row.review_id, capacity, when, stood_in_for)


_SEVERITY = {Outcome.APPROVED: 0, Outcome.PENDING: 1, Outcome.REJECTED: 2}
_COMMITTEE_RANK = {"standard": 0, "CME": 1, "CM": 2}


# --------------------------------------------------------------- the rules


def off_branch(pr: PullRequest, protected_branch: str) -> Verdict | None:
    """The rejection of a PR whose base is not the protected branch; None when it is.

    rdm decides only PRs into the branch it protects: a `success` on the head
    commit of a PR into another branch, decided by that branch's policy, would
    count for every PR with the same head commit.
    """
    if pr.base_ref == protected_branch:
        return None
    base = f"`{pr.base_ref}`" if pr.base_ref else "a branch GitHub did not name"
    reason = (
        f"the PR merges into {base}, not into the protected branch `{protected_branch}`: "
        f"rdm decides only PRs into `{protected_branch}`, and publishes nothing for others"
    )
    return Verdict(Outcome.REJECTED, "CM", None, (), (reason,), (), publishable=False)


def decide(
    policy: CommitteePolicy,
    pr: PullRequest,
    rdms: Mapping[str, Rdm],
    templates: Mapping[str, StandardTemplate],
    topology_diffs: tuple[TopologyDiff, ...] = (),
    *,
    protected_branch: str,
    on_main: Mapping[str, Rdm] | None = None,
) -> Verdict:
    """The committee's verdict on `pr`.

    `rdms` maps each RDM path of the PR that is a valid RDM at head to its model;
    an RDM path missing from it could not be read and rejects the PR.
    `topology_diffs` holds merge-base and head data of each changed topology
    (needed only for standard changes). `on_main` maps an RDM path of the PR to
    the RDM as it is at the PR's base commit, when it is there already (under
    its old name if the PR renames it; needed only for standard changes): an
    RDM on main is never decided under a lower bar than its type there. A PR
    whose base is not `protected_branch` is rejected and not publishable.
    """
    refused = off_branch(pr, protected_branch)
    if refused is not None:
        return refused
    rdm_paths = pr.rdm_paths()
    unreadable = [p for p in rdm_paths if p not in rdms]
    valid = [rdms[p] for p in rdm_paths if p in rdms]
    coverage = _cross_check(pr) + _coverage_reasons(pr, valid)

    if not valid:
        verdict = _consensus(policy, policy.cm, pr, None)
        reasons = list(verdict.reasons)
        if not coverage and not unreadable:
            reasons.insert(
                0, "no RDM in this PR and no change under topologies/ or policy/: the CM decides"
            )
        return _with(verdict, coverage + _unreadable_reasons(unreadable), reasons)

    earlier = on_main or {}
    verdicts = [
        _settled(
            _decide_one(policy, pr, rdms[path], templates, topology_diffs, earlier.get(path))
        )
        for path in rdm_paths
        if path in rdms
    ]
    strictest = max(verdicts, key=lambda v: (_SEVERITY[v.verdict], _COMMITTEE_RANK[v.committee]))
    if len(verdicts) == 1:
        reasons = list(strictest.reasons)
    else:
        reasons = [f"{v.rdm_id}: {reason}" for v in verdicts for reason in v.reasons]
        reasons.insert(
            0, f"{len(verdicts)} RDMs in this PR; the strictest verdict ({strictest.rdm_id}) wins"
        )
    merged = replace(
        strictest,
        rdm_ids=tuple(v.rdm_id for v in verdicts if v.rdm_id),
        members=_members(strictest, verdicts),
        vetoes=tuple(veto for v in verdicts for veto in v.vetoes),
        gates=tuple({g.label: g for v in verdicts for g in v.gates}.values()),
        parts=tuple(verdicts) if len(verdicts) > 1 else (),
    )
    return _with(merged, coverage + _unreadable_reasons(unreadable), reasons)


def _members(strictest: Verdict, verdicts: list[Verdict]) -> tuple[MemberState, ...]:
    """The strictest verdict's table, completed by the others: someone whose vote
    counted for another RDM of the PR (a delegate who stood in, a change manager)
    is shown with that standing, never as "not a member"."""
    rows = {m.login.lower(): m for m in strictest.members}
    order = [m.login.lower() for m in strictest.members]
    for verdict in verdicts:
        if verdict is strictest:
            continue
        for member in verdict.members:
            key = member.login.lower()
            current = rows.get(key)
            if current is None:
                order.append(key)
                rows[key] = member
            elif current.state is State.NOT_A_MEMBER and member.state is not State.NOT_A_MEMBER:
                rows[key] = member
    return tuple(rows[key] for key in order)


def _with(verdict: Verdict, rejections: list[str], reasons: list[str]) -> Verdict:
    """Add reasons that reject the PR whatever the committee said."""
    outcome = Outcome.REJECTED if rejections else verdict.verdict
    return _replace(verdict, outcome, _agree([*rejections, *reasons], outcome))


def _settled(verdict: Verdict) -> Verdict:
    """One RDM's verdict whose reasons say what its outcome says."""
    return _replace(verdict, verdict.verdict, _agree(list(verdict.reasons), verdict.verdict))


def _agree(reasons: list[str], outcome: Outcome) -> list[str]:
    """Reasons that say what the headline says: when the PR is not approved, an
    approval that was reached is not called the decision ("consensus of the CME")."""
    if outcome is Outcome.APPROVED:
        return reasons
    said: list[str] = []
    for reason in reasons:
        if reason.startswith("consensus of the "):
            committee, _, who = reason.removeprefix("consensus of the ").partition(": ")
            reason = (
                f"every {committee} member approved ({who}), but the PR is {outcome} "
                "for the reasons above"
            )
        elif reason.startswith("approved by change manager "):
            reason = (
                reason.replace("approved by change manager", "change manager", 1).replace(
                    " on the head commit", " approved on the head commit", 1
                )
                + f", but the PR is {outcome} for the reasons above"
            )
        said.append(reason)
    return said


def _paths(files: tuple[ChangedFile, ...]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for f in files:
        seen.setdefault(f.filename, None)
        if f.previous_filename:
            seen.setdefault(f.previous_filename, None)
    return tuple(seen)


def _cross_check(pr: PullRequest) -> list[str]:
    """A rejection when GitHub's list of files differs from git's diff.

    Paths are compared as sets, old names of renames included, so that git and
    GitHub may disagree on what is a rename without it mattering.
    """
    if pr.listed_files is None:
        return []
    ours, theirs = set(pr.paths()), set(_paths(pr.listed_files))
    if ours == theirs:
        return []

    def some(paths: set[str]) -> str:
        shown = sorted(paths)
        more = f" and {len(shown) - 5} more" if len(shown) > 5 else ""
        return ", ".join(shown[:5]) + more if shown else "none"

    reason = (
        f"GitHub's list of changed files differs from git's diff "
        f"{pr.base_sha[:7]}...{pr.head_sha[:7]} (only in GitHub's: {some(theirs - ours)}; "
        f"only in git's: {some(ours - theirs)}): rejected until they agree"
    )
    if len(pr.listed_files) >= GITHUB_FILES_LIMIT:
        reason += f" (GitHub lists at most {GITHUB_FILES_LIMIT:,} files of a PR)"
    return [reason]


def _unreadable_reasons(paths: list[str]) -> list[str]:
    return [f"{p} is not a valid RDM at the head commit (run `rdm validate {p}`)" for p in paths]


def _coverage_reasons(pr: PullRequest, rdms: list[Rdm]) -> list[str]:
    reasons: list[str] = []
    targets = {t for rdm in rdms for t in rdm.targets}
    for org_id in pr.topology_ids():
        if org_id not in targets:
            reasons.append(
                f"topologies/{org_id}.yaml changes, but no RDM in this PR "
                f"has {org_id} among its targets"
            )
    policy_paths = [p for p in pr.paths() if p.startswith("policy/")]
    if policy_paths and not any(rdm.type is ChangeType.NORMAL for rdm in rdms):
        reasons.append(
            f"{', '.join(policy_paths)} changes, and a policy change needs a normal RDM in this PR"
        )
    if reasons:
        # The RDM may be there under a name rdm does not read (`.yml`, a typo).
        misnamed = [
            p
            for p in pr.paths()
            if p.startswith("rdms/") and p.endswith((".yaml", ".yml")) and not RDM_PATH.match(p)
        ]
        reasons += [
            f"{p} is not read as an RDM: the name must be rdms/<year>/RDM-<year>-<4 digits>.yaml"
            for p in misnamed
        ]
    return reasons


def _decide_one(
    policy: CommitteePolicy,
    pr: PullRequest,
    rdm: Rdm,
    templates: Mapping[str, StandardTemplate],
    diffs: tuple[TopologyDiff, ...],
    on_main: Rdm | None = None,
) -> Verdict:
    if rdm.type is ChangeType.STANDARD and on_main and on_main.type is not ChangeType.STANDARD:
        # The committee approved it as what it was; calling it a standard change
        # now would let one change manager rewrite it.
        verdict = _decide_one(policy, pr, replace(rdm, type=on_main.type), templates, diffs)
        return _replace(verdict, verdict.verdict, [_retyped(pr, rdm, on_main), *verdict.reasons])
    label_reasons, emergency = _emergency_label(policy, pr)
    if rdm.type is ChangeType.EMERGENCY:
        beyond = _beyond_an_emergency(pr, rdm.id)
        committee = _cm_with_cme(policy) if beyond else policy.cme
        verdict = _consensus(policy, committee, pr, rdm.id, rdm.involved)
        reasons = [*label_reasons, *beyond, *_idle_forwarding(pr, rdm), *verdict.reasons]
        verdict = replace(verdict, gates=(emergency,))
        if emergency.by is None:
            reasons.insert(
                0,
                f"{rdm.id} is an emergency, but the PR lacks the label `{EMERGENCY_LABEL}` "
                f"added by one of {_people(policy.emergency_labelers, 'or')}: "
                "it cannot be approved until a labeler adds it",
            )
            if verdict.verdict is Outcome.APPROVED:
                return _replace(verdict, Outcome.PENDING, _agree(reasons, Outcome.PENDING))
        return _replace(verdict, verdict.verdict, reasons)
    if emergency.by is not None:
        label_reasons.append(
            f"label `{EMERGENCY_LABEL}` on a {rdm.type} RDM ({rdm.id}) changes nothing: ignored"
        )
    if rdm.type is ChangeType.STANDARD:
        return _standard(policy, pr, rdm, templates, diffs, label_reasons)
    return _forwarded(policy, pr, rdm, label_reasons, [])


def _retyped(pr: PullRequest, rdm: Rdm, on_main: Rdm) -> str:
    """Why an RDM on main that the PR calls standard is decided as its old type."""
    old = on_main.type
    where = "at the base commit"
    for f in pr.changed_files:  # an RDM's file is named after its id
        renamed = f.previous_filename not in (None, f.filename)
        if renamed and f.filename.rsplit("/", 1)[-1] == f"{rdm.id}.yaml":
            where += f", as {f.previous_filename}"
    article = "an" if old is ChangeType.EMERGENCY else "a"
    return (
        f"{rdm.id} was {article} {old} RDM on main ({where}); a PR cannot make it "
        f"a standard change: it is decided as {article} {old} one"
    )


def _beyond_an_emergency(pr: PullRequest, rdm_id: str) -> list[str]:
    """What in the PR an emergency's CME does not decide, one sentence per kind.

    The CME decides a client's emergency: RDM files and topologies. rdm's own
    code, the workflows, the schemas, CODEOWNERS or the policy decide how every
    later PR is judged, and deleting or renaming an RDM rewrites what was
    approved: those need the CM, as they would without the emergency.
    """
    changed: list[str] = []
    gone: dict[str, list[str]] = {"deletes": [], "renames": []}
    for f in pr.changed_files:
        old = f.previous_filename if f.previous_filename != f.filename else None
        if old is not None:
            if RDM_PATH.match(old):
                gone["renames"].append(old)
            elif not _TOPOLOGY_PATH.match(old):
                changed.append(old)
        if RDM_PATH.match(f.filename):
            if f.status == "removed":
                gone["deletes"].append(f.filename)
        elif not _TOPOLOGY_PATH.match(f.filename):
            changed.append(f.filename)
    reasons = []
    lead = f"{rdm_id} is an emergency, but the PR also"
    tail = "the CM decides it with the CME"
    if changed:
        paths = list(dict.fromkeys(changed))
        what = (
            "which is neither an RDM nor a topology"
            if len(paths) == 1
            else "which are neither RDMs nor topologies"
        )
        reasons.append(f"{lead} changes {_paths_text(paths)}, {what}: {tail}")
    for verb, paths in gone.items():
        if paths:
            noun = "an RDM" if len(paths) == 1 else "RDMs"
            reasons.append(f"{lead} {verb} {_paths_text(paths)}, {noun}: {tail}")
    return reasons


def _paths_text(paths: list[str], shown: int = 5) -> str:
    more = f" and {len(paths) - shown} more" if len(paths) > shown else ""
    return ", ".join(paths[:shown]) + more


def _cm_with_cme(policy: CommitteePolicy) -> Committee:
    """The CM, joined by any CME member who is not in it: both committees must agree."""
    keys = {m.lower() for m in policy.cm.members}
    extra = tuple(m for m in policy.cme.members if m.lower() not in keys)
    return replace(policy.cm, members=policy.cm.members + extra)


def _forwarded(
    policy: CommitteePolicy,
    pr: PullRequest,
    rdm: Rdm,
    before: list[str],
    findings: list[str],
) -> Verdict:
    """The CM's verdict on an RDM that needs the Product Owner's forwarding first.

    `before` are reasons to print first, `findings` what sent a standard RDM to
    the CM (printed between the forwarding and the votes).
    """
    verdict = _consensus(policy, policy.cm, pr, rdm.id, rdm.involved)
    po = policy.product_owner
    if po is None:  # a policy without roles: nobody forwards, as before roles existed
        return _replace(verdict, verdict.verdict, [*before, *findings, *verdict.reasons])
    forwarding_reasons, gate = _forwarding(policy, pr, po)
    reasons = [*before, *forwarding_reasons, *findings, *verdict.reasons]
    verdict = replace(verdict, gates=(gate,))
    if gate.by is not None:
        return _replace(verdict, verdict.verdict, reasons)
    reasons.insert(
        len(before),
        f"awaiting forwarding by @{po} (Product Owner): the PR needs the label "
        f"`{FORWARDING_LABEL}` added by @{po} or by a change manager "
        f"({_people(policy.change_managers, 'or')})",
    )
    outcome = Outcome.PENDING if verdict.verdict is Outcome.APPROVED else verdict.verdict
    return _replace(verdict, outcome, reasons)


def _replace(verdict: Verdict, outcome: Outcome, reasons: list[str]) -> Verdict:
    return replace(verdict, verdict=outcome, reasons=tuple(reasons))


def _label_gate(
    pr: PullRequest, label: str, allowed: tuple[str, ...], product_owner: str | None = None
) -> LabelGate:
    """Whether the latest adder of `label` is one of `allowed`, and who was ignored.

    `pr.labels` holds each label on the PR once, with the actor of its latest
    `labeled` event ('' when GitHub did not say): only that actor matters.
    """
    keys = {login.lower() for login in allowed}
    ignored: list[str] = []
    for event in pr.labels:
        if event.label.lower() != label:
            continue
        if event.actor and event.actor.lower() in keys:
            return LabelGate(label, allowed, event.actor, (), product_owner)
        ignored.append(event.actor)
    return LabelGate(label, allowed, None, tuple(ignored), product_owner)


def _emergency_label(policy: CommitteePolicy, pr: PullRequest) -> tuple[list[str], LabelGate]:
    """Whether the emergency label counts, and what to say about it."""
    gate = _label_gate(pr, EMERGENCY_LABEL, policy.emergency_labelers)
    reasons = [
        f"{EMERGENCY_LABEL} label added by {_actor(actor)}, who is not in emergencyLabelers: "
        "ignored"
        for actor in gate.ignored
    ]
    if gate.by is not None:
        reasons.append(f"label `{EMERGENCY_LABEL}` added by @{gate.by} (an emergency labeler)")
    return reasons, gate


def _forwarding(policy: CommitteePolicy, pr: PullRequest, po: str) -> tuple[list[str], LabelGate]:
    """Whether the Product Owner `po` (or a change manager) forwarded the PR to the CM."""
    gate = _label_gate(pr, FORWARDING_LABEL, policy.forwarders(), po)
    reasons = [
        f"{FORWARDING_LABEL} label added by {_actor(actor)}, who is neither the Product Owner "
        "nor a change manager: ignored"
        for actor in gate.ignored
    ]
    if gate.by is not None:
        who = "Product Owner" if gate.by.lower() == po.lower() else "a change manager"
        reasons.append(
            f"label `{FORWARDING_LABEL}` added by @{gate.by} ({who}): forwarded to the CM"
        )
    return reasons, gate


def _idle_forwarding(pr: PullRequest, rdm: Rdm) -> list[str]:
    """The forwarding label on an RDM that does not need it: said, and ignored."""
    if any(event.label.lower() == FORWARDING_LABEL for event in pr.labels):
        return [
            f"label `{FORWARDING_LABEL}` on {'an' if rdm.type is ChangeType.EMERGENCY else 'a'} "
            f"{rdm.type} RDM ({rdm.id}) changes nothing: only normal changes are forwarded "
            "to the CM"
        ]
    return []


def _first(logins: tuple[str, ...]) -> str | None:
    return logins[0] if logins else None


def _actor(login: str) -> str:
    return f"@{login}" if login else "an unknown actor"


def _standard(
    policy: CommitteePolicy,
    pr: PullRequest,
    rdm: Rdm,
    templates: Mapping[str, StandardTemplate],
    diffs: tuple[TopologyDiff, ...],
    reasons: list[str],
) -> Verdict:
    template = templates.get(rdm.template or "")
    if template is None:
        findings: tuple[str, ...] = (
            f"template {rdm.template!r} is not in policy/standard-changes.yaml",
        )
    else:
        findings = (*_outside_any_template(pr), *beyond_template(template, diffs))
    if findings:
        head = f"the PR goes beyond the standard template {rdm.template!r}; the full CM decides"
        return _forwarded(policy, pr, rdm, [*reasons, head], list(findings))

    reasons += _idle_forwarding(pr, rdm)
    latest = _latest(pr)
    standing = _standing(pr, latest)
    author = pr.author.lower()
    involved = {login.lower() for login in rdm.involved}
    rows: list[MemberState] = []
    approvers: list[str] = []
    objectors: list[MemberState] = []
    for login in policy.change_managers:
        state = (
            State.AUTHOR if login.lower() == author else standing.get(login.lower(), State.MISSING)
        )
        if state is State.AUTHOR and standing.get(login.lower()) is not None:
            reasons.append(f"@{login} is the PR author; their own review does not count")
        row = MemberState(
            login,
            state,
            Capacity.CHANGE_MANAGER,
            login.lower() in involved,
            policy.roles_of(login),
        )
        rows.append(row)
        if state is State.APPROVED:
            approvers.append(login)
        elif state is State.CHANGES_REQUESTED:
            objectors.append(row)
    # CM members, their delegates and the people the RDM involves may stop a
    # pre-approved change too.
    stand_ins = policy.stand_ins()
    watchers: list[tuple[str, Capacity]] = [
        *((m, Capacity.MEMBER) for m in policy.cm.members),
        *((d, Capacity.DELEGATE) for m in policy.cm.members for d in policy.delegates.get(m, ())),
        *((login, Capacity.INVOLVED) for login in rdm.involved),
    ]
    shown = {r.login.lower() for r in rows}
    for login, capacity in watchers:
        key = login.lower()
        if key in shown or key == author:
            continue
        if standing.get(key) is State.CHANGES_REQUESTED:
            row = MemberState(
                login,
                State.CHANGES_REQUESTED,
                capacity,
                key in involved,
                policy.roles_of(login),
                stands_in_for=_first(stand_ins.get(login, ()))
                if capacity is Capacity.DELEGATE
                else None,
            )
            rows.append(row)
            objectors.append(row)
            shown.add(key)
    rows += _outsiders(pr, shown)
    rows = [_reviewed(row, latest, pr) for row in rows]
    reasons.append(
        f"standard change within template {rdm.template!r}: one change manager's approval suffices"
    )
    for row in objectors:
        who = _who(row, rdm.id)
        reasons.append(f"{who} requested changes; rejected until @{row.login} approves")
    vetoes = tuple(_veto(row, rdm.id, latest) for row in objectors)
    if objectors:
        outcome = Outcome.REJECTED
    elif approvers:
        outcome = Outcome.APPROVED
        reasons.append(f"approved by change manager @{approvers[0]} on the head commit")
    else:
        outcome = Outcome.PENDING
        stale = [r.login for r in rows if r.state is State.STALE]
        reasons += [
            f"@{login}'s approval is stale "
            f"({_stale_why(pr, latest.get(login.lower()), sha=False)})"
            for login in stale
        ]
        reasons.append(
            f"approval missing from a change manager ({_people(policy.change_managers, 'or')})"
        )
    return Verdict(
        outcome, "standard", rdm.id, tuple(rows), tuple(reasons), (rdm.id,), vetoes=vetoes
    )


def _outside_any_template(pr: PullRequest) -> list[str]:
    """Changed files that no standard template can cover, one sentence each.

    A template allows field changes inside existing topology files: the RDM
    files the PR adds or edits are decided on their own, topology files are
    compared field by field (`beyond_template`, which also catches added,
    removed and renamed topologies); anything else is beyond every template,
    deleting or renaming an RDM included.
    """
    findings: list[str] = []
    for f in pr.changed_files:
        gone = [f.filename] if f.status == "removed" else []
        if f.previous_filename and f.previous_filename != f.filename:
            gone.append(f.previous_filename)  # a rename removes the old name
        for path in dict.fromkeys([*gone, f.filename]):
            if RDM_PATH.match(path):
                if path in gone:
                    verb = "renames" if path == f.previous_filename else "deletes"
                    findings.append(f"{path}: the PR {verb} an RDM, which no template covers")
            elif not _TOPOLOGY_PATH.match(path):
                findings.append(f"{path}: not an RDM nor a topology file, which no template covers")
    return findings


def _latest(pr: PullRequest) -> dict[str, Review]:
    """Each reviewer's latest decisive review, by lower-cased login.

    States are compared without case: GitHub writes them in capitals, and an
    `approved` must not slip past as a non-decisive state.
    """
    latest: dict[str, Review] = {}
    for review in pr.reviews:  # chronological: a later one replaces an earlier one
        if review.state.upper() in _DECISIVE:
            latest[review.login.lower()] = review
    return latest


def _standing(pr: PullRequest, latest: Mapping[str, Review] | None = None) -> dict[str, State]:
    """Each reviewer's standing (lower-cased login) from their latest decisive review."""
    standing: dict[str, State] = {}
    for login, review in (_latest(pr) if latest is None else latest).items():
        state = review.state.upper()
        if state == APPROVED:
            fresh = review.commit_id == pr.head_sha and _after_base_change(pr, review)
            standing[login] = State.APPROVED if fresh else State.STALE
        elif state == CHANGES_REQUESTED:
            standing[login] = State.CHANGES_REQUESTED
        else:
            standing[login] = State.MISSING
    return standing


def _after_base_change(pr: PullRequest, review: Review) -> bool:
    """Whether `review` came after the PR's base last changed (True when it never did)."""
    if not pr.base_changed_at:
        return True
    changed, submitted = _instant(pr.base_changed_at), _instant(review.submitted_at)
    return changed is not None and submitted is not None and submitted > changed


def _instant(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _stale_why(pr: PullRequest, review: Review | None, sha: bool = True) -> str:
    """Why an approval is stale: an older commit, or a base that changed since."""
    if review is not None and review.commit_id == pr.head_sha:
        return f"given before the PR's base was changed to `{pr.base_ref}`"
    return f"given before the latest push to {pr.head_sha[:7]}" if sha else (
        "given before the latest push"
    )


def _reviewed(
    row: MemberState, latest: Mapping[str, Review], pr: PullRequest | None = None
) -> MemberState:
    """The row with the id and time of the person's latest decisive review."""
    review = latest.get(row.login.lower())
    if review is None:
        return row
    stale_base = (
        pr is not None and row.state is State.STALE and review.commit_id == pr.head_sha
    )
    return replace(
        row,
        review_id=review.review_id,
        submitted_at=review.submitted_at,
        stale_base=stale_base,
    )


def _who(row: MemberState, rdm_id: str | None) -> str:
    """`@login`, and for someone only involved, `@login (involved in RDM-…)`."""
    if row.capacity is Capacity.INVOLVED and rdm_id:
        return f"@{row.login} (involved in {rdm_id})"
    return f"@{row.login}"


def _veto(row: MemberState, rdm_id: str | None, latest: Mapping[str, Review]) -> Veto:
    review = latest.get(row.login.lower())
    return Veto(
        row.login,
        row.capacity,
        row.involved,
        rdm_id,
        review.body if review else "",
        review.review_id if review else 0,
        review.submitted_at if review else "",
    )


def _consensus(
    policy: CommitteePolicy,
    committee: Committee,
    pr: PullRequest,
    rdm_id: str | None,
    involved: tuple[str, ...] = (),
) -> Verdict:
    """Every member of `committee` and every person `involved` approved on head.

    A member's delegate who approved on head stands in for them; the people
    involved have no delegates (unless they are members too, and then they
    count once, as the member).
    """
    latest = _latest(pr)
    standing = _standing(pr, latest)
    author = pr.author.lower()
    members = committee.members
    member_keys = {m.lower() for m in members}
    involved_keys = {login.lower() for login in involved}
    rows: list[MemberState] = []
    reasons: list[str] = []
    missing: list[MemberState] = []
    objectors: list[MemberState] = []
    shown: dict[str, int] = {}  # lower-cased login -> index of their row

    def add(row: MemberState) -> MemberState:
        shown[row.login.lower()] = len(rows)
        rows.append(row)
        return row

    def delegate_rows(member: str) -> str | None:
        """Show the member's delegates who reviewed; return one who approved on head."""
        stand_in = None
        for delegate in policy.delegates.get(member, ()):
            key = delegate.lower()
            if key in shown or key in member_keys:
                # A member of this committee votes once, as themselves: were they
                # to stand in too, fewer people than members would make the
                # consensus (and which ones would hang on the members' order).
                continue
            row = MemberState(
                delegate,
                State.AUTHOR,
                Capacity.DELEGATE,
                key in involved_keys,
                policy.roles_of(delegate),
                stands_in_for=member,
            )
            if key == author:
                if key in standing:
                    add(row)
                continue
            state = standing.get(key)
            if state is None or state is State.MISSING:
                continue
            row = add(replace(row, state=state))
            if state is State.CHANGES_REQUESTED:
                objectors.append(row)
            elif state is State.APPROVED and stand_in is None:
                stand_in = delegate
        return stand_in

    def stands_alone(row: MemberState) -> None:
        """Say why a person who has not approved on head is missing, and count them."""
        who = _who(row, rdm_id)
        if row.state is State.AUTHOR:
            substitutes = (
                policy.delegates.get(row.login, ()) if row.capacity is Capacity.MEMBER else ()
            )
            stand_in = (
                f" (a delegate may stand in: {_people(substitutes, 'or')})" if substitutes else ""
            )
            reasons.append(f"{who} is the PR author; their own review does not count{stand_in}")
        elif row.state is State.STALE:
            why = _stale_why(pr, latest.get(row.login.lower()))
            if row.capacity is Capacity.INVOLVED:
                reasons.append(f"{who}'s approval is stale ({why})")
            else:
                reasons.append(f"@{row.login}'s approval is stale ({why})")
        missing.append(row)

    for member in members:
        key = member.lower()
        state = State.AUTHOR if key == author else standing.get(key, State.MISSING)
        index = len(rows)
        row = add(
            MemberState(
                member, state, Capacity.MEMBER, key in involved_keys, policy.roles_of(member)
            )
        )
        stand_in = delegate_rows(member)
        if state is State.APPROVED:
            continue
        if state is State.CHANGES_REQUESTED:
            objectors.append(row)
            continue
        if stand_in is not None:
            rows[index] = replace(row, state=State.DELEGATED, replaced_by=stand_in)
            reasons.append(f"@{stand_in} approved on behalf of @{member} (delegate)")
            continue
        stands_alone(row)

    for login in dict.fromkeys(involved):  # the RDM's order, once each
        key = login.lower()
        if key in member_keys:
            continue  # a member who is also involved counts once, as the member
        if key in shown:  # a delegate who reviewed is shown already; now they must approve too
            index = shown[key]
            row = replace(rows[index], involved=True)
            rows[index] = row
            if row.state in (State.APPROVED, State.CHANGES_REQUESTED):
                continue  # an objector already
            stands_alone(replace(row, capacity=Capacity.INVOLVED))
            continue
        state = State.AUTHOR if key == author else standing.get(key, State.MISSING)
        row = add(MemberState(login, state, Capacity.INVOLVED, True, policy.roles_of(login)))
        if state is State.APPROVED:
            continue
        if state is State.CHANGES_REQUESTED:
            objectors.append(row)
            continue
        stands_alone(row)

    rows += _outsiders(pr, set(shown))
    rows = [_reviewed(row, latest, pr) for row in rows]
    for row in objectors:
        reasons.append(
            f"{_who(row, rdm_id)} requested changes; rejected until @{row.login} approves"
        )
    for row in missing:
        reasons.append(f"approval missing from {_who(row, rdm_id)}")
    if objectors:
        outcome = Outcome.REJECTED
    elif missing:
        outcome = Outcome.PENDING
    else:
        outcome = Outcome.APPROVED
        also = [login for login in dict.fromkeys(involved) if login.lower() not in member_keys]
        reasons.append(
            f"consensus of the {committee.name}: {_people(members)}"
            + (f", with {_people(tuple(also))} involved in {rdm_id}," if also else "")
            + f" on {pr.head_sha[:7]}"
        )
    return Verdict(
        outcome,
        committee.name,
        rdm_id,
        tuple(rows),
        tuple(reasons),
        (rdm_id,) if rdm_id else (),
        vetoes=tuple(_veto(row, rdm_id, latest) for row in objectors),
    )


def _outsiders(pr: PullRequest, shown: set[str]) -> list[MemberState]:
    """Reviewers whose vote is not counted here, shown so nobody wonders why."""
    rows: list[MemberState] = []
    for review in pr.reviews:
        key = review.login.lower()
        if key in shown:
            continue
        shown.add(key)
        rows.append(
            MemberState(
                review.login, State.AUTHOR if key == pr.author.lower() else State.NOT_A_MEMBER
            )
        )
    return rows


def _people(logins: tuple[str, ...], conjunction: str = "and") -> str:
    names = [f"@{login}" for login in logins]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {conjunction} {names[-1]}"


def head_moved(pr: PullRequest, now: PullHead) -> str | None:
    """Why a verdict on `pr` must not be published now that GitHub says `now`; None: it may.

    A status goes on the commit that was judged; if the PR's head or base
    changed while rdm decided, the verdict is about a PR that no longer is,
    and the run for the new state publishes instead.
    """
    if now.head_sha != pr.head_sha:
        return (
            f"PR #{pr.number}'s head moved from {pr.head_sha[:7]} to {now.head_sha[:7]} "
            "while rdm decided; the run for the new head decides it"
        )
    if now.base_ref != pr.base_ref:
        return (
            f"PR #{pr.number}'s base changed from `{pr.base_ref}` to `{now.base_ref}` "
            "while rdm decided"
        )
    return None


def commit_status(verdict: Verdict) -> tuple[str, str]:
    """The commit status (state, description <= 140 chars) that publishes `verdict`."""
    state = {Outcome.APPROVED: "success", Outcome.PENDING: "pending", Outcome.REJECTED: "failure"}[
        verdict.verdict
    ]
    subject = verdict.rdm_id or "PR"
    first = verdict.reasons[0] if verdict.reasons else ""
    if verdict.verdict is not Outcome.APPROVED:
        # What blocks it: a veto before a missing forwarding, which only delays.
        candidates = [
            r
            for r in verdict.reasons
            if verdict.verdict is Outcome.PENDING or "awaiting forwarding" not in r
        ]
        first = next(
            (
                r
                for r in candidates
                if "missing" in r or "requested" in r or "no RDM" in r or "awaiting forwarding" in r
            ),
            first,
        )
    text = f"{verdict.committee} {verdict.verdict}: {subject}: {first}"
    return state, text if len(text) <= 140 else text[:139] + "…"


def undecided_status(failure: str) -> tuple[str, str]:
    """The commit status of a run that could not decide: `error`, saying why.

    A status belongs to the commit and stays until replaced: a run that stops
    before deciding must replace an earlier `success`, or a veto given since
    would never count.
    """
    text = f"rdm could not decide: {' '.join(failure.split())}"
    return "error", text if len(text) <= 140 else text[:139] + "…"


def verdict_text(number: int, verdict: Verdict) -> str:
    """The verdict as `rdm approvals` prints it: a headline, the people, the reasons."""
    subject = (
        ", ".join(
            f"{i} {verdict.priorities[i]}" if i in verdict.priorities else i
            for i in verdict.rdm_ids
        )
        or "no RDM"
    )
    lines = [f"PR #{number} ({subject}): {verdict.committee} {verdict.verdict}"]
    if verdict.members:
        width = max(len(m.login) for m in verdict.members) + 1
        states = max(len(m.state.value) for m in verdict.members) + 1
        lines.append("")
        for m in verdict.members:
            state = m.state.value.replace("_", " ")
            why = _why(m, verdict.rdm_id)
            lines.append(f"  @{m.login:<{width}} {state:<{states}} {why}".rstrip())
    if verdict.reasons:
        lines.append("")
        lines += [f"  - {reason}" for reason in verdict.reasons]
    return "\n".join(lines)


def _why(row: MemberState, rdm_id: str | None) -> str:
    """Why a person's vote is asked, for the text table: capacity, roles, involvement."""
    roles = f" ({', '.join(row.roles)})" if row.roles else ""
    involved = f"involved in {rdm_id}" if rdm_id else "involved"
    if row.capacity is Capacity.MEMBER:
        text = f"member{roles}"
    elif row.capacity is Capacity.CHANGE_MANAGER:
        text = f"change manager{roles}"
    elif row.capacity is Capacity.DELEGATE:
        text = f"delegate of @{row.stands_in_for}" if row.stands_in_for else "delegate"
    elif row.capacity is Capacity.INVOLVED:
        return involved
    else:
        return ""
    if row.replaced_by:
        text += f", @{row.replaced_by} approved for them"
    return f"{text}, {involved}" if row.involved else text
