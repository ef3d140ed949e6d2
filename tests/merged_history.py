"""A default branch with a history of merged pull requests: a real git repository in tmp
and the fake GitHub that knows what merged each commit.

`History` builds the repository the way GitHub would: each pull request is a
branch from the default branch with its commits, merged with a real merge commit
(`--no-ff`, GitHub's subject), a squash commit, its commits replayed (a rebase
merge), or not at all (a direct push);
every commit carries the time it happened, so `--since` and the order of merges
are real. `MergingGitHub` extends tests/github_fake.py with what the rollout
and the audit ask: the repository (its default branch), the pull requests of a
commit, a commit's statuses with who posted them, and PRs with their merge
commit, merge time and creation time; reviews and label events carry the times
given. The client under test talks to it over HTTP; nothing is patched.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import git
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from conftest import ROOT
from github_fake import SLUG, FakeGitHub, FakePull, repository, user

CM = ("ana-gerente-mudancas", "bruno-infra", "carla-dba", "diretor-services")
CME = ("ana-gerente-mudancas", "bruno-infra", "diretor-services")
APP = "rdm-committee[bot]"
PRODUCT_OWNER = "paula-po"  # roles.product-owner of the example's policy/committee.yaml


def iso(moment: datetime) -> str:
    """GitHub's way of writing a time: UTC, seconds, Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class MergedPull(FakePull):
    """A PR that knows when it was opened and merged, and by which commit."""

    created_at: str = "2026-11-24T08:00:00Z"
    merged_at: str | None = None
    merge_commit_sha: str | None = None

    def review_at(
        self, login: str, state: str, at: datetime, commit: str | None = None
    ) -> MergedPull:
        self.review(login, state, commit)
        self.reviews[-1]["submitted_at"] = iso(at)
        return self

    def label_at(self, name: str, actor: str, at: datetime) -> MergedPull:
        self.add_label(name, actor)
        self.events[-1]["created_at"] = iso(at)
        return self

    def as_json(self) -> dict[str, Any]:
        body = super().as_json()
        body["created_at"] = self.created_at
        body["merged_at"] = self.merged_at
        body["merged"] = self.merged_at is not None
        body["merge_commit_sha"] = self.merge_commit_sha or "e" * 40
        if self.merged_at is not None:
            body["state"] = "closed"
        return body


@dataclass
class PostedStatus:
    sha: str
    state: str
    poster: str
    at: str
    poster_type: str = "Bot"


class MergingGitHub(FakeGitHub):
    """tests/github_fake.py plus the repository, a commit's PRs and a commit's statuses."""

    def __init__(self, server: HTTPServer, slug: str = SLUG) -> None:
        self.associations: dict[str, list[int]] = {}  # commit -> PR numbers GitHub lists
        self.posted: list[PostedStatus] = []
        self.default_branch = "main"
        super().__init__(server, slug)

    def merged_pull(self, number: int, author: str, head: str, base: str) -> MergedPull:
        pull = MergedPull(number, author, head, base)
        self.pulls[number] = pull
        return pull

    def post_status(self, sha: str, state: str, poster: str, at: datetime) -> None:
        kind = "Bot" if poster.endswith("[bot]") else "User"
        self.posted.append(PostedStatus(sha, state, poster, iso(at), kind))

    def _handle(self, request: Request) -> Response:
        prefix = f"/repos/{self.slug}"
        path = request.path
        if request.method == "GET" and path == prefix:
            self.requests.append((request.method, path))
            self.authorizations.append(request.headers.get("Authorization"))
            return self._json(repository(self.slug, self.default_branch))
        match = re.fullmatch(
            rf"{re.escape(prefix)}/commits/([0-9a-f]{{40}})/(pulls|statuses)", path
        )
        if request.method == "GET" and match:
            self.requests.append((request.method, path))
            self.authorizations.append(request.headers.get("Authorization"))
            sha, kind = match.groups()
            if kind == "pulls":
                numbers = self.associations.get(sha, [])
                return self._page(request, [self.pulls[n].as_json() for n in numbers])
            statuses = [s for s in reversed(self.posted) if s.sha == sha]
            return self._page(request, [self._status(i, s) for i, s in enumerate(statuses)])
        return super()._handle(request)

    def _status(self, index: int, status: PostedStatus) -> dict[str, Any]:
        creator = user(status.poster, 3000 + index)
        creator["type"] = status.poster_type
        return {
            "url": f"https://api.github.com/repos/{self.slug}/statuses/{status.sha}",
            "id": 9000 + index,
            "node_id": f"SC_{index}",
            "state": status.state,
            "description": "CM approved",
            "target_url": None,
            "context": "rdm/committee",
            "created_at": status.at,
            "updated_at": status.at,
            "creator": creator,
        }


