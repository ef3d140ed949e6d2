"""`rdm monitors`: the declared monitors against UptimeRobot (decisions, edge, command)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytest_httpserver import HTTPServer

from conftest import ROOT, Sleeps
from rdm.decisions import monitors
from rdm.decisions.monitors import Existing, State
from rdm.edges import uptimerobot
from rdm.edges.repository import Repository
from rdm.edges.uptimerobot import UptimeRobotClient, UptimeRobotError
from rdm.model.problems import UsageError
from uptimerobot_fake import API_KEY, RESET, FakeUptimeRobot, monitor

Run = Callable[..., tuple[int, str, str]]


# Clients that publish on their own domain (`hosts` in the topology); the others
# get policy/cluster.yaml's default hosts.
OWN_HOSTS = {
    "metalurgica-sao-jorge": {
        "producao": "erp.metalurgicasaojorge.com.br",
        "homologacao": "erp-homolog.metalurgicasaojorge.com.br",
    }
}


def url(org: str, env: str) -> str:
    default = f"{org}.protheus.saas.com.br" if env == "producao" else (
        f"{org}-homolog.protheus.saas.com.br"
    )
    return f"https://{OWN_HOSTS.get(org, {}).get(env, default)}/status"


# The account the on-call analyst finds on a bad morning.
ACCOUNT = [
    monitor(101, "grupo-alvorada-producao", url("grupo-alvorada", "producao")),
    monitor(102, "grupo-alvorada-teste", "https://teste.grupo-alvorada.com.br"),
    monitor(103, "hospital-santa-luzia-producao", url("hospital-santa-luzia", "producao"), 0),
    monitor(104, "hospital-santa-luzia-homologacao", "https://hsl-old.saas.com.br/status"),
    monitor(105, "metalurgica-sao-jorge-producao", url("metalurgica-sao-jorge", "producao"), 9),
    monitor(
        106, "metalurgica-sao-jorge-homologacao", url("metalurgica-sao-jorge", "homologacao"), 8
    ),
    monitor(107, "cooperativa-vale-verde-producao", url("cooperativa-vale-verde", "producao")),
    monitor(
        108, "cooperativa-vale-verde-homologacao", url("cooperativa-vale-verde", "homologacao"), 1
    ),
    monitor(109, "site-institucional", "https://www.saas.com.br"),
]
REPORT = """\
cooperativa-vale-verde-producao     up               no ar
cooperativa-vale-verde-homologacao  not-checked-yet  ainda não verificado
grupo-alvorada-producao             up               no ar
grupo-alvorada-homologacao          missing          não existe no UptimeRobot (--sync o cria)
grupo-alvorada-teste                extra            não declarado em topologies/grupo-alvorada.yaml
hospital-santa-luzia-producao       paused           pausado: ninguém é avisado quando cair
hospital-santa-luzia-homologacao    other-url        verifica https://hsl-old.saas.com.br/status; \
a topologia diz https://hospital-santa-luzia-homolog.protheus.saas.com.br/status
metalurgica-sao-jorge-producao      down             fora do ar
metalurgica-sao-jorge-homologacao   down             parece fora do ar
8 monitor(es) declarado(s) em 4 topologia(s): 2 up, 1 not-checked-yet, 1 missing, 1 extra, \
1 paused, 2 down, 1 other-url
"""


@pytest.fixture
def account(httpserver: HTTPServer) -> FakeUptimeRobot:
    return FakeUptimeRobot(httpserver, monitors=[dict(m) for m in ACCOUNT])


@pytest.fixture
def env(account: FakeUptimeRobot, monkeypatch: pytest.MonkeyPatch) -> FakeUptimeRobot:
    monkeypatch.setenv("RDM_UPTIMEROBOT_API_KEY", API_KEY)
    monkeypatch.setenv("RDM_UPTIMEROBOT_API_URL", account.api_url)
    return account


def client(account: FakeUptimeRobot, sleeps: Sleeps, **kwargs: object) -> UptimeRobotClient:
    return UptimeRobotClient(
        API_KEY,
        account.api_url,
        sleep=sleeps,
        clock=lambda: RESET - 10.0,
        **kwargs,  # type: ignore[arg-type]
    )


# ----------------------------------------------------------------- decisions


def test_compare_names_every_state(example: Repository) -> None:
    existing = [uptimerobot._existing(m) for m in ACCOUNT]
    topologies = [example.topologies[o] for o in sorted(example.topologies)]
    findings = monitors.compare(topologies, existing, example.topology_ids)
    assert [(f.name, f.state) for f in findings] == [
        ("cooperativa-vale-verde-producao", State.UP),
        ("cooperativa-vale-verde-homologacao", State.NOT_CHECKED_YET),
        ("grupo-alvorada-producao", State.UP),
        ("grupo-alvorada-homologacao", State.MISSING),
        ("grupo-alvorada-teste", State.EXTRA),
        ("hospital-santa-luzia-producao", State.PAUSED),
        ("hospital-santa-luzia-homologacao", State.OTHER_URL),
        ("metalurgica-sao-jorge-producao", State.DOWN),
        ("metalurgica-sao-jorge-homologacao", State.DOWN),
    ]


def test_an_extra_belongs_to_the_longest_org_id(example: Repository) -> None:
    org_ids = {"grupo", "grupo-alvorada"}
    assert monitors.owner("grupo-alvorada-teste", org_ids) == "grupo-alvorada"
    assert monitors.owner("grupo-teste", org_ids) == "grupo"
    assert monitors.owner("grupoalvorada-producao", org_ids) is None
    topology = example.topologies["grupo-alvorada"]
    findings = monitors.compare(
        [topology],
        [
            Existing(1, "grupo-alvorada-teste", "https://x", 1, 2),
            Existing(2, "grupo-x", "https://y", 1, 2),
        ],
        {"grupo", "grupo-alvorada"},
    )
    assert [(f.name, f.state) for f in findings if f.state is State.EXTRA] == [
        ("grupo-alvorada-teste", State.EXTRA)
    ]


class CountingIds(list[str]):
    """Org ids that count how often they are read whole (iterated or searched)."""

    reads = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        CountingIds.reads += 1
        return super().__iter__()

    def __contains__(self, item: object) -> bool:
        CountingIds.reads += 1
        return super().__contains__(item)


def test_compare_reads_the_org_ids_a_fixed_number_of_times(example: Repository) -> None:
    # Each monitor's owner used to be searched among every org id, once per topology:
    # topologies x monitors x org ids (500 clients took three minutes). The org ids are
    # now read once, whatever the number of clients and monitors.
    topology = example.topologies["grupo-alvorada"]
    existing = [Existing(n, f"cliente-{n:04d}-producao", "https://x", 1, 2) for n in range(300)]
    ids = CountingIds([f"cliente-{n:04d}" for n in range(300)] + ["grupo-alvorada"])
    CountingIds.reads = 0
    findings = monitors.compare([topology] * 5, existing, ids)
    assert CountingIds.reads <= 1
    assert {f.state for f in findings} == {State.MISSING}


def test_one_monitor_can_need_several_things(example: Repository) -> None:
    topology = example.topologies["grupo-alvorada"]
    name, declared = "grupo-alvorada-producao", url("grupo-alvorada", "producao")
    existing = [
        Existing(1, name, "https://elsewhere/status", 3, 0),
        Existing(2, name, declared, 1, 2),
    ]
    findings = [
        f for f in monitors.compare([topology], existing, {"grupo-alvorada"}) if f.name == name
    ]
    assert [(f.state, f.monitor_id, f.message) for f in findings] == [
        (State.DUPLICATE, None, "2 monitores têm este nome (ids 1, 2); mantenha um só"),
        (State.OTHER_TYPE, 1, "tipo 3, não é um monitor HTTP(s) (tipo 1)"),
        (State.OTHER_URL, 1, f"verifica https://elsewhere/status; a topologia diz {declared}"),
        (State.PAUSED, 1, "pausado: ninguém é avisado quando cair"),
        (State.UP, 2, "no ar"),
    ]


# ----------------------------------------------------------------- the edge


def test_every_page_is_read(account: FakeUptimeRobot, sleeps: Sleeps) -> None:
    account.monitors = [monitor(i, f"m-{i}", f"https://m{i}.example.com") for i in range(1, 121)]
    found = client(account, sleeps).monitors()
    assert [m.id for m in found] == list(range(1, 121))
    assert [(c[0], c[1]["offset"], c[1]["limit"]) for c in account.calls] == [
        ("getMonitors", "0", "50"),
        ("getMonitors", "50", "50"),
        ("getMonitors", "100", "50"),
    ]
    assert all(c[1]["api_key"] == API_KEY and c[1]["format"] == "json" for c in account.calls)


def test_a_rate_limit_is_waited_out(account: FakeUptimeRobot, sleeps: Sleeps) -> None:
    account.rate_limited = 1
    assert len(client(account, sleeps).monitors()) == len(ACCOUNT)
    assert sleeps == [20.0]
    assert len(account.calls) == 2


def test_a_rate_limit_without_retry_after_waits_for_the_reset(
    account: FakeUptimeRobot, sleeps: Sleeps
) -> None:
    account.rate_limited, account.retry_after = 1, None
    client(account, sleeps).monitors()
    assert sleeps == [11.0]  # the clock is 10 s before X-RateLimit-Reset, plus one


@pytest.mark.parametrize("huge", ["99999999999999999999", "9" * 400])
def test_a_huge_retry_after_fails_at_once(
    account: FakeUptimeRobot, sleeps: Sleeps, huge: str
) -> None:
    account.rate_limited, account.retry_after = 5, huge
    with pytest.raises(uptimerobot.RateLimited) as raised:
        client(account, sleeps).monitors()
    assert "(esperas de mais de 60 s não são feitas)" in str(raised.value)
    assert sleeps == [] and len(account.calls) == 1


def test_a_long_rate_limit_fails_at_once(account: FakeUptimeRobot, sleeps: Sleeps) -> None:
    account.rate_limited, account.retry_after = 5, "600"
    with pytest.raises(uptimerobot.RateLimited) as raised:
        client(account, sleeps).monitors()
    assert str(raised.value) == (
        "getMonitors: limite de requisições do UptimeRobot atingido; tente de novo em 600 s "
        "(esperas de mais de 60 s não são feitas)"
    )
    assert sleeps == [] and len(account.calls) == 1


def test_no_call_left_waits_before_the_next(account: FakeUptimeRobot, sleeps: Sleeps) -> None:
    account.monitors = [monitor(i, f"m-{i}", f"https://m{i}.example.com") for i in range(1, 61)]
    account.exhausted_after = 0  # the first answer already says 0 remaining
    client(account, sleeps).monitors()
    assert sleeps == [11.0]
    assert len(account.calls) == 2


def test_server_errors_are_retried(account: FakeUptimeRobot, sleeps: Sleeps) -> None:
    account.failures = 2
    assert len(client(account, sleeps).monitors()) == len(ACCOUNT)
    assert sleeps == [1.0, 2.0]
    account.failures = 4
    with pytest.raises(UptimeRobotError) as raised:
        client(account, sleeps).monitors()
    assert str(raised.value) == (
        "getMonitors: o UptimeRobot respondeu 502 4 vezes: <html>502 Bad Gateway</html>"
    )


def test_a_refused_key_is_named_but_never_shown(account: FakeUptimeRobot, sleeps: Sleeps) -> None:
    wrong = "u999-" + "f" * 24
    with pytest.raises(UptimeRobotError) as raised:
        UptimeRobotClient(wrong, account.api_url, sleep=sleeps).monitors()
    assert str(raised.value) == (
        "getMonitors: o UptimeRobot recusou: invalid_parameter (api_key): api_key is invalid."
    )
    assert wrong not in str(raised.value)


def test_new_monitor(account: FakeUptimeRobot, sleeps: Sleeps) -> None:
    created = client(account, sleeps).new_monitor("acme-producao", "https://acme/status")
    assert created == 800_000_001
    assert account.calls[-1][1] == {
        "api_key": API_KEY,
        "format": "json",
        "friendly_name": "acme-producao",
        "url": "https://acme/status",
        "type": "1",
    }
    with pytest.raises(UptimeRobotError) as raised:
        client(account, sleeps).new_monitor("acme-producao", "https://acme/status")
    assert (
        str(raised.value)
        == "newMonitor: o UptimeRobot recusou: already_exists: Monitor already exists."
    )


@pytest.mark.parametrize(
    "answer",
    [
        "not json",
        '["a list"]',
        '{"stat": "ok"}',
        '{"stat": "ok", "monitors": [{"id": "x"}]}',
        '{"stat": "fail"}',
    ],
)
def test_hostile_answers_are_outside_failures(httpserver: HTTPServer, answer: str) -> None:
    httpserver.expect_request("/v2/getMonitors", method="POST").respond_with_data(answer)
    with pytest.raises(UptimeRobotError):
        UptimeRobotClient(API_KEY, httpserver.url_for("/v2")).monitors()


def test_a_redirect_is_not_followed_with_the_key(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v2/getMonitors", method="POST").respond_with_data(
        "", status=307, headers={"Location": "https://attacker.example/v2/getMonitors"}
    )
    with pytest.raises(UptimeRobotError) as raised:
        UptimeRobotClient(API_KEY, httpserver.url_for("/v2")).monitors()
    assert str(raised.value) == (
        "getMonitors: o UptimeRobot redirecionou (307) para "
        "https://attacker.example/v2/getMonitors; a chave da API não é enviada para lá "
        "(defina RDM_UPTIMEROBOT_API_URL com a URL final)"
    )
    assert len(httpserver.log) == 1


def test_pagination_that_lies_is_an_outside_failure(httpserver: HTTPServer) -> None:
    # An empty page that claims a billion monitors is not "no monitors": --sync would
    # then create every declared monitor again.
    httpserver.expect_request("/v2/getMonitors", method="POST").respond_with_json(
        {"stat": "ok", "pagination": {"offset": 0, "limit": 50, "total": 10**9}, "monitors": []}
    )
    with pytest.raises(UptimeRobotError) as raised:
        UptimeRobotClient(API_KEY, httpserver.url_for("/v2"), sleep=lambda _s: None).monitors()
    assert str(raised.value) == (
        "getMonitors: a conta mudou durante a leitura 3 vezes seguidas (o UptimeRobot "
        "informou 1000000000 monitores, as páginas trouxeram 0); nada foi comparado"
    )
    assert len(httpserver.log) == 3


def _many(count: int) -> list[dict[str, object]]:
    return [monitor(i, f"m-{i}", f"https://m{i}.example.com") for i in range(1, count + 1)]


def test_a_monitor_deleted_between_pages_is_not_taken_for_missing(
    account: FakeUptimeRobot, sleeps: Sleeps
) -> None:
    # Someone deletes monitor 1 while page 1 is read: page 2, at offset 50, starts
    # at monitor 52, and monitor 51 would be skipped (then "missing", then created
    # twice by --sync). The listing is read again instead.
    account.monitors = _many(60)

    def delete_the_first_once(fake: FakeUptimeRobot) -> None:
        if fake.monitors[0]["id"] == 1:
            del fake.monitors[0]

    account.between_pages = delete_the_first_once
    notes: list[str] = []
    found = client(account, sleeps, notify=notes.append).monitors()
    assert [m.id for m in found] == list(range(2, 61))
    assert [c[1]["offset"] for c in account.calls] == ["0", "50", "0", "50"]
    assert notes == ["getMonitors: a conta mudou durante a leitura; lendo de novo"]


def test_a_monitor_added_between_pages_is_not_listed_twice(
    account: FakeUptimeRobot, sleeps: Sleeps
) -> None:
    account.monitors = _many(60)

    def add_one_at_the_front_once(fake: FakeUptimeRobot) -> None:
        if fake.monitors[0]["id"] == 1:
            fake.monitors.insert(0, monitor(999, "m-999", "https://m999.example.com"))

    account.between_pages = add_one_at_the_front_once
    found = client(account, sleeps).monitors()
    assert sorted(m.id for m in found) == [*range(1, 61), 999]
    assert len(found) == 61  # monitor 50 was on both page 1 and page 2 of the first read


def test_an_account_that_keeps_changing_is_an_outside_failure(
    account: FakeUptimeRobot, sleeps: Sleeps
) -> None:
    account.monitors = _many(60)
    counter = iter(range(1000, 2000))

    def add_one(fake: FakeUptimeRobot) -> None:
        n = next(counter)
        fake.monitors.insert(0, monitor(n, f"m-{n}", f"https://m{n}.example.com"))

    account.between_pages = add_one
    with pytest.raises(UptimeRobotError) as raised:
        client(account, sleeps).monitors()
    assert str(raised.value).startswith(
        "getMonitors: a conta mudou durante a leitura 3 vezes seguidas"
    )


def test_the_same_monitor_twice_in_one_listing_is_read_again(httpserver: HTTPServer) -> None:
    same = monitor(7, "grupo-alvorada-producao", url("grupo-alvorada", "producao"))
    httpserver.expect_request("/v2/getMonitors", method="POST").respond_with_json(
        {
            "stat": "ok",
            "pagination": {"offset": 0, "limit": 50, "total": 1},
            "monitors": [same, same],
        }
    )
    with pytest.raises(UptimeRobotError):
        UptimeRobotClient(API_KEY, httpserver.url_for("/v2"), sleep=lambda _s: None).monitors()


@pytest.mark.parametrize("header", ["Retry-After", "X-RateLimit-Reset"])
@pytest.mark.parametrize("value", ["\u00b2", "\u00b3", "1e3", "-5", " 20 x"])
def test_rate_limit_headers_that_are_not_ascii_digits(
    account: FakeUptimeRobot, sleeps: Sleeps, header: str, value: str
) -> None:
    # '²'.isdigit() is True and float('²') raises: such a header must not crash rdm.
    account.rate_limited, account.retry_after = 1, None
    original = account._answer

    def hostile(body: dict[str, object], status: int = 200, **headers: str) -> object:
        headers[header] = value
        return original(body, status, **headers)

    account._answer = hostile  # type: ignore[method-assign]
    assert len(client(account, sleeps).monitors()) == len(ACCOUNT)
    # An unreadable Retry-After falls back to X-RateLimit-Reset (10 s ahead, plus one);
    # an unreadable reset falls back to the free plan's minute.
    assert sleeps == ([11.0] if header == "Retry-After" else [60.0])


@pytest.mark.parametrize(
    ("api_url", "ok"),
    [
        ("https://api.uptimerobot.com/v2", True),
        ("http://127.0.0.1:8080/v2", True),
        ("http://localhost/v2", True),
        ("http://api.uptimerobot.com/v2", False),
        ("ftp://api.uptimerobot.com/v2", False),
        ("https:///v2", False),
    ],
)
def test_the_key_goes_only_over_https_or_to_loopback(api_url: str, ok: bool) -> None:
    environment = {"RDM_UPTIMEROBOT_API_KEY": API_KEY, "RDM_UPTIMEROBOT_API_URL": api_url}
    if ok:
        assert UptimeRobotClient.from_env(environment).api_url == api_url
    else:
        with pytest.raises(UsageError):
            UptimeRobotClient.from_env(environment)


def test_the_default_api_url() -> None:
    found = UptimeRobotClient.from_env({"RDM_UPTIMEROBOT_API_KEY": API_KEY})
    assert found.api_url == "https://api.uptimerobot.com/v2"
    assert API_KEY not in repr(found)


# ----------------------------------------------------------------- the command


def test_the_report(run_rdm: Run, env: FakeUptimeRobot) -> None:
    assert run_rdm("monitors", "--repo", str(ROOT)) == (1, REPORT, "")
    # the README shows this run
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"$ rdm monitors\n{REPORT}$ rdm monitors grupo-alvorada --sync\n" in readme
    assert {host for _, _, host in env.calls} == {f"localhost:{env.server.port}"}


def test_only_the_clients_asked_for(run_rdm: Run, env: FakeUptimeRobot) -> None:
    code, out, _ = run_rdm("monitors", "cooperativa-vale-verde", "--repo", str(ROOT))
    assert code == 0
    assert out.splitlines()[-1] == (
        "2 monitor(es) declarado(s) em 1 topologia(s): 1 up, 1 not-checked-yet"
    )


def test_sync_creates_the_missing_and_touches_nothing_else(
    run_rdm: Run, env: FakeUptimeRobot
) -> None:
    before = [dict(m) for m in env.monitors]
    code, out, _ = run_rdm("monitors", "grupo-alvorada", "--sync", "--repo", str(ROOT))
    assert code == 1  # the extra monitor is still there: --sync never deletes
    assert out.splitlines() == [
        "grupo-alvorada-producao     up       no ar",
        "grupo-alvorada-homologacao  created  criado (id 800000001), verificando "
        "https://grupo-alvorada-homolog.protheus.saas.com.br/status",
        "grupo-alvorada-teste        extra    não declarado em topologies/grupo-alvorada.yaml",
        "2 monitor(es) declarado(s) em 1 topologia(s): 1 up, 1 created, 1 extra",
    ]
    assert env.monitors[: len(before)] == before
    assert env.monitors[-1]["friendly_name"] == "grupo-alvorada-homologacao"
    assert [c[0] for c in env.calls] == ["getMonitors", "newMonitor"]
    code, out, _ = run_rdm("monitors", "grupo-alvorada", "--repo", str(ROOT))
    assert "grupo-alvorada-homologacao  not-checked-yet" in out


def test_json(run_rdm: Run, env: FakeUptimeRobot) -> None:
    import json

    code, out, _ = run_rdm(
        "monitors", "hospital-santa-luzia", "--format", "json", "--repo", str(ROOT)
    )
    assert code == 1
    assert json.loads(out)["monitors"][0] == {
        "orgId": "hospital-santa-luzia",
        "name": "hospital-santa-luzia-producao",
        "state": "paused",
        "message": "pausado: ninguém é avisado quando cair",
        "url": "https://hospital-santa-luzia.protheus.saas.com.br/status",
        "id": 103,
    }


def test_hostile_names_stay_on_one_line(run_rdm: Run, env: FakeUptimeRobot) -> None:
    env.monitors.append(monitor(110, "grupo-alvorada-x\nforged line", "https://x\tY"))
    _, out, _ = run_rdm("monitors", "grupo-alvorada", "--repo", str(ROOT))
    assert "grupo-alvorada-x\\nforged line  extra" in out
    assert "\nforged" not in out


@pytest.mark.parametrize(
    ("argv", "environment", "code", "err"),
    [
        (
            ["padaria-do-ze"],
            {"RDM_UPTIMEROBOT_API_KEY": API_KEY},
            2,
            "rdm: usage: sem topologia para padaria-do-ze (topologies/<org-id>.yaml)\n",
        ),
        (
            [],
            {},
            2,
            "rdm: usage: defina RDM_UPTIMEROBOT_API_KEY com a chave da API do UptimeRobot "
            "(My Settings -> API Settings; sem --sync basta uma chave somente leitura)\n",
        ),
        (
            [],
            {"RDM_UPTIMEROBOT_API_KEY": API_KEY, "RDM_UPTIMEROBOT_API_URL": "http://10.0.0.9/v2"},
            2,
            "rdm: usage: RDM_UPTIMEROBOT_API_URL deve ser uma URL https:// (http:// só para um "
            "endereço de loopback), não http://10.0.0.9: a chave da API trafegaria sem "
            "criptografia\n",
        ),
    ],
)
def test_usage_errors(
    run_rdm: Run,
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    environment: dict[str, str],
    code: int,
    err: str,
) -> None:
    monkeypatch.delenv("RDM_UPTIMEROBOT_API_KEY", raising=False)
    monkeypatch.delenv("RDM_UPTIMEROBOT_API_URL", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert run_rdm("monitors", *argv, "--repo", str(ROOT)) == (code, "", err)


def test_uptimerobot_down_is_exit_3(
    run_rdm: Run, env: FakeUptimeRobot, monkeypatch: pytest.MonkeyPatch
) -> None:
    env.rate_limited, env.retry_after = 1, "3600"
    code, out, err = run_rdm("monitors", "--repo", str(ROOT))
    assert (code, out) == (3, "")
    assert err == (
        "rdm: getMonitors: limite de requisições do UptimeRobot atingido; tente de novo em "
        "3600 s (esperas de mais de 60 s não são feitas)\n"
    )
    assert API_KEY not in err


def test_terminal_escapes_in_monitor_names_are_shown_not_obeyed(
    run_rdm: Run, env: FakeUptimeRobot
) -> None:
    env.monitors.append(monitor(111, "grupo-alvorada-\x1b[2J\u202ex", "https://x\x07"))
    _, out, _ = run_rdm("monitors", "grupo-alvorada", "--repo", str(ROOT))
    assert not any(c in out for c in "\x1b\x07\u202e")
    assert "grupo-alvorada-\\x1b[2J\\u202ex" in out


def test_the_key_is_not_shown_even_as_the_server_echoes_it_encoded(
    httpserver: HTTPServer,
) -> None:
    # A proxy that echoes the form it got puts the key in its error page the way it
    # travelled: percent-encoded.
    from werkzeug import Request, Response

    key = "u77-a+b/c=d e"

    def echo(request: Request) -> Response:
        return Response(f"bad request: {request.get_data(as_text=True)}", status=400)

    httpserver.expect_request("/v2/getMonitors", method="POST").respond_with_handler(echo)
    with pytest.raises(UptimeRobotError) as raised:
        UptimeRobotClient(key, httpserver.url_for("/v2")).monitors()
    message = str(raised.value)
    assert "api_key=***" in message
    assert "a%2Bb" not in message and "a+b" not in message


def test_a_renamed_monitor_is_not_missing_and_not_created_again(
    run_rdm: Run, env: FakeUptimeRobot
) -> None:
    # Someone renamed grupo-alvorada-producao in the web page: by name it is missing,
    # and --sync asked UptimeRobot for a second monitor of the same URL (refused:
    # exit 3, and the monitors after it never created).
    for item in env.monitors:
        if item["friendly_name"] == "grupo-alvorada-producao":
            item["friendly_name"] = "Grupo Alvorada (produção)"
    code, out, err = run_rdm("monitors", "grupo-alvorada", "--sync", "--repo", str(ROOT))
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert lines[0] == (
        "grupo-alvorada-producao     other-name  existe como 'Grupo Alvorada (produção)' "
        "(id 101), verificando esta URL; renomeie-o para grupo-alvorada-producao"
    )
    assert lines[1].startswith("grupo-alvorada-homologacao  created ")
    assert [c[0] for c in env.calls] == ["getMonitors", "newMonitor"]
    assert env.calls[1][1]["friendly_name"] == "grupo-alvorada-homologacao"
