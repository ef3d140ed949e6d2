"""`rdm render` and `rdm validate --manifests` through the CLI, on copies of the example repo."""

from __future__ import annotations

import json
from pathlib import Path

import git
import pytest
import yaml
from click.testing import CliRunner

from rdm.cli import cli, main
from rdm.rendering import manifests as rendering

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "render"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), standalone_mode=False, catch_exceptions=False)
    return int(result.return_value or 0), result.stdout, result.stderr


def test_render_all_to_stdout_is_the_goldens_in_org_order(example_repo: Path) -> None:
    code, out, _ = run("render", "--repo", str(example_repo))
    assert code == 0
    expected = "".join(p.read_text(encoding="utf-8") for p in sorted(GOLDEN.glob("*.yaml")))
    assert out == expected


def test_render_one_org_as_json_lines(example_repo: Path) -> None:
    code, out, _ = run("render", "grupo-alvorada", "--repo", str(example_repo), "--format", "json")
    assert code == 0
    objects = [json.loads(line) for line in out.splitlines()]
    assert objects[0]["kind"] == "Namespace"
    assert {o["metadata"].get("namespace", o["metadata"]["name"]) for o in objects} == {
        "grupo-alvorada"
    }
    golden = list(yaml.safe_load_all((GOLDEN / "grupo-alvorada.yaml").read_text(encoding="utf-8")))
    assert objects == golden


