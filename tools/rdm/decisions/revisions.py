"""What applying a topology as of an RDM's merge commit would take along.

The rollout applies each target topology as of the commit that merged the RDM,
so that a later merge never leaks into this window. The same danger runs the
other way: the file at that commit also holds every change merged *before* it
since the topology was last applied -- another RDM's change for next week's
window, or a change pushed without any RDM -- and applying the whole topology
would run those now, riding on this RDM's approval. And a topology already at
a newer revision would be taken back in time.

`carried` says, per target, what stands between the revision the topology is at
(its baseline: the revision rdm last applied to it, from the Namespace; the
execution records only for a preview without a cluster, since anyone who can
push may write a note) and the RDM's merge commit:

- a commit between them that changed the topology without bringing an RDM
  that targets it: blocked (the change has no approval of its own);
- one that brought another RDM which has not run (no final record, and not
  applied earlier in this run): blocked, naming it;
- the baseline is newer than the merge commit: nothing is carried, and
  nothing is to be applied there either (the change is already live; applying
  the merge commit would take the topology back): the rollout records that
  target unchanged, with the revision it is at.

With no baseline (rdm never applied the topology: a client that already ran
before rdm, or a new one), the commit that created the file is its starting
point (the import of the client into the repository) and does not block; a
later commit that changed it without an RDM does (the import was the only
change nobody approved that rdm takes along), and so does an RDM among them
that has not run. `rdm audit` flags a commit without a pull request, wherever
it is.

A commit that changed the topology together with the RDM's own file is the
RDM's only when the pull request that merged the RDM brought it (`own`: its
merge or squash commit, or the commits of a rebase merge). Any other such
commit -- a direct push that wrote the RDM's file and a topology change
before the committee approved a later edit of the RDM -- is a change the
committee never saw in a diff: it blocks like a change without an RDM.

The topology is not the only file rendered into its objects: every file the
renderer reads besides it (`repository.RENDER_INPUTS`: policy/cluster.yaml,
the way in of every client -- ingress class, default hosts, TLS, the
controller's namespace its NetworkPolicy admits) is read at the same merge
commit, so a change to one of them rides along in the same way, on every
client. Such a file has no RDM of its own to wait for; what it needs is the
committee: every commit between the baseline and the merge commit that
changed it must have been merged by a pull request whose verdict, recomputed
as of its merge, is approved (`InputChange`). A direct push, or a PR merged
without the consensus, blocks, naming the commit and the file -- unless a
later commit put the file back byte for byte as it stood at the starting
point (then what came before is not applied, however it came: that is how a
team recovers from a push). With no baseline, the topology's import is the
starting point for these files too: they count as they stood at that commit.
The commits of the RDM's own pull request (its merge commit included) are
judged by its own verdict, already re-checked.

Pure: the git facts are gathered by the rollout and passed in.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class TopologyChange:
    """A first-parent commit that changed `topologies/<org>.yaml`, and the RDMs it brought."""

    commit: str
    rdm_ids: tuple[str, ...]  # RDM files the commit added or changed that target the topology
    # The first change of the file on the line: the client's import (its starting point).
    created: bool = False


@dataclass(frozen=True)
class InputChange:
    """A first-parent commit that changed a file rendered into every client's objects
    (`repository.RENDER_INPUTS`), and how the committee stood on it."""

    commit: str
    path: str
    pr: int | None  # the pull request that merged it; None: none did
    approved: bool  # that PR's verdict, recomputed as of its merge, is approved
    why: str = ""  # when not approved: the verdict, or why there is none
    # After this commit the file is byte for byte as it was at the starting point
    # (the baseline, or the import): nothing changed before it rides along.
    restored: bool = False


@dataclass(frozen=True)
class Baseline:
    """Where the topology stands, as far as rdm knows."""

    revision: str | None  # None: rdm never applied it (or not at a commit of this history)
    newer: bool = False  # the merge commit is an ancestor of `revision`, and not equal to it
    source: str = ""  # where the revision was read: "the Namespace", "the records"


def carried(
    rdm_id: str,
    org_id: str,
    merge_commit: str,
    baseline: Baseline,
    between: Sequence[TopologyChange],
    settled: Collection[str],
    own: Collection[str] = (),
    inputs: Sequence[InputChange] = (),
) -> list[str]:
    """Why applying `org_id` as of `merge_commit` for `rdm_id` would carry other changes.

    `between`: the commits after the baseline and before `merge_commit` (oldest
    first) that changed the topology's file; `settled`: the RDMs whose change
    is live and may ride along (executed, or applied before this one in this
    run). A rolled-back or refused RDM is not settled: its change is in the
    file but not in the cluster, and must not come back with another RDM.
    `inputs`: the commits after the baseline up to `merge_commit` itself (oldest
    first) that changed a file every client is rendered from; `own`: the
    commits of the RDM's own pull request.
    Empty when nothing else would be applied.
    """
    path = f"topologies/{org_id}.yaml"
    at = merge_commit[:12]
    if baseline.newer:
        return []  # the change is live already: the rollout does not apply it again
    sentences: list[str] = []
    for change in between:
        if change.commit == merge_commit:
            continue
        if not change.rdm_ids and baseline.revision is None and change.created:
            continue  # the starting point (the import) of a topology rdm never applied
        if rdm_id in change.rdm_ids and change.commit not in own:
            sentences.append(
                f"{path} at {at} also holds {change.commit[:12]}, which changed it together "
                f"with {rdm_id}'s own file but was not brought by the pull request that merged "
                f"{rdm_id} (a direct push? `rdm audit` tells): the committee never saw that "
                "change in a diff, and applying it would run it without an approval of its own"
            )
            continue
        if not change.rdm_ids:
            sentences.append(
                f"{path} at {at} also holds {change.commit[:12]}, which changed it without an "
                f"RDM that targets {org_id} (a direct push? `rdm audit` tells): applying {rdm_id} "
                "would run that change without an approval of its own"
            )
            continue
        pending = [other for other in change.rdm_ids if other != rdm_id and other not in settled]
        if pending:
            names = ", ".join(pending)
            sentences.append(
                f"{path} at {at} also holds the change of {names} (merged in "
                f"{change.commit[:12]}), which is not live (not run yet, refused or rolled "
                f"back): applying {rdm_id} now would run it; run {names} first, or revert its "
                "change and merge it again afterwards"
            )
    unapproved: dict[tuple[str, str], InputChange] = {}
    for shared in inputs:
        if shared.restored:
            # The file is back as it was at the starting point: what came before
            # this commit no longer reaches the cluster, approved or not.
            for key in [key for key in unapproved if key[1] == shared.path]:
                del unapproved[key]
            continue
        if shared.approved or shared.commit == merge_commit or shared.commit in own:
            continue
        unapproved[(shared.commit, shared.path)] = shared
    for shared in unapproved.values():
        how = (
            f"through PR #{shared.pr}, {shared.why}"
            if shared.pr is not None
            else f"without a pull request ({shared.why}; `rdm audit` tells)"
        )
        sentences.append(
            f"{shared.path} at {at} also holds {shared.commit[:12]}, which changed it {how}: "
            f"every client is rendered from {shared.path}, and applying {rdm_id} would take "
            "that change to its targets without the committee's approval; put the file back "
            "as it was, then merge the change through a pull request the committee approves"
        )
    return sentences
