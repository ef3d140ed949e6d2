"""No value from the repository can start a GitHub workflow command (issue 8, item 9).

Under `GITHUB_ACTIONS=true` every command runs on a repository full of values
built to start one (`::error …`, `::add-mask::`, `::stop-commands::`, `##[…]`,
after whitespace, after `\\r`, U+2028 and the other line breaks); no line rdm
prints, on stdout or stderr, may start one, except the findings that
`rdm validate --format github` means to emit, escaped by GitHub's rules. Data
outputs (manifests, JSON, iCalendar) stay exactly what they are without Actions.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import git
import icalendar
import pytest
import yaml

from github_fake import SLUG, FakeGitHub
from rdm.commands.output import GuardedStream, neutralize
from rdm.model.problems import Level, Problem, visible
from rdm.reports import reporting

Run = Callable[..., tuple[int, str, str]]
ROOT = Path(__file__).resolve().parents[1]
# Everything the runner reads as a line start, everything that ends a line for someone.
BREAKS = ["\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
HOSTILE = (
    "Véspera\r::warning::forjado\u2028::error file=x::y\n  ::add-mask::s"
    "\x85##[set-env name=X]1\v\t::stop-commands::f ##[add-mask]x"
)


def command_lines(text: str) -> list[str]:
    """The lines of `text` (cut at every line break) that the runner would read as a
    workflow command: `::name …::` after leading whitespace (`TryParseV2`), or the
    legacy `##[name …]` anywhere in the line (`TryParse` looks for it with
    `IndexOf`; src/Runner.Common/ActionCommand.cs in actions/runner)."""
    return [
        line for line in text.splitlines() if line.lstrip().startswith("::") or "##[" in line
    ]


# ---------------------------------------------------------------- the stream itself


def _through(*writes: str, escape: bool = True) -> str:
    sink = io.StringIO()
    stream = GuardedStream(sink, "standard output", escape=escape)  # type: ignore[arg-type]
    for text in writes:
        stream.write(text)
    stream.finish()
    return sink.getvalue()


@pytest.mark.parametrize(
    ("writes", "expected"),
    [
        (["::error::x\n"], "\\::error::x\n"),
        (["  ::add-mask::s\n"], "  \\::add-mask::s\n"),
        (["\u00a0\u2003::error::x\n"], "\u00a0\u2003\\::error::x\n"),
        (["##[set-output name=a]b\n"], "##\\[set-output name=a]b\n"),
        # the legacy form is read anywhere in a line, not only at its start
        (["ok ##[add-mask]x\n"], "ok ##\\[add-mask]x\n"),
        (["a #", "#", "[stop-commands]t\n"], "a ##\\[stop-commands]t\n"),
        (["###[x] ##[y]\n"], "###\\[x] ##\\[y]\n"),
        (["a ##"], "a ##"),
        (["a ##", "\n##[x]"], "a ##\n##\\[x]"),
        (["ok ::error::x\n"], "ok ::error::x\n"),  # not at a line start
        (["  :", ":error::x\n"], "  \\::error::x\n"),  # split across writes
        (["#", "#", "[x]\n"], "##\\[x]\n"),
        ([":", "x\n"], ":x\n"),
        (["#", "x\n", "##", "y"], "#x\n##y"),
        (["::"], "\\::"),  # held back, then released by finish
        (["a\n", "\n", "::stop-commands::t"], "a\n\n\\::stop-commands::t"),
    ],
)
def test_the_stream_neutralizes_every_line_start(writes: list[str], expected: str) -> None:
    assert _through(*writes) == expected


@pytest.mark.parametrize("brk", ["\n", "\r\n", "\u2028", "\u2029"])
def test_every_line_break_starts_a_line(brk: str) -> None:
    assert _through(f"título{brk}::error::forjado\n") == f"título{brk}\\::error::forjado\n"


@pytest.mark.parametrize("brk", ["\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85"])
def test_a_control_that_breaks_a_line_is_shown_instead(brk: str) -> None:
    # the control is written as a visible escape (tests/test_terminal_output.py): no
    # reader ends the line there, so nothing after it starts one
    shown = "\\r" if brk == "\r" else f"\\x{ord(brk):02x}"
    assert _through(f"título{brk}::error::x\n") == f"título{shown}::error::x\n"


def test_a_trusted_command_is_always_a_line_of_its_own() -> None:
    sink = io.StringIO()
    stream = GuardedStream(sink, "standard output", escape=True)  # type: ignore[arg-type]
    stream.write("título ##")
    stream.write_trusted("::error file=a::b")
    stream.write("[x]")
    stream.finish()
    assert sink.getvalue() == "título ##\n::error file=a::b\n[x]"


def test_outside_actions_nothing_is_changed() -> None:
    assert _through("::error::x\n", escape=False) == "::error::x\n"


def test_neutralize_keeps_the_text_readable() -> None:
    assert neutralize("  ::warning::x") == "  \\::warning::x"
    assert neutralize("plain") == "plain"


def test_the_github_reporter_escapes_properties_and_message() -> None:
    problem = Problem(
        "rdms/2026/a,b:c%\n::error::x.yaml",
        3,
        4,
        Level.ERROR,
        "100% wrong\r\n::warning::forjado\u2028::notice::x\x85##[y]",
        "rule:x,y",
    )
    first = reporting.github([problem], 1).splitlines()[0]
    assert first == (
        "::error file=rdms/2026/a%2Cb%3Ac%25%0A%3A%3Aerror%3A%3Ax.yaml,line=3,col=4,"
        "title=rule%3Ax%2Cy::100%25 wrong%0D%0A::warning::forjado\\u2028::notice::x\\x85##[y]"
    )
    assert command_lines(first) == [first]  # one line for every reader


# ---------------------------------------------------------------- every command


@pytest.fixture
def actions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")


@pytest.fixture
def hostile_repo(example_repo: Path) -> Path:
    """The example with hostile text wherever the schemas allow free text."""
    calendar = example_repo / "policy" / "calendar.yaml"
    text = calendar.read_text(encoding="utf-8")
    for reason in (
        "Véspera de Natal com equipe reduzida; janela antecipada (ata CM 2026-12-08)",
        "Fechamento fiscal e contábil de fim de ano dos clientes",
    ):
        assert reason in text
        text = text.replace(reason, json.dumps(HOSTILE))
    calendar.write_text(text, encoding="utf-8")
    rdm = example_repo / "rdms" / "2026" / "RDM-2026-0041.yaml"
    lines = rdm.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("title: "))
    lines[at] = f"title: {json.dumps(HOSTILE)}\n"
    rdm.write_text("".join(lines), encoding="utf-8")
    topology = example_repo / "topologies" / "grupo-alvorada.yaml"
    text = topology.read_text(encoding="utf-8")
    assert "MaxStringSize: 10}" in text
    text = text.replace("MaxStringSize: 10}", 'MaxStringSize: 10, "::error::x": "1"}', 1)
    topology.write_text(text, encoding="utf-8")
    # file names that carry commands
    folder = example_repo / "rdms" / "2026"
    (folder / "nota,1:x%.yaml").write_text("x: 1\n", encoding="utf-8")
    (folder / "x\n::error::forjado.yaml").write_text("x: 1\n", encoding="utf-8")
    (folder / "y\r::add-mask::z").write_text("x\n", encoding="utf-8")
    return example_repo


def _assert_no_commands(out: str, err: str) -> None:
    assert command_lines(out) == []
    assert command_lines(err) == []
    assert "Traceback" not in out + err


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "--format", "text"],
        ["validate", "--format", "json"],
        ["validate", "--manifests", "--format", "text"],
        ["window", "--at", "2026-12-22T23:00:00-03:00"],
        ["window", "--at", "2026-12-29T01:00:00-03:00", "--format", "json"],
        ["window", "--at", "2026-12-29T01:00:00-03:00", "--emergency"],
        ["calendar", "--from", "2026-12-01", "--weeks", "8"],
        ["calendar", "--from", "2026-12-01", "--weeks", "8", "--format", "json"],
        ["calendar", "--from", "2026-12-01", "--weeks", "8", "--format", "ics"],
        ["codeowners", "--check"],
        ["render", "--format", "yaml"],
        ["render", "--format", "json"],
        ["render", "x\n::error::forjado"],
        ["render", "--rev", "HEAD\n::error::forjado"],
        ["window", "--at", "x\n::error::forjado"],
        ["calendar", "--format", "x\n::error::forjado"],
        ["validate", "rdms/2026/nope\n::error::forjado.yaml"],
    ],
)
def test_no_command_can_be_injected(
    hostile_repo: Path, run_rdm: Run, actions: None, argv: list[str]
) -> None:
    code, out, err = run_rdm(*argv, "--repo", str(hostile_repo))
    assert code in (0, 1, 2), err
    assert out + err
    _assert_no_commands(out, err)


def test_validate_github_emits_only_its_own_escaped_commands(
    hostile_repo: Path, run_rdm: Run, actions: None
) -> None:
    code, out, err = run_rdm("validate", "--repo", str(hostile_repo))  # github by default
    assert code == 1
    lines = out.splitlines()
    assert command_lines(err) == []
    commands = command_lines(out)
    assert commands and all(line.startswith("::error file=") for line in commands)
    prefix = f"{hostile_repo}/rdms/2026/".replace(":", "%3A")
    assert (
        f"::error file={prefix}nota%2C1%3Ax%25.yaml,line=1,col=1,title=layout::not a file rdm "
        "reads; expected rdms/<year>/RDM-<year>-<4 digits>.yaml"
    ) in lines
    assert (
        f"::error file={prefix}x%0A%3A%3Aerror%3A%3Aforjado.yaml,line=1,col=1,title=layout::"
        "not a file rdm reads; expected rdms/<year>/RDM-<year>-<4 digits>.yaml"
    ) in lines
    # each command is one line: nothing after a property or message break
    assert len(commands) == sum(1 for line in lines if line.startswith("::"))
    assert lines[-1].endswith("warning(s)")


def test_data_outputs_are_the_same_with_and_without_actions(
    hostile_repo: Path, run_rdm: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = [
        ["calendar", "--from", "2026-12-01", "--weeks", "8", "--format", "ics"],
        ["render", "--format", "yaml"],
        ["render", "--format", "json"],
        ["calendar", "--from", "2026-12-01", "--weeks", "8", "--format", "json"],
        ["validate", "--format", "json"],
    ]
    for argv in cases:
        monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
        plain = run_rdm(*argv, "--repo", str(hostile_repo))[1]
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
        guarded = run_rdm(*argv, "--repo", str(hostile_repo))[1]
        # DTSTAMP is the time of the run
        assert _unstamped(guarded) == _unstamped(plain), argv
        assert command_lines(guarded) == []
    # and the hostile values come out whole
    documents = list(yaml.safe_load_all(run_rdm("render", "--repo", str(hostile_repo))[1]))
    inis = [text for d in documents if d["kind"] == "ConfigMap" for text in d["data"].values()]
    assert any("\n::error::x=1\n" in ini for ini in inis)


def _unstamped(text: str) -> str:
    return "".join(line for line in text.splitlines(True) if not line.startswith("DTSTAMP"))


def test_the_ics_unfolds_to_the_hostile_text_exactly(
    hostile_repo: Path, run_rdm: Run, actions: None
) -> None:
    code, out, _ = run_rdm(
        "calendar", "--from", "2026-12-20", "--weeks", "1", "--format", "ics",
        "--repo", str(hostile_repo),
    )
    assert code == 0
    assert command_lines(out) == []
    calendar = icalendar.Calendar.from_ical(out)
    descriptions = [str(e.get("description", "")) for e in calendar.walk("VEVENT")]
    # iCalendar's TEXT has one line break, written \n (\r is read as one), and no
    # other control character: those are shown as escapes (test_terminal_output.py)
    shown = visible(HOSTILE.replace("\r", "\n"))
    assert "\\x85##[set-env" in shown
    assert any(shown in d for d in descriptions), descriptions


def test_internal_errors_and_github_answers_are_guarded(
    tmp_path: Path,
    run_rdm: Run,
    actions: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rdm.commands import validate

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"boom{HOSTILE}")

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(validate, "load_repository", explode)
    (tmp_path / "policy").mkdir()  # a repository, as far as the command looks
    code, out, err = run_rdm("validate", "--repo", str(tmp_path))
    assert code == 3
    _assert_no_commands(out, err)
    assert err.startswith("rdm: internal error: RuntimeError: boomVéspera\\r::warning::")


def test_approvals_with_hostile_github_answers(
    fake: FakeGitHub,
    tmp_path: Path,
    run_rdm: Run,
    actions: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for folder in ("rdms", "topologies", "policy"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    normal = "rdms/2026/RDM-2026-0041.yaml"
    (tmp_path / normal).unlink()
    repo = git.Repo.init(tmp_path, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test").set_value("user", "email", "test@example.com")
    repo.git.add(A=True)
    repo.index.commit("base")
    base = repo.head.commit.hexsha
    shutil.copy(ROOT / normal, tmp_path / normal)
    repo.git.add(A=True)
    repo.index.commit("head")
    head = repo.head.commit.hexsha
    pull = fake.pull(5, "eduardo-gmud", head, base).change(normal, "added")
    pull.review("ana-gerente-mudancas", "APPROVED")
    pull.review(f"intruso{HOSTILE}", "APPROVED")
    monkeypatch.setenv("GITHUB_API_URL", fake.api_url)
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_test")
    code, out, err = run_rdm("approvals", "5", "--repo-slug", SLUG, "--repo", str(tmp_path))
    assert code == 1, err
    _assert_no_commands(out, err)
    assert "\\::error file=x::y" in out  # the login was printed, guarded
    # an error message from GitHub
    fake.fail(r"/pulls/6", 500, times=10, body={"message": f"down{HOSTILE}"})
    monkeypatch.setattr("time.sleep", lambda _s: None)
    code, out, err = run_rdm("approvals", "6", "--repo-slug", SLUG, "--repo", str(tmp_path))
    assert code == 3
    _assert_no_commands(out, err)


def test_people_commands_are_guarded_too(hostile_repo: Path, run_rdm: Run, actions: None) -> None:
    repo = git.Repo.init(hostile_repo)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test").set_value("user", "email", "test@example.com")
    repo.git.add(A=True)
    repo.index.commit(f"dados{HOSTILE}")
    at = ("--at", "2026-12-08T13:00:00-03:00")
    for argv in (
        ["list", *at],
        ["list", "--format", "json", *at],
        ["agenda", "--meeting", "2026-12-01", *at],
        ["agenda", "--meeting", "2026-12-01", "--format", "html", *at],
        ["agenda", "--meeting", "2026-12-01", "--format", "json", *at],
        ["logs", "grupo-alvorada"],
    ):
        code, out, err = run_rdm(*argv, "--repo", str(hostile_repo))
        assert code in (0, 1), (argv, err)
        _assert_no_commands(out, err)
        if argv[0] == "agenda" and "--format" not in argv:
            assert "forjado" in out  # the RDM title was printed


def test_people_pages_are_the_same_with_and_without_actions(
    hostile_repo: Path, run_rdm: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTML, Markdown and JSON written for people keep the hostile title whole and
    carry no command: `##[` goes as `##&#91;`, `##\\[` (Markdown) or `##\\u005b`."""
    import html

    repo = git.Repo.init(hostile_repo)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test").set_value("user", "email", "test@example.com")
    repo.git.add(A=True)
    repo.index.commit("dados")
    at = ("--at", "2026-12-08T13:00:00-03:00")
    meeting = ("agenda", "--meeting", "2026-12-08", *at)
    for argv in (
        [*meeting, "--format", "html"],
        [*meeting, "--format", "md"],
        [*meeting, "--format", "json"],
        ["list", "--format", "json", *at],
    ):
        monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
        plain = run_rdm(*argv, "--repo", str(hostile_repo))[1]
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
        guarded = run_rdm(*argv, "--repo", str(hostile_repo))[1]
        assert guarded == plain, argv
        assert command_lines(plain) == [], argv
        if "json" in argv:
            assert "##[add-mask]x" in json.dumps(json.loads(plain), ensure_ascii=False), argv
        elif "html" in argv:
            assert "##[add-mask]x" in html.unescape(plain), argv
        else:
            assert "##\\[add-mask\\]x" in plain, argv