def test_render_out_writes_one_file_per_object(example_repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "build"
    topology = example_repo / "topologies" / "grupo-alvorada.yaml"
    original = topology.read_text()
    # an update is running: its appserver is rendered, then the update ends
    topology.write_text(original.replace("enabled: false", "enabled: true", 1))
    assert run("render", "--repo", str(example_repo), "--out", str(out))[0] == 0
    stale = out / "grupo-alvorada" / "25-deployment-protheus-appserver-update.yaml"
    assert stale.exists()
    topology.write_text(original)
    keep = out / "grupo-alvorada" / "README.md"
    keep.write_text("not ours\n")
    code, stdout, stderr = run("render", "--repo", str(example_repo), "--out", str(out))
    assert code == 0
    assert stdout == ""
    assert stderr == f"140 manifest(s) of 4 topology(ies) written to {out}\n"
    folder = out / "grupo-alvorada"
    names = sorted(p.name for p in folder.iterdir())
    assert not stale.exists() and keep.exists()
    assert names[0] == "00-namespace-grupo-alvorada.yaml"
    assert "14-deployment-protheus-dbaccess.yaml" in names
    joined = "".join("---\n" + (folder / n).read_text() for n in names if n.endswith(".yaml"))
    assert joined == (GOLDEN / "grupo-alvorada.yaml").read_text(encoding="utf-8")
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert folders == sorted(p.stem for p in GOLDEN.glob("*.yaml"))
    assert (out / ".rdm-written").is_file()  # what this render wrote, beside the org folders


def test_render_an_old_revision_without_checking_it_out(example_repo: Path) -> None:
    repo = git.Repo.init(example_repo)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test")
        config.set_value("user", "email", "test@example.com")
    repo.git.add(A=True)
    repo.index.commit("example repository")
    first = repo.head.commit.hexsha
    topology = example_repo / "topologies" / "grupo-alvorada.yaml"
    topology.write_text(topology.read_text().replace("replicas: 3", "replicas: 7"))
    repo.git.add(A=True)
    repo.index.commit("more appserver replicas")

    def prod_replicas(*extra: str) -> int:
        code, out, _ = run("render", "grupo-alvorada", "--repo", str(example_repo), *extra)
        assert code == 0
        for obj in yaml.safe_load_all(out):
            if obj["kind"] == "Deployment" and obj["metadata"]["name"] == "protheus-appserver-prod":
                return int(obj["spec"]["replicas"])
        raise AssertionError("no appserver deployment")

    assert prod_replicas() == 7
    assert prod_replicas("--rev", first) == 3
    assert prod_replicas("--rev", "HEAD~1") == 3
    assert "replicas: 7" in topology.read_text()  # the work tree was not touched


def test_render_a_bad_revision_is_an_outside_failure(
    example_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git.Repo.init(example_repo)
    assert main(["render", "--repo", str(example_repo), "--rev", "no-such-rev"]) == 3
    assert capsys.readouterr().err.startswith("rdm: cannot read revision 'no-such-rev'")


def test_render_an_unknown_org(example_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "nope", "--repo", str(example_repo)]) == 1
    assert capsys.readouterr().err == "rdm: no topology for nope (topologies/nope.yaml)\n"


def test_render_refuses_a_topology_with_errors(
    example_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    topology = example_repo / "topologies" / "grupo-alvorada.yaml"
    topology.write_text(topology.read_text().replace("replicas: 3", "replicas: many"))
    assert main(["render", "--repo", str(example_repo)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{example_repo}/topologies/grupo-alvorada.yaml:")
    assert lines[0].endswith("[schema]")
    # the other topologies still render when asked for by name
    assert main(["render", "hospital-santa-luzia", "--repo", str(example_repo)]) == 0


def test_a_broken_rdm_does_not_stop_a_render(example_repo: Path) -> None:
    (example_repo / "rdms" / "2026" / "RDM-2026-0041.yaml").write_text("id: [broken\n")
    code, out, _ = run("render", "grupo-alvorada", "--repo", str(example_repo))
    assert code == 0 and out


def test_a_value_only_the_renderer_would_refuse_is_a_finding_first(
    example_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The renderer sets this variable itself; the topology rules say so first, as one
    # finding, so the renderer's own refusal (a RenderError) is only belt and braces.
    topology = example_repo / "topologies" / "grupo-alvorada.yaml"
    topology.write_text(
        topology.read_text().replace(
            "      - name: DBACCESS_PASSWORD\n",
            "      - {name: PROTHEUS_DB_USER, value: sa}\n      - name: DBACCESS_PASSWORD\n",
        )
    )
    assert main(["render", "--repo", str(example_repo)]) == 1
    err = capsys.readouterr().err
    assert err.endswith(
        "error: PROTHEUS_DB_USER is set by rdm on protheus-dbaccess from "
        "database.credentialsSecret; remove it here [topology-env-duplicate]\n"
    )
    assert err.count("\n") == 1


def test_validate_manifests_clean(example_repo: Path) -> None:
    code, out, _ = run("validate", "--repo", str(example_repo), "--manifests")
    assert code == 0
    assert out.endswith("0 error(s), 0 warning(s)\n")


def test_validate_manifests_reports_schema_errors_at_the_topology(
    example_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A template edit that Kubernetes would refuse: an unknown field in a Service.
    folder = tmp_path / "templates"
    folder.mkdir()
    for template in rendering.TEMPLATE_DIR.iterdir():
        (folder / template.name).write_text(template.read_text())
    service = folder / "service.json.j2"
    service.write_text(
        service.read_text().replace(
            '"type": "ClusterIP",', '"type": "ClusterIP", "sessionAfinity": "None",'
        )
    )
    monkeypatch.setattr(rendering, "_default", rendering.Renderer(folder))
    code, out, _ = run("validate", "--repo", str(example_repo), "--manifests", "--format", "text")
    assert code == 1
    lines = out.splitlines()
    assert (
        f"{example_repo}/topologies/grupo-alvorada.yaml:4:1: error: Service/protheus-dbaccess: "
        "spec: Additional properties are not allowed ('sessionAfinity' was unexpected) "
        "[manifest-schema]"
    ) in lines
    assert sum("[manifest-schema]" in line for line in lines) == 4 * 9
    # plain validate stays a schema-and-rules pass
    code, out, _ = run("validate", "--repo", str(example_repo), "--format", "text")
    assert code == 0


def test_render_and_manifests_are_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "### `rdm render" in readme
    assert "`rdm validate --manifests`" in readme and "--update-golden" in readme


def test_an_empty_revision_is_not_the_work_tree(
    example_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["render", "--repo", str(example_repo), "--rev", ""]) == 2
    assert capsys.readouterr().err.startswith("rdm: usage: --rev '' names no commit; give a ")


def test_an_out_folder_that_cannot_be_written_is_one_line_exit_3(
    example_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    code = main(["render", "--repo", str(example_repo), "--out", str(blocker / "out")])
    err = capsys.readouterr().err
    assert code == 3
    assert err.startswith(f"rdm: cannot write the manifests under {blocker / 'out'}:")
    assert "internal error" not in err


def test_render_an_org_absent_at_the_revision_names_the_revision(
    example_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = git.Repo.init(example_repo)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test")
        config.set_value("user", "email", "test@example.com")
    (example_repo / "topologies" / "cooperativa-vale-verde.yaml").rename(
        example_repo / "cooperativa-vale-verde.yaml"
    )
    repo.git.add(A=True)
    repo.index.commit("before the cooperative")
    first = repo.head.commit.hexsha
    (example_repo / "cooperativa-vale-verde.yaml").rename(
        example_repo / "topologies" / "cooperativa-vale-verde.yaml"
    )
    repo.git.add(A=True)
    repo.index.commit("the cooperative arrives")
    argv = ["render", "cooperativa-vale-verde", "--repo", str(example_repo)]
    assert main([*argv, "--rev", first]) == 1
    assert capsys.readouterr().err == (
        f"rdm: no topology at revision {first} for cooperativa-vale-verde "
        "(topologies/cooperativa-vale-verde.yaml)\n"
    )
    assert main(argv) == 0


def test_a_revision_from_before_the_cluster_policy_renders_without_a_way_in(
    example_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = git.Repo.init(example_repo)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test")
        config.set_value("user", "email", "test@example.com")
    (example_repo / "policy" / "cluster.yaml").unlink()
    repo.git.add(A=True)
    repo.index.commit("before policy/cluster.yaml")
    assert main(["render", "grupo-alvorada", "--repo", str(example_repo), "--rev", "HEAD"]) == 0
    kinds = {obj["kind"] for obj in yaml.safe_load_all(capsys.readouterr().out)}
    assert "Deployment" in kinds and "Ingress" not in kinds