@dataclass
class History:
    """A real repository whose `main` is built by merging pull requests."""

    root: Path
    github: MergingGitHub
    repo: git.Repo = field(init=False)
    pulls: int = 0

    def __post_init__(self) -> None:
        self.repo = git.Repo.init(self.root, initial_branch="main")
        with self.repo.config_writer() as config:
            config.set_value("user", "name", "Test").set_value("user", "email", "t@example.com")

    def seed(self, at: datetime, files: dict[str, str] | None = None) -> str:
        """The first commit: the example's topologies and policy, no RDM (or `files`)."""
        for folder in ("topologies", "policy"):
            shutil.copytree(ROOT / folder, self.root / folder)
        return self._commit("Seed: clients already in the cluster", files or {}, at)

    def _write(self, files: dict[str, str | None]) -> None:
        for relative, content in files.items():
            path = self.root / relative
            if content is None:
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(content, encoding="utf-8")

    def _commit(self, message: str, files: dict[str, str | None], at: datetime) -> str:
        self._write(files)
        self.repo.git.add(A=True)
        stamp = at.isoformat()
        with self.repo.git.custom_environment(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp):
            self.repo.git.commit("-m", message, "--allow-empty")
        return self.repo.head.commit.hexsha

    def open(
        self,
        files: dict[str, str | None],
        author: str,
        at: datetime,
        *,
        number: int | None = None,
    ) -> MergedPull:
        """A PR branched from main's tip with one commit, opened at `at`."""
        self.pulls += 1
        number = number or 10 + self.pulls
        base = self.repo.heads.main.commit.hexsha
        self.repo.git.checkout("-B", f"rdm-{number}", base)
        head = self._commit(f"RDM change ({number})", files, at)
        self.repo.git.checkout("main")
        pull = self.github.merged_pull(number, author, head, base)
        pull.created_at = iso(at)
        for relative, content in files.items():
            if content is None:
                pull.change(relative, "removed")
            else:
                pull.change(relative, "modified" if (self.root / relative).exists() else "added")
        return pull

    def approve(
        self,
        pull: MergedPull,
        logins: tuple[str, ...],
        at: datetime,
        *,
        forwarded: bool = True,
    ) -> MergedPull:
        """Approvals of `logins` on the head at `at`; a normal change is first forwarded to
        the CM by the Product Owner (label `encaminhada`), as the committee requires.
        Emergencies and standard changes are not forwarded: `forwarded=False`."""
        if forwarded:
            pull.label_at("encaminhada", PRODUCT_OWNER, at - timedelta(minutes=5))
        for login in logins:
            pull.review_at(login, "APPROVED", at)
        return pull

    def add(self, pull: MergedPull, files: dict[str, str | None], at: datetime) -> str:
        """One more commit on `pull`'s branch (its new head)."""
        self.repo.git.checkout(f"rdm-{pull.number}")
        for relative, content in files.items():
            if content is None:
                pull.change(relative, "removed")
            elif relative not in {f["filename"] for f in pull.files}:
                pull.change(relative, "modified" if (self.root / relative).exists() else "added")
        head = self._commit(f"RDM change ({pull.number}), more", files, at)
        self.repo.git.checkout("main")
        pull.head = head
        return head

    def merge(
        self, pull: MergedPull, at: datetime, *, squash: bool = False, rebase: bool = False
    ) -> str:
        """GitHub's merge (or squash, or rebase) of `pull` into main at `at`; returns the
        commit GitHub names as its merge commit (a rebase: the last one replayed)."""
        branch = f"rdm-{pull.number}"
        stamp = at.isoformat()
        if rebase:
            before = self.repo.heads.main.commit.hexsha
            with self.repo.git.custom_environment(GIT_COMMITTER_DATE=stamp):
                self.repo.git.checkout("-B", f"rebased-{pull.number}", pull.head)
                self.repo.git.rebase("--force-rebase", "main")
                self.repo.git.checkout("main")
                self.repo.git.merge("--ff-only", f"rebased-{pull.number}")
            sha = self.repo.head.commit.hexsha
            pull.merged_at = iso(at)
            pull.merge_commit_sha = sha
            pull.base = before
            for commit in self.repo.git.rev_list(f"{before}..{sha}").split():
                self.github.associations.setdefault(commit, []).append(pull.number)
            return sha
        with self.repo.git.custom_environment(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp):
            if squash:
                self.repo.git.merge("--squash", branch)
                self.repo.git.commit("-m", f"RDM change (#{pull.number})")
            else:
                self.repo.git.merge(
                    "--no-ff",
                    branch,
                    "-m",
                    f"Merge pull request #{pull.number} from {SLUG}/{branch}",
                )
        sha = self.repo.head.commit.hexsha
        pull.merged_at = iso(at)
        pull.merge_commit_sha = sha
        pull.base = self.repo.head.commit.parents[0].hexsha
        self.github.associations.setdefault(sha, []).append(pull.number)
        self.github.associations.setdefault(pull.head, []).append(pull.number)
        return sha

    def push(self, files: dict[str, str | None], at: datetime, message: str = "hotfix") -> str:
        """A commit straight onto main, with no pull request."""
        return self._commit(message, files, at)

    def text(self, relative: str) -> str:
        return (ROOT / relative).read_text(encoding="utf-8")


