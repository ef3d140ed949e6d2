"""Which comment of a pull request is rdm's: the one it edits instead of adding another.

`rdm approvals --publish` keeps one comment on the PR with the committee's
verdict. It finds that comment again by a hidden marker, ``MARKER`` (rdm writes it
first in the body), **and** by its author: the account rdm posts as (the
committee's GitHub App, ``<app-slug>[bot]``). The author is what makes the
marker mean anything: anyone who can comment can write the marker, and a marker
alone would let them either have rdm edit their comment (rdm would then keep a
comment that person can edit again) or, placed before rdm's, make rdm edit
theirs and leave the real one stale. A comment with the marker by anyone else
is *planted*: rdm never edits or deletes it, and says in its own comment that
it is not rdm's.

The author is only as trustworthy as the account: with the committee App, only
jobs holding its key (the `rdm-committee` environment, default branch only)
post as ``<app-slug>[bot]``. `github-actions[bot]` is shared by every workflow
run, a pull request's own included, so a comment by it proves nothing.

When the account's comments hold the marker more than once (two runs raced to
create it), the oldest is kept and the others are deleted, so the PR never
grows a thread of verdicts.

Pure: GitHub's comments come in as values; the command does the requests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MARKER = "<!-- rdm:committee-verdict -->"
# Logins GitHub gives every workflow's GITHUB_TOKEN: a comment by it may come
# from any workflow, a pull request's included.
SHARED_BOTS = ("github-actions[bot]",)


@dataclass(frozen=True)
class IssueComment:
    """A comment on the PR's conversation (GitHub's issue comment), as rdm reads it."""

    comment_id: int
    author: str  # '' for a deleted account
    body: str


@dataclass(frozen=True)
class CommentPlan:
    ours: IssueComment | None  # rdm's comment, to edit; None: create one
    duplicates: tuple[IssueComment, ...]  # rdm's too, later ones: to delete
    planted: tuple[IssueComment, ...]  # the marker, by someone else: left alone, named

    def up_to_date(self, body: str) -> bool:
        return self.ours is not None and self.ours.body == body


def carries_marker(comment: IssueComment) -> bool:
    return MARKER in comment.body


def plan(comments: Iterable[IssueComment], bot_login: str) -> CommentPlan:
    """Sort the PR's comments (in GitHub's order, oldest first) into rdm's and the rest."""
    ours: list[IssueComment] = []
    planted: list[IssueComment] = []
    me = bot_login.lower()
    for comment in comments:
        if not carries_marker(comment):
            continue
        if me and comment.author.lower() == me:
            ours.append(comment)
        else:
            planted.append(comment)
    ours.sort(key=lambda c: c.comment_id)  # the oldest stays where people saw it first
    return CommentPlan(ours[0] if ours else None, tuple(ours[1:]), tuple(planted))
