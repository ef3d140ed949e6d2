"""The README's `rdm approvals` walkthrough is the tool's real output.

PR #12 adds RDM-2026-0042 (it involves lucas-analista-cloud and bruno-infra) on
a real git clone; the fake GitHub serves its reviews and labels. The text
verdict, the `--publish` lines and the comment rdm keeps on the PR are compared
with the README's blocks; only the head commit's SHA, which depends on the
example's files, is read from the README and put in place of the real one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import ROOT
from github_fake import SLUG, FakeGitHub, FakePull
from test_approvals_trust import Clone

README = (ROOT / "README.md").read_text(encoding="utf-8")
RDM = "rdms/2026/RDM-2026-0042.yaml"


def _block(command: str) -> str:
    """The lines after `$ {command}` in the README, up to the next prompt or fence."""
    lines = README.splitlines()
    start = lines.index(f"$ {command}")
    output = []
    for line in lines[start + 1 :]:
        if line.startswith(("$ ", "```")):
            break
        output.append(line)
    return "\n".join(output)


def _comment() -> str:
    """The comment shown in the README: a ````markdown block starting with rdm's marker."""
    match = re.search(r"````markdown\n(<!-- rdm:committee-verdict -->\n.*?)````\n", README, re.S)
    assert match, "the README shows rdm's comment in a ````markdown block"
    return match.group(1)


@pytest.fixture
def pull(tmp_path: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> FakePull:
    monkeypatch.setenv("GITHUB_API_URL", fake.api_url)
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_test")
    monkeypatch.setenv("RDM_BOT_LOGIN", "rdm-committee[bot]")
    for name in ("GITHUB_REPOSITORY", "GITHUB_SERVER_URL", "GITHUB_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    clone = Clone(tmp_path / "clone")
    monkeypatch.chdir(clone.root)
    base = clone.commit("without RDM-0042", {RDM: None})
    clone.branch("rdm-42", base)
    old = clone.commit("first draft", {RDM: clone.text(RDM).replace("30m", "40m", 1)})
    head = clone.commit("RDM-2026-0042", {RDM: clone.text(RDM)})
    pull = fake.pull(12, "eduardo-gmud", head, base).change(RDM, "added")
    pull.add_label("encaminhada", "paula-po")
    pull.review("ana-gerente-mudancas", "APPROVED").review("bruno-infra", "APPROVED", old)
    pull.review("carla-dba", "APPROVED").review("fernanda-coord-services", "APPROVED")
    pull.review("estagiario-dev", "APPROVED")
    return pull


def _shown(text: str, pull: FakePull, readme: str) -> str:
    """`text` with the real head SHA written as the README writes it."""
    shown = re.search(r"latest push to ([0-9a-f]{7})", readme)
    return text.replace(pull.head[:7], shown.group(1)) if shown else text


def test_the_text_verdict(run_rdm, pull):
    command = "rdm approvals 12 --repo-slug saas-team/rdm-changes"
    expected = _block(command)
    _, out, _ = run_rdm(*command.split()[1:])
    assert _shown(out.rstrip("\n"), pull, expected) == expected


def test_the_published_comment_with_a_veto(run_rdm, pull):
    pull.review(
        "lucas-analista-cloud",
        "CHANGES_REQUESTED",
        body="O nó da Metalúrgica não comporta 8Gi: peça antes a troca do node pool.",
    )
    command = "rdm approvals 12 --repo-slug saas-team/rdm-changes --publish"
    expected = _block(command)
    code, out, err = run_rdm(*command.split()[1:])
    assert code == 1
    assert _shown(out + err.rstrip("\n"), pull, expected) == expected
    comment = _comment()
    (body,) = [c["body"] for c in pull.comments]
    assert _shown(body, pull, expected) == comment
    assert SLUG == "saas-team/rdm-changes"
