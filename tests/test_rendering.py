"""The renderer: goldens for the example topologies and one test per guarantee."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from rdm.edges.repository import load_repository, topology_manifest_problems
from rdm.edges.sources import WorkTree
from rdm.model import schemas
from rdm.model.policy import ClusterPolicy
from rdm.model.topologies import EnvVar, Topology
from rdm.rendering import manifests as rendering

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "render"
EXAMPLES = sorted(p.stem for p in (ROOT / "topologies").glob("*.yaml"))
WORKLOADS = [
    "protheus-appserver-prod",
    "protheus-appserver-homolog",
    "protheus-dbaccess",
    "protheus-license",
    "protheus-lockserver",
    "protheus-status",
    "protheus-tss",
    "protheus-webservice-prod",
    "protheus-webservice-homolog",
]


def _cluster() -> ClusterPolicy:
    repo = load_repository(WorkTree(ROOT), only=["policy/cluster.yaml"])
    assert repo.cluster is not None, [str(p) for p in repo.problems]
    return repo.cluster


CLUSTER = _cluster()


def example(org: str) -> Topology:
    repo = load_repository(WorkTree(ROOT), only=[f"topologies/{org}.yaml"])
    assert repo.ok, [str(p) for p in repo.problems]
    return repo.topologies[org]


def with_workload(topology: Topology, name: str, **changes: object) -> Topology:
    workloads = tuple(
        dataclasses.replace(w, **changes) if w.name == name else w for w in topology.workloads
    )
    return dataclasses.replace(topology, workloads=workloads)


def objects(manifests: list[rendering.Manifest]) -> dict[tuple[str, str], dict]:
    return {(m.kind, m.name): dict(m.obj) for m in manifests}


def copy_templates(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    shutil.copytree(rendering.TEMPLATE_DIR, folder)
    return folder


# ---------------------------------------------------------------- goldens


@pytest.mark.parametrize("org", EXAMPLES)
def test_golden(org: str, update_golden: bool) -> None:
    text = rendering.stream(rendering.render(example(org), CLUSTER))
    golden = GOLDEN / f"{org}.yaml"
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8", newline="\n")
    assert golden.exists(), f"{golden} is missing; run pytest --update-golden"
    assert text == golden.read_text(encoding="utf-8"), (
        f"rendering of {org} changed; review the diff and run pytest --update-golden"
    )


# ---------------------------------------------------------------- objects


def test_objects_of_a_topology() -> None:
    manifests = rendering.render(example("grupo-alvorada"), CLUSTER)
    kinds = {(m.kind, m.name) for m in manifests}
    assert ("Namespace", "grupo-alvorada") in kinds
    assert ("NetworkPolicy", "rdm-isolate-namespace") in kinds
    for name in WORKLOADS:
        assert {("Deployment", name), ("Service", name), ("ConfigMap", f"{name}-config")} <= kinds
    exposed = ["protheus-status", "protheus-webservice-prod", "protheus-webservice-homolog",
               "protheus-appserver-prod", "protheus-appserver-homolog"]
    assert {("Ingress", "protheus-producao"), ("Ingress", "protheus-homologacao")} <= kinds
    assert {("NetworkPolicy", f"rdm-ingress-{name}") for name in exposed} <= kinds
    assert len(manifests) == 2 + 3 * len(WORKLOADS) + 2 + len(exposed)
    assert not any(m.kind == "Secret" for m in manifests)
    namespace = objects(manifests)[("Namespace", "grupo-alvorada")]
    assert namespace["metadata"]["labels"] == {
        "app.kubernetes.io/managed-by": "rdm",
        "kubernetes.io/metadata.name": "grupo-alvorada",
        "rdm/org-id": "grupo-alvorada",
        "rdm/product": "smart-esocial",
        "rdm/release": "12.1.2410",
    }


def test_update_appserver_only_when_enabled() -> None:
    topology = example("grupo-alvorada")
    assert not any("update" in m.name for m in rendering.render(topology))
    enabled = with_workload(topology, "protheus-appserver-update", enabled=True)
    names = {(m.kind, m.name) for m in rendering.render(enabled)}
    assert ("Deployment", "protheus-appserver-update") in names
    assert ("ConfigMap", "protheus-appserver-update-config") in names


def test_deployment_shape() -> None:
    deployment = objects(rendering.render(example("grupo-alvorada")))[
        ("Deployment", "protheus-appserver-prod")
    ]
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "protheus-appserver-prod",
        "rdm/org-id": "grupo-alvorada",
    }
    pod = deployment["spec"]["template"]
    assert pod["metadata"]["labels"]["app"] == "protheus-appserver-prod"
    container = pod["spec"]["containers"][0]
    assert container["image"] == "registry.saas.local/protheus/appserver:12.1.2410-20261105"
    assert container["resources"] == {
        "requests": {"cpu": "2", "memory": "8Gi"},
        "limits": {"cpu": "4", "memory": "12Gi"},
    }
    assert container["readinessProbe"]["tcpSocket"] == {"port": "tcp"}
    assert container["livenessProbe"]["tcpSocket"] == {"port": "tcp"}
    assert {p["containerPort"] for p in container["ports"]} == {1234, 8080}
    assert {"name": "TZ", "value": "America/Sao_Paulo"} in container["env"]


def test_database_credentials_only_through_secret_key_ref() -> None:
    topology = example("grupo-alvorada")
    found = objects(rendering.render(topology))
    env = found[("Deployment", "protheus-dbaccess")]["spec"]["template"]["spec"]["containers"][0][
        "env"
    ]
    by_name = {e["name"]: e for e in env}
    secret = topology.database.secret_name
    assert by_name[rendering.DB_USER_ENV] == {
        "name": rendering.DB_USER_ENV,
        "valueFrom": {"secretKeyRef": {"name": secret, "key": topology.database.user_key}},
    }
    assert by_name[rendering.DB_PASSWORD_ENV]["valueFrom"]["secretKeyRef"] == {
        "name": secret,
        "key": topology.database.password_key,
    }
    assert all("value" not in e for e in env if "PASSWORD" in e["name"])


def test_config_change_rolls_the_pods() -> None:
    topology = example("grupo-alvorada")

    def hash_of(t: Topology) -> str:
        deployment = objects(rendering.render(t))[("Deployment", "protheus-appserver-prod")]
        return str(deployment["spec"]["template"]["metadata"]["annotations"]["rdm/config-hash"])

    changed = with_workload(
        topology,
        "protheus-appserver-prod",
        config={"general": {"MaxStringSize": "20"}},
    )
    assert hash_of(topology) == hash_of(example("grupo-alvorada"))
    assert hash_of(changed) != hash_of(topology)
    config_map = objects(rendering.render(changed))[("ConfigMap", "protheus-appserver-prod-config")]
    assert "[general]\nMaxStringSize=20\n" in config_map["data"]["appserver.ini"]


def test_topology_config_overrides_defaults_case_insensitively() -> None:
    topology = with_workload(
        example("grupo-alvorada"), "protheus-license", config={"licenseserver": {"port": "6000"}}
    )
    text = objects(rendering.render(topology))[("ConfigMap", "protheus-license-config")]["data"]
    assert text == {"appserver.ini": "[LicenseServer]\nEnable=1\nPort=6000\n"}


def test_waves() -> None:
    manifests = rendering.render(example("grupo-alvorada"), CLUSTER)
    wave_of = {(m.kind, m.name): m.obj["metadata"]["annotations"]["rdm/wave"] for m in manifests}
    assert wave_of[("Namespace", "grupo-alvorada")] == "0"
    assert wave_of[("NetworkPolicy", "rdm-isolate-namespace")] == "0"
    assert wave_of[("ConfigMap", "protheus-tss-config")] == "0"
    assert wave_of[("Deployment", "protheus-license")] == "1"
    assert wave_of[("Service", "protheus-dbaccess")] == "1"
    assert wave_of[("Deployment", "protheus-lockserver")] == "1"
    assert wave_of[("Deployment", "protheus-tss")] == "2"
    assert wave_of[("Deployment", "protheus-appserver-prod")] == "3"
    assert wave_of[("Deployment", "protheus-webservice-homolog")] == "4"
    assert wave_of[("Deployment", "protheus-status")] == "5"
    assert wave_of[("Ingress", "protheus-producao")] == "6"
    assert wave_of[("NetworkPolicy", "rdm-ingress-protheus-status")] == "6"
    groups = rendering.by_wave(manifests)
    assert [wave for wave, _ in groups] == [0, 1, 2, 3, 4, 5, 6]
    assert [m for _, group in groups for m in group] == manifests  # already in apply order
    assert all(str(m.wave) == m.obj["metadata"]["annotations"]["rdm/wave"] for m in manifests)


# ---------------------------------------------------------------- guarantees


def test_deterministic_byte_for_byte() -> None:
    topology = example("hospital-santa-luzia")
    first = rendering.stream(rendering.render(topology))
    # The same data written in another order (keys of env, config, workloads) gives the same bytes.
    reordered = dataclasses.replace(
        topology,
        workloads=tuple(
            dataclasses.replace(
                w,
                config={
                    s: dict(reversed(list(k.items()))) for s, k in reversed(list(w.config.items()))
                },
            )
            for w in reversed(topology.workloads)
        ),
    )
    assert rendering.stream(rendering.render(reordered)) == first
    assert rendering.stream(rendering.render(example("hospital-santa-luzia"))) == first
    assert rendering.stream(rendering.Renderer().render(topology), "json") == rendering.stream(
        rendering.render(topology), "json"
    )


def test_only_own_namespace_and_its_namespace_object() -> None:
    topology = example("grupo-alvorada")
    for manifest in rendering.render(topology):
        if manifest.kind == "Namespace":
            assert manifest.name == topology.org_id
            assert "namespace" not in manifest.obj["metadata"]
        else:
            assert manifest.obj["metadata"]["namespace"] == topology.org_id


def test_a_template_that_sets_another_namespace_is_an_error(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    service = folder / "service.json.j2"
    service.write_text(
        service.read_text().replace(
            '"namespace": {{ namespace | json }}', '"namespace": "kube-system"'
        )
    )
    with pytest.raises(rendering.RenderError) as caught:
        rendering.Renderer(folder).render(example("grupo-alvorada"))
    assert str(caught.value).startswith(
        "grupo-alvorada: template service.json.j2: Service/protheus-"
    )
    assert "namespace 'kube-system' is not the client's namespace 'grupo-alvorada'" in str(
        caught.value
    )


def test_a_template_that_renders_a_cluster_scoped_kind_is_an_error(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    policy = folder / "networkpolicy.json.j2"
    policy.write_text(
        policy.read_text()
        .replace('"networking.k8s.io/v1"', '"rbac.authorization.k8s.io/v1"')
        .replace('"NetworkPolicy"', '"ClusterRole"')
    )
    with pytest.raises(
        rendering.RenderError,
        match=r"ClusterRole/rdm-isolate-namespace: apiVersion "
        r"rbac.authorization.k8s.io/v1 kind ClusterRole may not be rendered",
    ):
        rendering.Renderer(folder).render(example("grupo-alvorada"))


def test_a_second_namespace_object_is_an_error(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    (folder / "namespace.json.j2").write_text(
        '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system", '
        '"annotations": {"rdm/wave": "0"}}}'
    )
    with pytest.raises(
        rendering.RenderError, match="only cluster-scoped object allowed is Namespace/"
    ):
        rendering.Renderer(folder).render(example("grupo-alvorada"))


def test_the_sandbox_refuses_unsafe_template_code(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    (folder / "namespace.json.j2").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(rendering.RenderError, match=r"template namespace\.json\.j2: SecurityError"):
        rendering.Renderer(folder).render(example("grupo-alvorada"))


def test_templates_cannot_reach_files_outside_their_folder(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    (tmp_path / "secret.txt").write_text("s3cr3t")
    (folder / "namespace.json.j2").write_text('{% include "../secret.txt" %}')
    with pytest.raises(rendering.RenderError, match="TemplateNotFound"):
        rendering.Renderer(folder).render(example("grupo-alvorada"))


def test_an_undefined_variable_is_an_error(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    (folder / "service.json.j2").write_text("{{ no_such_value | json }}")
    with pytest.raises(rendering.RenderError, match="UndefinedError"):
        rendering.Renderer(folder).render(example("grupo-alvorada"))


INJECTIONS = [
    "{{ 7*7 }}",
    "{% raw %}x{% endraw %}{{ namespace }}",
    "x\nkind: ClusterRole",
    '", "namespace": "kube-system',
    "x\n---\napiVersion: v1\nkind: Secret",
    "#notacomment: 'x' \"y\" \\ \t tab",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_values_are_data_not_template_code(value: str) -> None:
    topology = example("grupo-alvorada")
    workload = topology.workload("protheus-appserver-prod")
    assert workload is not None
    injected = with_workload(
        topology,
        "protheus-appserver-prod",
        env=(*workload.env, EnvVar("INJECTED", value, None, None)),
    )
    manifests = rendering.render(injected)
    assert len(manifests) == len(rendering.render(topology))
    stream = rendering.stream(manifests)
    parsed = list(yaml.load_all(stream, Loader=yaml.CSafeLoader))
    assert [m.obj for m in manifests] == parsed
    deployment = objects(manifests)[("Deployment", "protheus-appserver-prod")]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "INJECTED", "value": value} in container["env"]
    assert all(m.kind != "Secret" and m.kind != "ClusterRole" for m in manifests)
    assert "49" not in json.dumps(container["env"])


@pytest.mark.parametrize("value", INJECTIONS)
def test_an_injected_image_is_refused_not_rendered(value: str) -> None:
    # An image is a reference, not free text (env values are): refused even when
    # the caller skipped validation.
    topology = with_workload(example("grupo-alvorada"), "protheus-appserver-prod", image=value)
    with pytest.raises(rendering.RenderError) as raised:
        rendering.render(topology)
    assert str(raised.value) == (
        f"grupo-alvorada: workloads.protheus-appserver-prod.image: {value!r} is not an image "
        "reference (registry/path:tag or @sha256:digest) [topology-image]"
    )


def test_a_line_break_in_an_ini_value_is_an_error() -> None:
    topology = with_workload(
        example("grupo-alvorada"),
        "protheus-appserver-prod",
        config={"general": {"MaxStringSize": "10\n[DBAccess]\nServer=evil"}},
    )
    with pytest.raises(rendering.RenderError) as raised:
        rendering.render(topology)
    assert str(raised.value) == (
        "grupo-alvorada: workloads.protheus-appserver-prod.config.general.MaxStringSize: "
        "'10\\n[DBAccess]\\nServer=evil' has a line break (or NUL), which no ini value can hold "
        "[topology-config-value]"
    )


def test_an_env_var_the_renderer_sets_cannot_be_set_again() -> None:
    topology = example("grupo-alvorada")
    workload = topology.workload("protheus-dbaccess")
    assert workload is not None
    twice = with_workload(
        topology,
        "protheus-dbaccess",
        env=(*workload.env, EnvVar(rendering.DB_PASSWORD_ENV, "plain", None, None)),
    )
    with pytest.raises(rendering.RenderError, match="PROTHEUS_DB_PASSWORD is set twice"):
        rendering.render(twice)


@pytest.mark.parametrize("org", EXAMPLES)
def test_every_object_is_valid_against_the_kubernetes_schema(org: str) -> None:
    topology = with_workload(example(org), "protheus-appserver-update", enabled=True)
    manifests = rendering.render(topology, CLUSTER)
    assert {m.kind for m in manifests} >= {"Ingress", "NetworkPolicy", "Deployment"}
    for manifest in manifests:
        assert schemas.kubernetes_errors(manifest.obj, rendering.KUBERNETES_VERSION) == [], str(
            manifest
        )
    assert topology_manifest_problems(topology, f"topologies/{org}.yaml", cluster=CLUSTER) == []


def test_the_schema_check_is_strict() -> None:
    manifest = rendering.render(example("grupo-alvorada"))[-1]
    spec = dict(manifest.obj["spec"])
    spec["replica"] = 2  # a typo: strict mode refuses unknown fields
    broken = dataclasses.replace(manifest, obj={**manifest.obj, "spec": spec})
    errors = schemas.kubernetes_errors(broken.obj, rendering.KUBERNETES_VERSION)
    assert len(errors) == 1
    assert "replica" in errors[0]


# ---------------------------------------------------------------- the YAML writer

scalars = st.one_of(
    st.text(),
    st.integers(),
    st.booleans(),
    st.none(),
    st.sampled_from(
        [
            "yes",
            "No",
            "on",
            "null",
            "~",
            "1.0",
            "0x1F",
            "8Gi",
            "500m",
            "1e3",
            "12.1.2410",
            "a: b",
            "- x",
            "x #y",
            "[x]",
            "{x}",
            "*a",
            "&a",
            "!t",
            "%x",
            "@x",
            "`x",
            "a\n",
            "a\n\n",
            " a\n",
            "\u2028",
            "\x85",
            "",
            " ",
            "-",
            "?",
            ":",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=1000, deadline=None)
@given(st.dictionaries(st.text(), values, max_size=5))
def test_yaml_writer_round_trips(obj: dict) -> None:
    text = rendering.to_yaml(obj)
    assert yaml.load(text, Loader=yaml.CSafeLoader) == obj
    assert yaml.safe_load(text) == obj  # the pure-Python reader agrees


def test_file_names_sort_in_apply_order() -> None:
    manifests = rendering.render(example("grupo-alvorada"))
    names = [name for name, _ in rendering.files(manifests)]
    assert names == sorted(names)
    assert names[0] == "00-namespace-grupo-alvorada.yaml"
    assert names[-1] == "28-deployment-protheus-status.yaml"


# ---------------------------------------------------------------- the way in


def _ingress(manifests: list[rendering.Manifest], environment: str) -> dict:
    return objects(manifests)[("Ingress", f"protheus-{environment}")]


def _paths(ingress: dict) -> list[tuple[str, str, str]]:
    (rule,) = ingress["spec"]["rules"]
    return [
        (p["path"], p["backend"]["service"]["name"], p["backend"]["service"]["port"]["name"])
        for p in rule["http"]["paths"]
    ]


def test_an_ingress_per_environment_with_tls_on_the_default_hosts() -> None:
    manifests = rendering.render(example("grupo-alvorada"), CLUSTER)
    producao = _ingress(manifests, "producao")
    assert producao["metadata"]["annotations"] == {
        "cert-manager.io/cluster-issuer": "letsencrypt-prod",
        "rdm/wave": "6",
    }
    assert producao["spec"]["ingressClassName"] == "nginx"
    assert producao["spec"]["tls"] == [
        {
            "hosts": ["grupo-alvorada.protheus.saas.com.br"],
            "secretName": "grupo-alvorada-producao-tls",
        }
    ]
    assert producao["spec"]["rules"][0]["host"] == "grupo-alvorada.protheus.saas.com.br"
    assert _paths(producao) == [
        ("/status", "protheus-status", "http"),
        ("/rest", "protheus-webservice-prod", "http"),
        ("/", "protheus-appserver-prod", "http"),
    ]
    homologacao = _ingress(manifests, "homologacao")
    assert homologacao["spec"]["rules"][0]["host"] == "grupo-alvorada-homolog.protheus.saas.com.br"
    assert homologacao["spec"]["tls"][0]["secretName"] == "grupo-alvorada-homologacao-tls"
    assert _paths(homologacao)[1:] == [
        ("/rest", "protheus-webservice-homolog", "http"),
        ("/", "protheus-appserver-homolog", "http"),
    ]


def test_own_hosts_and_a_product_without_web_app() -> None:
    metalurgica = rendering.render(example("metalurgica-sao-jorge"), CLUSTER)
    assert _ingress(metalurgica, "producao")["spec"]["rules"][0]["host"] == (
        "erp.metalurgicasaojorge.com.br"
    )
    assert _ingress(metalurgica, "homologacao")["spec"]["tls"][0]["hosts"] == [
        "erp-homolog.metalurgicasaojorge.com.br"
    ]
    # Smart Fiscal is used through the ERP's webservice calls: no appserver web app.
    fiscal = rendering.render(example("cooperativa-vale-verde"), CLUSTER)
    assert _paths(_ingress(fiscal, "producao")) == [
        ("/status", "protheus-status", "http"),
        ("/rest", "protheus-webservice-prod", "http"),
    ]
    assert ("NetworkPolicy", "rdm-ingress-protheus-appserver-prod") not in objects(fiscal)


def test_the_ingress_controller_reaches_only_the_published_ports() -> None:
    found = objects(rendering.render(example("grupo-alvorada"), CLUSTER))
    policy = found[("NetworkPolicy", "rdm-ingress-protheus-webservice-prod")]
    assert policy["spec"] == {
        "podSelector": {
            "matchLabels": {
                "app.kubernetes.io/name": "protheus-webservice-prod",
                "rdm/org-id": "grupo-alvorada",
            }
        },
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [
                    {"namespaceSelector": {"matchLabels": {
                        "kubernetes.io/metadata.name": "ingress-nginx"}}}
                ],
                "ports": [{"protocol": "TCP", "port": 8080}],
            }
        ],
    }
    # Nothing else from outside the namespace: every other peer is the namespace's own pods.
    for (kind, name), obj in found.items():
        if kind != "NetworkPolicy":
            continue
        for rule in obj["spec"]["ingress"]:
            for peer in rule["from"]:
                assert peer == {"podSelector": {}} or (
                    name.startswith("rdm-ingress-") and "namespaceSelector" in peer
                    and rule["ports"] == [{"protocol": "TCP", "port": 8080}]
                )
    # The appserver's tcp port (1234, the SmartClient desktop protocol) is never published.
    appserver = found[("NetworkPolicy", "rdm-ingress-protheus-appserver-prod")]
    assert appserver["spec"]["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 8080}]


def test_a_disabled_workload_is_not_published() -> None:
    topology = with_workload(
        example("grupo-alvorada"), "protheus-webservice-homolog", enabled=False
    )
    manifests = rendering.render(topology, CLUSTER)
    assert [p for p, _, _ in _paths(_ingress(manifests, "homologacao"))] == ["/status", "/"]
    assert ("NetworkPolicy", "rdm-ingress-protheus-webservice-homolog") not in objects(manifests)


def test_without_the_cluster_policy_there_is_no_way_in() -> None:
    kinds = {m.kind for m in rendering.render(example("grupo-alvorada"))}
    assert "Ingress" not in kinds


def test_a_network_policy_that_admits_more_is_an_error(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    template = folder / "networkpolicy-ingress.json.j2"
    template.write_text(
        template.read_text().replace(
            '"from": [{"namespaceSelector"',
            '"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}, {"namespaceSelector"'
        )
    )
    with pytest.raises(rendering.RenderError) as caught:
        rendering.Renderer(folder).render(example("grupo-alvorada"), CLUSTER)
    assert str(caught.value) == (
        "grupo-alvorada: template networkpolicy-ingress.json.j2: "
        "NetworkPolicy/rdm-ingress-protheus-appserver-homolog: admits "
        '{"ipBlock": {"cidr": "0.0.0.0/0"}}; only the namespace\'s own pods, and the ingress '
        "controller's namespace on given ports, may be admitted"
    )


def test_an_ingress_for_another_host_is_an_error(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    template = folder / "ingress.json.j2"
    template.write_text(
        template.read_text().replace(
            '"host": {{ host | json }}', '"host": "erp.outro-cliente.com.br"'
        )
    )
    with pytest.raises(rendering.RenderError, match="may serve only the client's own hosts"):
        rendering.Renderer(folder).render(example("grupo-alvorada"), CLUSTER)


def test_an_ingress_path_to_a_service_not_rendered_is_an_error() -> None:
    topology = with_workload(example("grupo-alvorada"), "protheus-status", enabled=True)
    manifests = rendering.render(topology, CLUSTER)
    assert manifests  # the real one renders; now a path that leads nowhere:
    ingress = objects(manifests)[("Ingress", "protheus-producao")]
    ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] = "kube-dns"
    broken = rendering.Manifest("grupo-alvorada", "ingress.json.j2", 6, ingress)
    with pytest.raises(rendering.RenderError, match="leads to Service/kube-dns"):
        rendering._check_backends("grupo-alvorada", broken, {"protheus-status"})


def test_the_schema_check_covers_the_ingress() -> None:
    manifests = rendering.render(example("grupo-alvorada"), CLUSTER)
    ingress = objects(manifests)[("Ingress", "protheus-producao")]
    ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"] = {"nome": "x"}
    ingress["spec"]["tls"][0]["secret"] = "x"
    errors = schemas.kubernetes_errors(ingress, rendering.KUBERNETES_VERSION)
    assert len(errors) == 2
    assert any("'nome' was unexpected" in e for e in errors)
    assert any("'secret' was unexpected" in e for e in errors)


def test_the_applier_owns_every_kind_the_renderer_makes() -> None:
    # What is rendered is snapshotted, pruned and checked for drift: an Ingress a
    # change adds must go away with its rollback.
    from rdm.model import kube

    assert set(rendering.KINDS) <= set(kube.OWNED_KINDS)
    assert all(kind in kube.RESOURCES for kind in rendering.KINDS)