COMMANDS = ROOT / "tools" / "rdm" / "commands"


@pytest.mark.parametrize(
    "module", sorted(p.name for p in COMMANDS.glob("*.py") if p.name != "output.py")
)
def test_commands_print_only_through_the_output_module(module: str) -> None:
    import ast

    tree = ast.parse((COMMANDS / module).read_text(encoding="utf-8"))
    direct = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "print":
                direct.append(f"print at line {node.lineno}")
            if isinstance(func, ast.Attribute) and func.attr in ("echo", "secho"):
                owner = func.value
                if isinstance(owner, ast.Name) and owner.id == "click":
                    direct.append(f"click.{func.attr} at line {node.lineno}")
        # sys.stderr handed on as a stream is the guarded one at run time; a write
        # to it by name skips `echo` (and any future check there)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("write", "writelines")
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr in ("stdout", "stderr")
            and isinstance(node.func.value.value, ast.Name)
            and node.func.value.value.id == "sys"
        ):
            direct.append(f"sys.{node.func.value.attr}.{node.func.attr} at line {node.lineno}")
    assert direct == []


@pytest.mark.parametrize(
    "module",
    sorted(
        p.relative_to(ROOT).as_posix()
        for folder in ("commands", "reports")
        for p in (ROOT / "tools" / "rdm" / folder).glob("*.py")
        if p.name != "jsontext.py"
    ),
)
def test_printed_json_is_written_by_jsontext(module: str) -> None:
    # json.dumps(ensure_ascii=False) writes U+2028, C1 controls and `##[` as they
    # are: the guard would then escape them as text inside a JSON string (invalid
    # JSON), or a log reader would end the line there. jsontext writes them as
    # JSON escapes, the same values.
    import ast

    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    calls = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("dumps", "dump")
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "json"
    ]
    assert calls == []