# ---------------------------------------------------------------- the example's history

BRT = timezone(timedelta(hours=-3))
RDM41 = "rdms/2026/RDM-2026-0041.yaml"  # normal, P3, window 2026-12-03: alvorada + hospital
RDM42 = "rdms/2026/RDM-2026-0042.yaml"  # normal, P2, window 2026-12-10: metalurgica
RDM43 = "rdms/2026/RDM-2026-0043.yaml"  # emergency, P1: cooperativa's TSS
RDM44 = "rdms/2026/RDM-2026-0044.yaml"  # standard, P4, window 2026-12-03: hospital homolog
HOMOLOG_BUILD = "registry.saas.local/protheus/appserver:12.1.2410-20261119"
CHANGE_MANAGER = "eduardo-gmud"


def before(relative: str) -> str:
    """An example topology as it was before the example's RDMs changed it."""
    text = (ROOT / relative).read_text(encoding="utf-8")
    if relative.endswith(("grupo-alvorada.yaml", "hospital-santa-luzia.yaml")):
        return text.replace("12.1.2410-20261105", "12.1.2410-20261008")
    if relative.endswith("cooperativa-vale-verde.yaml"):
        return re.sub(r"tss:12\.1\.2310-20261126[^\n]*", "tss:12.1.2310-20261020", text)
    if relative.endswith("metalurgica-sao-jorge.yaml"):
        text = re.sub(r"\{request: 10Gi, limit: 16Gi\}[^\n]*", "{request: 8Gi, limit: 12Gi}", text)
        return re.sub(r"MaxStringSize: 20\}[^\n]*", "MaxStringSize: 10}", text)
    return text


