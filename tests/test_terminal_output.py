"""A value from a file never drives the analyst's terminal.

An RDM title, a holiday reason, a file name or an ini key can hold control
characters: `ESC[2J` clears the screen, `ESC]52;c;…BEL` writes the clipboard
(OSC 52), `ESC]8;;url ESC\\` makes a hidden hyperlink (OSC 8), a carriage return
overwrites what was printed before it, C1 controls (U+0080-U+009F, `U+009B` is
CSI) and the bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE and the rest
of Unicode's Bidi_Control) reorder or hide text. The rule: everything rdm
prints for people shows such a character as a visible escape (`\\x1b`, `\\u202e`),
with or without GitHub Actions, on stdout and stderr, in every command; data
outputs (JSON, YAML manifests, iCalendar, HTML) write it in their own escape
syntax where they have one, so that their values stay the same.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import git
import icalendar
import pytest
import yaml

from rdm.commands.output import GuardedStream

Run = Callable[..., tuple[int, str, str]]

# Everything that a terminal acts on or that reorders text: C0 but tab and line
# feed (a carriage return only as part of CRLF), DEL, C1, and Bidi_Control.
DRIVING = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|\r(?!\n)"
)
CLEAR = "\x1b[2J"
CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4K\x07"
LINK = "\x1b]8;;http://x.example/\x1b\\clique\x1b]8;;\x1b\\"
# One line of text (no line feed) that tries every trick; 100 characters.
TERMINAL = f"Natal{CLEAR}{CLIPBOARD}{LINK}\u202eabc\u2066\u2069\x9b2J\x7f\x08\x00\rX"


# An ini key ('[' would end its name).
KEY = "Chave\x1b\u202e\x9b"
# On a command line: without the NUL, which no argv can hold (execve).
ARGUMENT = TERMINAL.replace("\x00", "")


def driving(text: str) -> list[str]:
    return DRIVING.findall(text)


def _through(*writes: str, escape: bool = False) -> str:
    sink = io.StringIO()
    stream = GuardedStream(sink, "standard output", escape=escape)  # type: ignore[arg-type]
    for text in writes:
        stream.write(text)
    stream.finish()
    return sink.getvalue()


@pytest.mark.parametrize("escape", [False, True])
@pytest.mark.parametrize(
    ("writes", "expected"),
    [
        ([f"a{CLEAR}b\n"], "a\\x1b[2Jb\n"),
        ([CLIPBOARD], "\\x1b]52;c;cm0gLXJmIH4K\\x07"),
        (["\u202eabc\u2069\n"], "\\u202eabc\\u2069\n"),
        (["\x9b31m\x85\x7f"], "\\x9b31m\\x85\\x7f"),
        (["safe\rEVIL\n"], "safe\\rEVIL\n"),
        (["a\r", "\nb\r\n"], "a\r\nb\r\n"),  # CRLF is a line end, split or not
        (["a\r"], "a\\r"),
        (["tab\tok\n"], "tab\tok\n"),
        (["\x00\v\f\x1c"], "\\x00\\x0b\\x0c\\x1c"),
        (["é ü 日本 \u200d😀\n"], "é ü 日本 \u200d😀\n"),  # text, joiners: as they are
    ],
)
def test_the_stream_shows_controls_as_escapes(
    writes: list[str], expected: str, escape: bool
) -> None:
    assert _through(*writes, escape=escape) == expected


def test_a_control_cannot_hide_a_workflow_command() -> None:
    # An escaped control is text: the runner sees no line break there, and what
    # follows `\r` on the same line is no line start.
    assert _through("x\r::error::y\n", escape=True) == "x\\r::error::y\n"
    assert _through("x\x85::error::y\n", escape=True) == "x\\x85::error::y\n"


@pytest.fixture
def terminal_repo(example_repo: Path) -> Path:
    """The example with control characters wherever a value can hold them."""
    calendar = example_repo / "policy" / "calendar.yaml"
    text = calendar.read_text(encoding="utf-8")
    reason = "Véspera de Natal com equipe reduzida; janela antecipada (ata CM 2026-12-08)"
    assert reason in text
    calendar.write_text(text.replace(reason, json.dumps(TERMINAL)), encoding="utf-8")
    rdm = example_repo / "rdms" / "2026" / "RDM-2026-0041.yaml"
    lines = rdm.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("title: "))
    lines[at] = f"title: {json.dumps(TERMINAL)}\n"
    rdm.write_text("".join(lines), encoding="utf-8")
    topology = example_repo / "topologies" / "grupo-alvorada.yaml"
    text = topology.read_text(encoding="utf-8")
    assert "MaxStringSize: 10}" in text
    key = json.dumps(KEY)
    text = text.replace("MaxStringSize: 10}", f'MaxStringSize: 10, {key}: "1"}}', 1)
    topology.write_text(text, encoding="utf-8")
    (example_repo / "rdms" / "2026" / f"x{CLIPBOARD}\u202e.yaml").write_text(
        "x: 1\n", encoding="utf-8"
    )
    return example_repo


def _commit(repo_path: Path) -> None:
    repo = git.Repo.init(repo_path)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test").set_value("user", "email", "test@example.com")
    repo.git.add(A=True)
    repo.index.commit("dados")


AT = ("--at", "2026-12-08T13:00:00-03:00")


@pytest.mark.parametrize("actions", [False, True])
@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "--format", "text"],
        ["validate", "--format", "json"],
        ["validate", "--format", "github"],
        ["validate", "--manifests", "--format", "text"],
        ["window", "--at", "2026-12-22T23:00:00-03:00"],
        ["window", "--at", "2026-12-22T23:00:00-03:00", "--format", "json"],
        ["window", "--at", "2026-12-29T01:00:00-03:00", "--emergency"],
        ["calendar", "--from", "2026-12-01", "--weeks", "4"],
        ["calendar", "--from", "2026-12-01", "--weeks", "4", "--format", "json"],
        ["calendar", "--from", "2026-12-01", "--weeks", "4", "--format", "ics"],
        ["render", "--format", "yaml"],
        ["render", "--format", "json"],
        ["logs", "grupo-alvorada"],
        ["list", *AT],
        ["list", "--format", "json", *AT],
        ["agenda", "--meeting", "2026-12-08", *AT],
        ["agenda", "--meeting", "2026-12-08", "--format", "html", *AT],
        ["agenda", "--meeting", "2026-12-08", "--format", "json", *AT],
        ["new", "--no-input", "--title", ARGUMENT],
        # click's own usage errors echo the value back
        ["window", "--at", ARGUMENT],
        ["calendar", "--format", ARGUMENT],
        ["render", ARGUMENT],
        ["render", "--rev", ARGUMENT],
        ["validate", f"rdms/2026/{ARGUMENT}.yaml"],
        [ARGUMENT],
        # the commands of the trusted path echo what they were given
        ["history", ARGUMENT],
        ["history", "--org", ARGUMENT],
        ["gate", ARGUMENT],
        ["audit", "--since", ARGUMENT],
        ["rollout", "--shard", ARGUMENT],
        ["notes", ARGUMENT],
    ],
)
def test_no_value_drives_the_terminal(
    terminal_repo: Path,
    run_rdm: Run,
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    actions: bool,
) -> None:
    if actions:
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
    else:
        monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    if argv[0] in ("list", "agenda", "history"):
        _commit(terminal_repo)
    code, out, err = run_rdm(*argv, "--repo", str(terminal_repo))
    assert code in (0, 1, 2), err
    assert out + err
    assert driving(out) == [], argv
    assert driving(err) == [], argv
    assert "Traceback" not in out + err


def test_the_value_is_shown_not_lost(terminal_repo: Path, run_rdm: Run) -> None:
    code, out, _ = run_rdm("calendar", "--from", "2026-12-01", "--weeks", "4",
                           "--repo", str(terminal_repo))
    assert code == 0
    assert (
        "Natal\\x1b[2J\\x1b]52;c;cm0gLXJmIH4K\\x07\\x1b]8;;http://x.example/\\x1b\\clique"
        "\\x1b]8;;\\x1b\\\\u202eabc\\u2066\\u2069\\x9b2J\\x7f\\x08\\x00\\rX"
    ) in out
    code, out, _ = run_rdm("validate", "--repo", str(terminal_repo))
    assert code == 1
    assert "rdms/2026/x\\x1b]52;c;cm0gLXJmIH4K\\x07\\u202e.yaml:1:1: error:" in out


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def test_data_outputs_keep_the_values(terminal_repo: Path, run_rdm: Run) -> None:
    """JSON and YAML escape the controls in their own syntax: read back, the values
    are the file's; iCalendar, which has no escape for them (RFC 5545 TSAFE-CHAR),
    and HTML carry them as visible escapes."""
    _, out, _ = run_rdm("calendar", "--from", "2026-12-01", "--weeks", "4", "--format", "json",
                        "--repo", str(terminal_repo))
    assert any(TERMINAL in text for text in _strings(json.loads(out)))
    _, out, _ = run_rdm("render", "--format", "yaml", "--repo", str(terminal_repo))
    inis = [
        text
        for document in yaml.safe_load_all(out)
        if document["kind"] == "ConfigMap"
        for text in document["data"].values()
    ]
    assert any(f"{KEY}=1" in ini for ini in inis)
    _, out, _ = run_rdm("calendar", "--from", "2026-12-01", "--weeks", "4", "--format", "ics",
                        "--repo", str(terminal_repo))
    calendar = icalendar.Calendar.from_ical(out)
    descriptions = " ".join(str(e.get("description", "")) for e in calendar.walk("VEVENT"))
    assert "Natal\\x1b[2J\\x1b]52;c;" in descriptions
    _commit(terminal_repo)
    _, out, _ = run_rdm("agenda", "--meeting", "2026-12-08", "--format", "html", *AT,
                        "--repo", str(terminal_repo))
    assert "Natal\\x1b[2J" in html.unescape(out)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_live_progress_shows_messages_as_text() -> None:
    """The cluster commands' live display (rich, on a terminal) writes its own escape
    sequences; a message from the cluster or a topology writes none, and rich
    markup in it (`[link=…]`, an OSC 8 hyperlink) stays text."""
    from rdm.commands._progress import reporter

    screen = _Terminal()
    guarded = GuardedStream(screen, "standard error", escape=False)  # type: ignore[arg-type]
    with reporter(live=True, stream=guarded) as report:  # type: ignore[arg-type]
        report("grupo-alvorada", f"aplicando{CLIPBOARD} [link=http://x.example/]clique[/link]")
    shown = screen.getvalue()
    assert "\x1b]" not in shown  # no OSC at all: no clipboard, no hyperlink
    assert "\\x1b]52;c;cm0gLXJmIH4K\\x07" in shown
    assert "[link=http://x.example/]" in shown


@pytest.mark.parametrize("actions", [False, True])
def test_an_execution_record_drives_no_terminal(
    terminal_repo: Path, run_rdm: Run, monkeypatch: pytest.MonkeyPatch, actions: bool
) -> None:
    """rdm history (and the other readers of the notes) print what a run recorded:
    reasons and errors come from the cluster and from files."""
    from rdm.edges import notes
    from test_records import record

    if actions:
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
    else:
        monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    _commit(terminal_repo)
    sha = git.Repo(terminal_repo).head.commit.hexsha
    hostile = record(
        merge_commit=sha, revision=sha, reasons=(f"blocked: {TERMINAL} ##[add-mask]x",)
    )
    notes.append(terminal_repo, sha, [hostile])
    repo = ("--repo", str(terminal_repo))
    code, out, err = run_rdm("history", "RDM-2026-0042", *repo)
    assert code == 0, err
    assert driving(out + err) == []
    assert "Natal\\x1b[2J" in out
    code, out, err = run_rdm("history", "RDM-2026-0042", "--format", "json", *repo)
    assert code == 0, err
    assert driving(out + err) == []
    assert any(f"{TERMINAL} ##[add-mask]x" in s for s in _strings(json.loads(out)))
