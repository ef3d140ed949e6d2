"""The committee's verdict on a pull request, computed from its reviews.

GitHub's branch protection counts "N approvals"; the team's rule is consensus of
every fixed member of the committee for the RDM's type (CM for normal changes,
CME for emergencies), or one change manager for a standard change that stays
inside its template. `decide` applies that rule and says why, naming people:

- Only a person's latest decisive review (APPROVED, CHANGES_REQUESTED or
  DISMISSED; a COMMENTED review changes nothing) counts. A DISMISSED latest
  review counts as no review. An approval counts only when it was given on the
  PR's current head commit; an older one is *stale*.
- CHANGES_REQUESTED from a member, or from a delegate of a member, rejects until
  that person approves again, whatever commit it was given on.
- A listed delegate who approved on head stands in for a member who has not
  approved (absent, stale, or the PR's author); never for one who asked for
  changes. The reasons say who stood in for whom.
- The PR author's own review never counts; reviews from people the policy does
  not name are shown and never count.
- Emergency: the RDM is of type emergency and the PR carries the `emergency`
  label last added by a login in `emergencyLabelers`; then the CME decides.
  A label added by anyone else is reported and ignored, and the emergency cannot
  be approved until a labeler adds it.
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

from rdm.decisions.standard import TopologyDiff, beyond_template
from rdm.model.policy import CommitteePolicy, StandardTemplate
from rdm.model.rdms import ChangeType, Rdm

EMERGENCY_LABEL = "emergency"
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
    STALE = "stale"  # approved an older commit
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


@dataclass(frozen=True)
class Review:
    login: str
    state: str  # APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED | PENDING
    commit_id: str | None
    submitted_at: str


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
    login: str
    state: State


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

    def as_json(self, pr: int) -> dict[str, object]:
        return {
            "pr": pr,
            "rdm": self.rdm_id,
            "priority": self.priorities.get(self.rdm_id) if self.rdm_id else None,
            "rdms": list(self.rdm_ids),
            "priorities": {i: self.priorities[i] for i in self.rdm_ids if i in self.priorities},
            "committee": self.committee,
            "verdict": str(self.verdict),
            "members": [{"login": m.login, "state": str(m.state)} for m in self.members],
            "reasons": list(self.reasons),
        }


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
) -> Verdict:
    """The committee's verdict on `pr`.

    `rdms` maps each RDM path of the PR that is a valid RDM at head to its model;
    an RDM path missing from it could not be read and rejects the PR.
    `topology_diffs` holds merge-base and head data of each changed topology
    (needed only for standard changes). A PR whose base is not
    `protected_branch` is rejected and not publishable.
    """
    refused = off_branch(pr, protected_branch)
    if refused is not None:
        return refused
    rdm_paths = pr.rdm_paths()
    unreadable = [p for p in rdm_paths if p not in rdms]
    valid = [rdms[p] for p in rdm_paths if p in rdms]
    coverage = _cross_check(pr) + _coverage_reasons(pr, valid)

    if not valid:
        verdict = _consensus(policy, policy.cm.name, policy.cm.members, pr, None)
        reasons = list(verdict.reasons)
        if not coverage and not unreadable:
            reasons.insert(
                0, "no RDM in this PR and no change under topologies/ or policy/: the CM decides"
            )
        return _with(verdict, coverage + _unreadable_reasons(unreadable), reasons)

    verdicts = [_decide_one(policy, pr, rdm, templates, topology_diffs) for rdm in valid]
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
) -> Verdict:
    label_reasons, labelled = _emergency_label(policy, pr)
    if rdm.type is ChangeType.EMERGENCY:
        verdict = _consensus(policy, policy.cme.name, policy.cme.members, pr, rdm.id)
        reasons = [*label_reasons, *verdict.reasons]
        if not labelled:
            reasons.insert(
                0,
                f"{rdm.id} is an emergency, but the PR lacks the label `{EMERGENCY_LABEL}` "
                f"added by one of {_people(policy.emergency_labelers, 'or')}: "
                "it cannot be approved until a labeler adds it",
            )
            if verdict.verdict is Outcome.APPROVED:
                return _replace(verdict, Outcome.PENDING, _agree(reasons, Outcome.PENDING))
        return _replace(verdict, verdict.verdict, reasons)
    if labelled:
        label_reasons.append(
            f"label `{EMERGENCY_LABEL}` on a {rdm.type} RDM ({rdm.id}) changes nothing: ignored"
        )
    if rdm.type is ChangeType.STANDARD:
        return _standard(policy, pr, rdm, templates, diffs, label_reasons)
    verdict = _consensus(policy, policy.cm.name, policy.cm.members, pr, rdm.id)
    return _replace(verdict, verdict.verdict, [*label_reasons, *verdict.reasons])


def _replace(verdict: Verdict, outcome: Outcome, reasons: list[str]) -> Verdict:
    return replace(verdict, verdict=outcome, reasons=tuple(reasons))


def _emergency_label(policy: CommitteePolicy, pr: PullRequest) -> tuple[list[str], bool]:
    """Whether the emergency label counts, and what to say about it."""
    reasons: list[str] = []
    labelers = {login.lower() for login in policy.emergency_labelers}
    for event in pr.labels:
        if event.label.lower() != EMERGENCY_LABEL:
            continue
        if event.actor.lower() in labelers:
            reasons.append(
                f"label `{EMERGENCY_LABEL}` added by @{event.actor} (an emergency labeler)"
            )
            return reasons, True
        who = f"@{event.actor}" if event.actor else "an unknown actor"
        reasons.append(
            f"{EMERGENCY_LABEL} label added by {who}, who is not in emergencyLabelers: ignored"
        )
    return reasons, False


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
        verdict = _consensus(policy, policy.cm.name, policy.cm.members, pr, rdm.id)
        head = f"the PR goes beyond the standard template {rdm.template!r}; the full CM decides"
        return _replace(verdict, verdict.verdict, [*reasons, head, *findings, *verdict.reasons])

    standing = _standing(pr)
    author = pr.author.lower()
    rows: list[MemberState] = []
    approvers: list[str] = []
    objectors: list[str] = []
    for login in policy.change_managers:
        state = (
            State.AUTHOR if login.lower() == author else standing.get(login.lower(), State.MISSING)
        )
        if state is State.AUTHOR and standing.get(login.lower()) is not None:
            reasons.append(f"@{login} is the PR author; their own review does not count")
        rows.append(MemberState(login, state))
        if state is State.APPROVED:
            approvers.append(login)
        elif state is State.CHANGES_REQUESTED:
            objectors.append(login)
    # CM members and their delegates may stop a pre-approved change too.
    watchers = [
        *policy.cm.members,
        *(d for m in policy.cm.members for d in policy.delegates.get(m, ())),
    ]
    for login in watchers:
        if login in policy.change_managers or login.lower() == author:
            continue
        if standing.get(login.lower()) is State.CHANGES_REQUESTED:
            rows.append(MemberState(login, State.CHANGES_REQUESTED))
            objectors.append(login)
    rows += _outsiders(pr, {r.login.lower() for r in rows})
    reasons.append(
        f"standard change within template {rdm.template!r}: one change manager's approval suffices"
    )
    for login in objectors:
        reasons.append(f"@{login} requested changes; rejected until @{login} approves")
    if objectors:
        outcome = Outcome.REJECTED
    elif approvers:
        outcome = Outcome.APPROVED
        reasons.append(f"approved by change manager @{approvers[0]} on the head commit")
    else:
        outcome = Outcome.PENDING
        stale = [r.login for r in rows if r.state is State.STALE]
        reasons += [
            f"@{login}'s approval is stale (given before the latest push)" for login in stale
        ]
        reasons.append(
            f"approval missing from a change manager ({_people(policy.change_managers, 'or')})"
        )
    return Verdict(outcome, "standard", rdm.id, tuple(rows), tuple(reasons), (rdm.id,))


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


def _standing(pr: PullRequest) -> dict[str, State]:
    """Each reviewer's standing (lower-cased login) from their latest decisive review.

    States are compared without case: GitHub writes them in capitals, and an
    `approved` must not slip past as a non-decisive state.
    """
    latest: dict[str, Review] = {}
    for review in pr.reviews:  # chronological: a later one replaces an earlier one
        if review.state.upper() in _DECISIVE:
            latest[review.login.lower()] = review
    standing: dict[str, State] = {}
    for login, review in latest.items():
        state = review.state.upper()
        if state == APPROVED:
            standing[login] = State.APPROVED if review.commit_id == pr.head_sha else State.STALE
        elif state == CHANGES_REQUESTED:
            standing[login] = State.CHANGES_REQUESTED
        else:
            standing[login] = State.MISSING
    return standing


def _consensus(
    policy: CommitteePolicy,
    name: str,
    members: tuple[str, ...],
    pr: PullRequest,
    rdm_id: str | None,
) -> Verdict:
    standing = _standing(pr)
    author = pr.author.lower()
    rows: list[MemberState] = []
    reasons: list[str] = []
    missing: list[str] = []
    objectors: list[str] = []
    shown: set[str] = set()

    def delegate_rows(member: str) -> str | None:
        """Show the member's delegates who reviewed; return one who approved on head."""
        stand_in = None
        for delegate in policy.delegates.get(member, ()):
            key = delegate.lower()
            if key in shown:
                continue
            if key == author:
                if key in standing:
                    rows.append(MemberState(delegate, State.AUTHOR))
                    shown.add(key)
                continue
            state = standing.get(key)
            if state is None or state is State.MISSING:
                continue
            rows.append(MemberState(delegate, state))
            shown.add(key)
            if state is State.CHANGES_REQUESTED:
                objectors.append(delegate)
            elif state is State.APPROVED and stand_in is None:
                stand_in = delegate
        return stand_in

    for member in members:
        key = member.lower()
        state = State.AUTHOR if key == author else standing.get(key, State.MISSING)
        index = len(rows)
        rows.append(MemberState(member, state))
        shown.add(key)
        stand_in = delegate_rows(member)
        if state is State.APPROVED:
            continue
        if state is State.CHANGES_REQUESTED:
            objectors.append(member)
            continue
        if stand_in is not None:
            rows[index] = MemberState(member, State.DELEGATED)
            reasons.append(f"@{stand_in} approved on behalf of @{member} (delegate)")
            continue
        if state is State.AUTHOR:
            reasons.append(
                f"@{member} is the PR author; their own review does not count"
                + (
                    f" (a delegate may stand in: {_people(policy.delegates[member], 'or')})"
                    if policy.delegates.get(member)
                    else ""
                )
            )
        elif state is State.STALE:
            reasons.append(
                f"@{member}'s approval is stale (given before the latest push to {pr.head_sha[:7]})"
            )
        missing.append(member)

    rows += _outsiders(pr, shown)
    for login in objectors:
        reasons.append(f"@{login} requested changes; rejected until @{login} approves")
    for member in missing:
        reasons.append(f"approval missing from @{member}")
    if objectors:
        outcome = Outcome.REJECTED
    elif missing:
        outcome = Outcome.PENDING
    else:
        outcome = Outcome.APPROVED
        reasons.append(f"consensus of the {name}: {_people(members)} on {pr.head_sha[:7]}")
    return Verdict(outcome, name, rdm_id, tuple(rows), tuple(reasons), (rdm_id,) if rdm_id else ())


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
        first = next(
            (r for r in verdict.reasons if "missing" in r or "requested" in r or "no RDM" in r),
            first,
        )
    text = f"{verdict.committee} {verdict.verdict}: {subject}: {first}"
    return state, text if len(text) <= 140 else text[:139] + "…"


def verdict_text(number: int, verdict: Verdict) -> str:
    """The verdict as `rdm approvals` prints it: a headline, the members, the reasons."""
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
        lines.append("")
        lines += [
            f"  @{m.login:<{width}} {m.state.value.replace('_', ' ')}" for m in verdict.members
        ]
    if verdict.reasons:
        lines.append("")
        lines += [f"  - {reason}" for reason in verdict.reasons]
    return "\n".join(lines)