def homolog_build(text: str) -> str:
    """The hospital topology with the new build on its homolog appserver only (RDM-0044)."""
    return text.replace(
        "  protheus-appserver-homolog:\n",
        f"  protheus-appserver-homolog:\n    image: {HOMOLOG_BUILD}\n",
        1,
    )


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BRT)


@dataclass
class Example:
    seed: str
    merges: dict[str, str]  # RDM id -> merge commit
    pulls: dict[str, MergedPull]


def example(history: History) -> Example:
    """The bundled example as a history: the clients at their old images, then the four
    RDMs merged through approved PRs (the emergency labelled by an emergency labeler)."""
    topology = {
        org: f"topologies/{org}.yaml"
        for org in (
            "grupo-alvorada",
            "hospital-santa-luzia",
            "cooperativa-vale-verde",
            "metalurgica-sao-jorge",
        )
    }
    seed = history.seed(at(2, 9), {path: before(path) for path in topology.values()})
    merges: dict[str, str] = {}
    pulls: dict[str, MergedPull] = {}

    def land(
        rdm_id: str,
        files: dict[str, str | None],
        author: str,
        opened: datetime,
        approvers: tuple[str, ...],
        approved: datetime,
        merged: datetime,
    ) -> MergedPull:
        pull = history.open(files, author, opened)
        # A standard change (the change manager's approval) is not forwarded to the CM.
        history.approve(pull, approvers, approved, forwarded=approvers != (CHANGE_MANAGER,))
        history.github.post_status(pull.head, "success", APP, approved + timedelta(minutes=1))
        merges[rdm_id] = history.merge(pull, merged)
        pulls[rdm_id] = pull
        return pull

    # The emergency: opened by the NOC, labelled by it (an emergency labeler), CME consensus.
    emergency = history.open(
        {
            RDM43: history.text(RDM43),
            topology["cooperativa-vale-verde"]: history.text(topology["cooperativa-vale-verde"]),
        },
        "plantao-noc",
        at(26, 8, 20),
    )
    emergency.label_at("emergency", "plantao-noc", at(26, 8, 21))
    history.approve(emergency, CME, at(26, 8, 40), forwarded=False)
    history.github.post_status(emergency.head, "success", APP, at(26, 8, 41))
    merges["RDM-2026-0043"] = history.merge(emergency, at(26, 8, 45))
    pulls["RDM-2026-0043"] = emergency
    land(
        "RDM-2026-0041",
        {
            RDM41: history.text(RDM41),
            topology["grupo-alvorada"]: history.text(topology["grupo-alvorada"]),
            topology["hospital-santa-luzia"]: history.text(topology["hospital-santa-luzia"]),
        },
        CHANGE_MANAGER,  # the change manager opens it for the requester (bruno-infra, a member)
        at(27, 9),
        CM,
        at(1, 15, month=12),
        at(1, 16, 30, month=12),
    )
    land(
        "RDM-2026-0044",
        {
            RDM44: history.text(RDM44),
            topology["hospital-santa-luzia"]: homolog_build(
                history.text(topology["hospital-santa-luzia"])
            ),
        },
        "rh-sistemas-qa",
        at(30, 10),
        (CHANGE_MANAGER,),
        at(1, 17, month=12),
        at(1, 17, 10, month=12),
    )
    land(
        "RDM-2026-0042",
        {
            RDM42: history.text(RDM42),
            topology["metalurgica-sao-jorge"]: history.text(topology["metalurgica-sao-jorge"]),
        },
        CHANGE_MANAGER,
        at(1, 9, month=12),
        (*CM, "lucas-analista-cloud"),  # the cloud analyst is involved in RDM-2026-0042
        at(1, 15, 30, month=12),
        at(1, 17, 30, month=12),
    )
    return Example(seed, merges, pulls)
