"""Only the repository's own regular files are read (issue 8, item 6).

Each test plants something that is not a regular file of the repository where
data lives -- links out of (and inside) the repository, FIFOs, sockets, devices,
folders named like files, folders that cannot be read, git symlink blobs and
submodules -- and checks through the real entry point that it is a finding at
its own path and that nothing behind it was read.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import git
import pytest

from rdm.edges.repository import load_repository
from rdm.edges.sources import GitRevision, WorkTree, load
from rdm.model.documents import MAX_BYTES

Run = Callable[..., tuple[int, str, str]]
ROOT = Path(__file__).resolve().parents[1]
TOPOLOGY = "topologies/grupo-alvorada.yaml"
LINK = "a symbolic link; rdm never reads through a link, only the repository's own regular files"


def _not_regular(kind: str) -> str:
    return f"{kind}, not a regular file; rdm reads only the repository's own regular files"


def _validate(run_rdm: Run, repo: Path) -> tuple[int, list[str]]:
    code, out, err = run_rdm("validate", "--repo", str(repo), "--format", "text")
    assert "Traceback" not in out + err
    return code, out.splitlines()


def _outside_topology(tmp_path: Path, example_repo: Path) -> Path:
    """A valid topology outside the repository: if rdm read it, it would pass."""
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "padaria-do-ze.yaml"
    text = (example_repo / TOPOLOGY).read_text(encoding="utf-8")
    target.write_text(text.replace("grupo-alvorada", "padaria-do-ze"), encoding="utf-8")
    return target


def test_a_link_out_of_the_repository_is_a_finding_and_is_not_read(
    example_repo: Path, tmp_path: Path, run_rdm: Run
) -> None:
    target = _outside_topology(tmp_path, example_repo)
    (example_repo / "topologies" / "padaria-do-ze.yaml").symlink_to(target)
    code, lines = _validate(run_rdm, example_repo)
    assert code == 1
    assert f"{example_repo}/topologies/padaria-do-ze.yaml:1:1: error: {LINK} [file-type]" in lines
    # Not read: it is not a topology either, so an RDM naming it has no target.
    rdm = example_repo / "rdms" / "2026" / "RDM-2026-0041.yaml"
    rdm.write_text(rdm.read_text(encoding="utf-8").replace("padaria-do-ze", "x"), "utf-8")
    code, out, _ = run_rdm("render", "padaria-do-ze", "--repo", str(example_repo))
    assert code == 1 and out == ""


def test_any_link_is_a_finding_even_inside_the_repository(
    example_repo: Path, run_rdm: Run
) -> None:
    # Simplest and safest: rdm does not judge where a link points.
    (example_repo / "topologies" / "copy.yaml").symlink_to(example_repo / TOPOLOGY)
    (example_repo / "policy" / "notes.md").symlink_to("../README.md")
    (example_repo / "rdms" / "dangling").symlink_to("nowhere")
    code, lines = _validate(run_rdm, example_repo)
    assert code == 1
    for relative in ("topologies/copy.yaml", "policy/notes.md", "rdms/dangling"):
        assert f"{example_repo}/{relative}:1:1: error: {LINK} [file-type]" in lines


def test_a_linked_folder_is_a_finding_and_nothing_under_it_is_read(
    example_repo: Path, tmp_path: Path, run_rdm: Run
) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.move(example_repo / "rdms" / "2026", elsewhere)
    (elsewhere / "RDM-2026-0041.yaml").write_text("id: [broken\n", encoding="utf-8")
    (example_repo / "rdms" / "2026").symlink_to(elsewhere)
    code, lines = _validate(run_rdm, example_repo)
    assert code == 1
    assert lines[:-1] == [f"{example_repo}/rdms/2026:1:1: error: {LINK} [file-type]"]
    assert lines[-1].endswith(" file(s) checked: 1 error(s), 0 warning(s)")


@pytest.mark.parametrize("folder", ["topologies", "policy", "rdms"])
def test_a_data_folder_that_is_a_link_is_a_finding(
    example_repo: Path, tmp_path: Path, run_rdm: Run, folder: str
) -> None:
    moved = tmp_path / f"real-{folder}"
    shutil.move(example_repo / folder, moved)
    (example_repo / folder).symlink_to(moved)
    code, lines = _validate(run_rdm, example_repo)
    assert code == 1
    assert (
        f"{example_repo}/{folder}:1:1: error: a symbolic link, not a folder; "
        "rdm never reads through a link [file-type]"
    ) in lines
    # policy behind a link is not "missing": one finding says why it is not read
    assert not any("[layout-missing]" in line for line in lines)


def test_a_data_folder_that_is_a_file_is_a_finding(example_repo: Path, run_rdm: Run) -> None:
    shutil.rmtree(example_repo / "rdms")
    (example_repo / "rdms").write_text("not a folder\n", encoding="utf-8")
    code, lines = _validate(run_rdm, example_repo)
    assert code == 1
    assert lines[0] == (
        f"{example_repo}/rdms:1:1: error: a file, not a folder; rdm reads data only from the "
        "folders rdms, topologies, policy [file-type]"
    )


def _run_subprocess(*argv: str, user_caps: bool = False) -> subprocess.CompletedProcess[str]:
    """rdm in its own process, with a time limit: a read that blocks fails the test."""
    command = [sys.executable, "-c", "import sys; from rdm.cli import main; sys.exit(main())"]
    if user_caps:
        # Root reads any folder (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH): drop both, so
        # a folder with mode 000 fails to open for root as it does for anyone else.
        command = [
            "setpriv",
            "--inh-caps=-all",
            "--bounding-set=-dac_override,-dac_read_search",
            "--",
            *command,
        ]
    return subprocess.run(
        [*command, *argv], capture_output=True, text=True, timeout=120, check=False
    )


def test_a_fifo_is_a_finding_and_never_blocks(example_repo: Path) -> None:
    os.mkfifo(example_repo / "topologies" / "fila.yaml")
    os.mkfifo(example_repo / "policy" / "calendar.yaml.new")
    proc = _run_subprocess("validate", "--repo", str(example_repo), "--format", "text")
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    fifo = _not_regular("a FIFO (named pipe)")
    assert f"{example_repo}/topologies/fila.yaml:1:1: error: {fifo} [file-type]" in lines
    assert f"{example_repo}/policy/calendar.yaml.new:1:1: error: {fifo} [file-type]" in lines
    # a FIFO where a topology is expected also stops a render, at once
    proc = _run_subprocess("render", "--repo", str(example_repo))
    assert proc.returncode == 1 and proc.stdout == ""
    assert f"{example_repo}/topologies/fila.yaml:1:1: error: {fifo} [file-type]\n" == proc.stderr


def test_a_socket_is_a_finding(example_repo: Path, run_rdm: Run) -> None:
    folder = example_repo / "rdms" / "2026"
    cwd = Path.cwd()
    os.chdir(folder)  # a relative name: socket paths are limited to ~100 bytes
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind("RDM-2026-0099.yaml")
        code, lines = _validate(run_rdm, example_repo)
    finally:
        server.close()
        os.chdir(cwd)
    assert code == 1
    assert (
        f"{example_repo}/rdms/2026/RDM-2026-0099.yaml:1:1: error: "
        f"{_not_regular('a socket')} [file-type]"
    ) in lines


@pytest.mark.skipif(os.geteuid() != 0, reason="creating a device node needs root")
def test_a_device_is_a_finding_and_is_not_opened(example_repo: Path, run_rdm: Run) -> None:
    # /dev/zero's numbers: reading it would never end.
    os.mknod(example_repo / "topologies" / "zero.yaml", stat.S_IFCHR | 0o600, os.makedev(1, 5))
    code, lines = _validate(run_rdm, example_repo)
    assert code == 1
    assert (
        f"{example_repo}/topologies/zero.yaml:1:1: error: {_not_regular('a device')} [file-type]"
    ) in lines


def test_a_link_to_a_device_is_a_finding(example_repo: Path, run_rdm: Run) -> None:
    (example_repo / "topologies" / "zero.yaml").symlink_to("/dev/zero")
    code, lines = _validate(run_rdm, example_repo)
    assert code == 1
    assert f"{example_repo}/topologies/zero.yaml:1:1: error: {LINK} [file-type]" in lines


def test_a_folder_named_like_a_data_file_is_a_finding(example_repo: Path, run_rdm: Run) -> None:
    folder = example_repo / "topologies" / "pasta.yaml"
    folder.mkdir()
    (folder / "inside.yaml").write_text("orgId: x\n", encoding="utf-8")
    (example_repo / "rdms" / "2026" / "RDM-2026-0050.yaml").mkdir()
    code, lines = _validate(run_rdm, example_repo)
    assert code == 1
    folder_message = _not_regular("a folder named like a data file")
    assert f"{example_repo}/topologies/pasta.yaml:1:1: error: {folder_message} [file-type]" in lines
    assert (
        f"{example_repo}/rdms/2026/RDM-2026-0050.yaml:1:1: error: {folder_message} [file-type]"
    ) in lines
    assert not any("inside.yaml" in line for line in lines)


def test_a_folder_that_cannot_be_read_is_a_finding(example_repo: Path) -> None:
    folder = example_repo / "rdms" / "2026"
    root = os.geteuid() == 0
    if root and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: root reads a mode-000 folder")
    folder.chmod(0)
    try:
        proc = _run_subprocess(
            "validate", "--repo", str(example_repo), "--format", "text", user_caps=root
        )
    finally:
        folder.chmod(0o755)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:-1] == [
        f"{example_repo}/rdms/2026:1:1: error: cannot read the folder: Permission denied [io]"
    ]
    assert lines[-1].endswith(" file(s) checked: 1 error(s), 0 warning(s)")


def test_a_file_that_cannot_be_read_is_a_finding(example_repo: Path) -> None:
    path = example_repo / TOPOLOGY
    root = os.geteuid() == 0
    if root and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: root reads a mode-000 file")
    path.chmod(0)
    try:
        proc = _run_subprocess(
            "validate", "--repo", str(example_repo), "--format", "text", user_caps=root
        )
    finally:
        path.chmod(0o644)
    assert proc.returncode == 1, proc.stderr
    assert (
        f"{example_repo}/{TOPOLOGY}:1:1: error: cannot read the file: Permission denied [io]"
    ) in proc.stdout.splitlines()


def test_a_huge_sparse_file_costs_one_read_of_the_limit(example_repo: Path, run_rdm: Run) -> None:
    path = example_repo / TOPOLOGY
    with path.open("r+b") as handle:
        handle.truncate(64 * 1024**3)  # 64 GiB announced, nothing on disk
    code, lines = _validate(run_rdm, example_repo)
    assert code == 1
    assert (
        f"{example_repo}/{TOPOLOGY}:1:1: error: file is over the 1,048,576-byte (1 MiB) limit "
        "[yaml-size]"
    ) in lines


@pytest.mark.skipif(
    not Path("/proc/kallsyms").exists(), reason="needs a procfs file larger than 1 MiB"
)
def test_the_limit_holds_for_what_is_read_not_for_the_announced_size() -> None:
    # /proc files announce st_size 0 and hold more: the limit counts bytes read.
    procfs = WorkTree(Path("/proc"))
    assert Path("/proc/kallsyms").stat().st_size == 0
    data = procfs.read("kallsyms")
    if len(data) <= MAX_BYTES:
        pytest.skip("this kernel's symbol table is under 1 MiB")
    assert len(data) == MAX_BYTES + 1
    result = load(procfs, "kallsyms")
    assert [p.rule for p in result.problems] == ["yaml-size"]


def test_a_path_out_of_the_repository_is_never_read(example_repo: Path) -> None:
    tree = WorkTree(example_repo)
    for relative in ("../outside.yaml", "topologies/../../x.yaml", "/etc/passwd", "a//b"):
        result = load(tree, relative)
        assert [(p.message, p.rule) for p in result.problems] == [
            ("not a path inside the repository", "file-type")
        ]


def test_file_names_match_with_ascii_digits_only(example_repo: Path, run_rdm: Run) -> None:
    folder = example_repo / "rdms" / "2026"
    text = (folder / "RDM-2026-0041.yaml").read_text(encoding="utf-8")
    arabic = "RDM-2026-\u0660\u0660\u0664\u0661"  # Arabic-Indic digits 0041
    (folder / f"{arabic}.yaml").write_text(
        text.replace("RDM-2026-0041", arabic), encoding="utf-8"
    )
    (folder / "RDM-2026-0041.yaml\n").write_text(text, encoding="utf-8")
    code, lines = _validate(run_rdm, example_repo)
    assert code == 1
    expected = "not a file rdm reads; expected rdms/<year>/RDM-<year>-<4 digits>.yaml [layout]"
    assert f"{example_repo}/rdms/2026/{arabic}.yaml:1:1: error: {expected}" in lines
    assert f"{example_repo}/rdms/2026/RDM-2026-0041.yaml\\n:1:1: error: {expected}" in lines
    # and as an id inside a file of the right name
    (folder / f"{arabic}.yaml").unlink()
    (folder / "RDM-2026-0041.yaml\n").unlink()
    (folder / "RDM-2026-0041.yaml").write_text(
        text.replace("id: RDM-2026-0041", f"id: {arabic}"), encoding="utf-8"
    )
    code, lines = _validate(run_rdm, example_repo)
    assert code == 1
    assert any(f"id: {arabic!r}" in line and "[schema]" in line for line in lines), lines


def test_render_without_topologies_is_an_error(example_repo: Path, run_rdm: Run) -> None:
    shutil.rmtree(example_repo / "topologies")
    code, out, err = run_rdm("render", "--repo", str(example_repo))
    assert (code, out) == (1, "")
    assert err == (
        f"rdm: nothing to render: no topology in {example_repo}/topologies/ "
        "(topologies/<org-id>.yaml); is --repo the RDM repository?\n"
    )
    (example_repo / "topologies").mkdir()
    code, out, err = run_rdm("render", "--repo", str(example_repo), "--out", "build")
    assert (code, out) == (1, "")
    assert err.startswith("rdm: nothing to render: no topology in ")


# ---------------------------------------------------------------- git revisions


def _commit(repo_dir: Path, message: str = "data") -> git.Repo:
    repo = git.Repo.init(repo_dir) if not (repo_dir / ".git").exists() else git.Repo(repo_dir)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test")
        config.set_value("user", "email", "test@example.com")
    repo.git.add(A=True)
    repo.index.commit(message)
    return repo


@pytest.fixture
def hostile_commit(example_repo: Path, tmp_path: Path) -> Iterator[Path]:
    """A commit whose tree holds a symlink blob, a submodule and a folder named x.yaml."""
    target = _outside_topology(tmp_path, example_repo)
    (example_repo / "topologies" / "padaria-do-ze.yaml").symlink_to(target)
    (example_repo / "topologies" / "pasta.yaml").mkdir()
    (example_repo / "topologies" / "pasta.yaml" / "x").write_text("x\n", encoding="utf-8")
    repo = _commit(example_repo)
    sha = repo.head.commit.hexsha
    repo.git.update_index("--add", "--cacheinfo", f"160000,{sha},topologies/modulo.yaml")
    repo.index.update()
    repo.git.commit("-m", "a submodule entry")
    # the work tree is clean of them afterwards: only the commit holds them
    (example_repo / "topologies" / "padaria-do-ze.yaml").unlink()
    shutil.rmtree(example_repo / "topologies" / "pasta.yaml")
    yield example_repo


def test_a_revision_with_links_submodules_and_file_named_folders(
    hostile_commit: Path, run_rdm: Run
) -> None:
    code, out, err = run_rdm("render", "--repo", str(hostile_commit), "--rev", "HEAD")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"HEAD:topologies/modulo.yaml:1:1: error: {_not_regular('a git submodule')} [file-type]",
        f"HEAD:topologies/padaria-do-ze.yaml:1:1: error: {LINK} [file-type]",
        "HEAD:topologies/pasta.yaml:1:1: error: "
        f"{_not_regular('a folder named like a data file')} [file-type]",
    ]
    source = GitRevision(hostile_commit, "HEAD")
    assert "topologies/padaria-do-ze.yaml" not in set(source.files())
    result = load(source, "topologies/padaria-do-ze.yaml")
    assert [(p.message, p.rule) for p in result.problems] == [(LINK, "file-type")]


def test_a_revision_whose_data_folder_is_a_link(example_repo: Path, tmp_path: Path) -> None:
    moved = tmp_path / "real"
    shutil.move(example_repo / "topologies", moved)
    (example_repo / "topologies").symlink_to(moved)
    _commit(example_repo)
    repository = load_repository(GitRevision(example_repo, "HEAD"), only=["topologies"])
    assert [str(p) for p in repository.problems] == [
        "HEAD:topologies:1:1: error: a symbolic link, not a folder; rdm never reads through "
        "a link [file-type]"
    ]


def test_a_big_blob_is_refused_without_being_read(example_repo: Path) -> None:
    (example_repo / TOPOLOGY).write_bytes(b"#" * (MAX_BYTES + 10))
    _commit(example_repo)
    result = load(GitRevision(example_repo, "HEAD"), TOPOLOGY)
    assert [p.rule for p in result.problems] == ["yaml-size"]


@pytest.mark.parametrize(
    "revision",
    [
        "HEAD:../../etc",
        "HEAD:topologies",
        "HEAD:topologies/grupo-alvorada.yaml",
        "-h",
        "--output=/tmp/x",
        "HEAD@{0}",
        "@{-1}",
        "main@{upstream}",
        "HEAD^{tree}",
        ":/data",
        "HEAD..HEAD",
        "HEAD...HEAD",
        "HEAD ",
        "HEAD\n",
        "refs/heads/.hidden",
        "x.lock",
        "a//b",
    ],
)
def test_a_revision_that_is_not_a_commit_name_is_a_usage_error(
    example_repo: Path, run_rdm: Run, revision: str
) -> None:
    _commit(example_repo)
    code, out, err = run_rdm("render", "--repo", str(example_repo), "--rev", revision)
    assert (code, out) == (2, "")
    assert err.startswith(f"rdm: usage: --rev {revision!r} is not a revision rdm reads; give ")
    assert err.count("\n") == 1


@pytest.mark.parametrize("revision", ["HEAD", "HEAD~1", "HEAD^", "HEAD~1^0", "v1.0", "feature/x"])
def test_ordinary_revisions_still_work(example_repo: Path, run_rdm: Run, revision: str) -> None:
    repo = _commit(example_repo, "first")
    repo.create_tag("v1.0")
    repo.create_head("feature/x")
    (example_repo / "README.md").write_text("x\n", encoding="utf-8")
    _commit(example_repo, "second")
    code, out, _ = run_rdm(
        "render", "grupo-alvorada", "--repo", str(example_repo), "--rev", revision
    )
    assert code == 0 and out.startswith("---\napiVersion: v1\nkind: Namespace\n")
    short = repo.head.commit.hexsha[:10]
    code, _, _ = run_rdm("render", "grupo-alvorada", "--repo", str(example_repo), "--rev", short)
    assert code == 0


def test_a_link_named_on_the_command_line_is_reported_not_followed(
    example_repo: Path, tmp_path: Path, run_rdm: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _outside_topology(tmp_path, example_repo)
    (example_repo / "topologies" / "padaria-do-ze.yaml").symlink_to(target)
    (example_repo / "topologies" / "sumiu.yaml").symlink_to(tmp_path / "nowhere")
    monkeypatch.chdir(example_repo)
    code, out, err = run_rdm(
        "validate", "topologies/padaria-do-ze.yaml", "topologies/sumiu.yaml", "--format", "text"
    )
    assert (code, err) == (1, "")
    assert out.splitlines()[:2] == [
        f"topologies/padaria-do-ze.yaml:1:1: error: {LINK} [file-type]",
        f"topologies/sumiu.yaml:1:1: error: {LINK} [file-type]",
    ]


def test_no_expression_of_rdm_matches_unicode_digits_or_letters() -> None:
    """`\\d` and `\\w` match any Unicode digit or letter in Python (int() even reads
    them: int("٣") == 3); names, ids and numbers are ASCII. A class of bug, kept
    out of every regular expression of the package and of every schema pattern."""
    import ast
    import re

    offenders = []
    package = ROOT / "tools" / "rdm"
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "re"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                continue
            flags = ast.unparse(node.args[2]) if len(node.args) > 2 else ""
            flags += " ".join(ast.unparse(k.value) for k in node.keywords if k.arg == "flags")
            if re.search(r"\\[dw]", node.args[0].value) and "ASCII" not in flags:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    for schema in sorted((ROOT / "schemas").glob("*.json")):
        if re.search(r"\\\\[dw]", schema.read_text(encoding="utf-8")):
            offenders.append(str(schema.relative_to(ROOT)))
    assert offenders == []


def test_folders_nested_without_end_are_a_finding_not_a_crash(
    example_repo: Path, run_rdm: Run
) -> None:
    deep = example_repo / "rdms"
    for _ in range(40):
        deep = deep / "d"
    deep.mkdir(parents=True)
    (deep / "RDM-2026-0099.yaml").write_text("x: 1\n", encoding="utf-8")
    code, lines = _validate(run_rdm, example_repo)
    assert code == 1
    cut = "rdms/" + "/".join(["d"] * 17)
    assert (
        f"{example_repo}/{cut}:1:1: error: folders nested over 16 deep; not read [file-type]"
    ) in lines
    _commit(example_repo)
    repository = load_repository(GitRevision(example_repo, "HEAD"), only=["rdms"])
    assert [p.message for p in repository.problems if p.rule == "file-type"] == [
        "folders nested over 16 deep; not read"
    ]
