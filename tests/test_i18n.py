"""pt-BR text through gettext catalogs: language choice, catalogs complete and compiled."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest

from rdm import i18n
from rdm.i18n import catalogs


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "pt_BR"),
        ({"LANG": "C.UTF-8"}, "pt_BR"),
        ({"LANG": "POSIX"}, "pt_BR"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "pt_BR.UTF-8"}, "pt_BR"),
        ({"LANG": "pt_PT.UTF-8"}, "pt_BR"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),
        ({"LC_ALL": "en_GB.UTF-8", "LANG": "pt_BR.UTF-8"}, "en"),
        ({"LC_ALL": "", "LC_MESSAGES": "pt_BR", "LANG": "en_US"}, "pt_BR"),
        ({"RDM_LANG": "en", "LANG": "pt_BR.UTF-8"}, "en"),
        ({"RDM_LANG": "pt-BR", "LANG": "en_US.UTF-8"}, "pt_BR"),
        ({"RDM_LANG": "C", "LANG": "en_US.UTF-8"}, "en"),
        ({"RDM_LANG": "", "LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "en_US@euro"}, "en"),
    ],
)
def test_the_language_is_chosen_from_the_environment(
    env: dict[str, str], expected: str
) -> None:
    assert i18n.choose(env) == expected


def test_an_unknown_language_is_english() -> None:
    previous = i18n.activate("xx")
    try:
        assert i18n.language() == "en"
    finally:
        i18n.activate(previous)


def test_numbers_are_written_the_readers_way() -> None:
    with i18n.using("pt_BR"):
        assert (i18n.decimal(87.54), i18n.percent(0.875)) == ("87,5", "87,5 %")
    with i18n.using("en"):
        assert (i18n.decimal(87.54), i18n.percent(0.875)) == ("87.5", "87.5%")


def test_the_catalogs_are_complete_and_current() -> None:
    """Every marked message is translated, with the same placeholders; none is stale.
    On failure: `make catalogs`, translate, `make catalogs`."""
    assert catalogs.problems() == []


def test_the_compiled_catalog_is_current(tmp_path: Path) -> None:
    """`make` compiled the .mo from the .po as it is now (run `make catalogs` if not)."""
    fresh = catalogs.compile_all(out=tmp_path)
    for path in fresh:
        installed = i18n.LOCALE_DIR / path.relative_to(tmp_path)
        assert installed.exists(), f"{installed} is missing: run make"
        assert installed.read_bytes() == path.read_bytes(), f"{installed} is stale: run make"


def test_a_catalog_round_trip(tmp_path: Path) -> None:
    """A message marked in code, extracted, translated and compiled reads back in pt-BR."""
    package = tmp_path / "pkg"
    (package / "templates").mkdir(parents=True)
    (package / "mod.py").write_text(
        'from rdm.i18n import _, N_, ngettext\n'
        'A = N_("draft")\n'
        'def f(n):\n'
        '    return _("{n} RDM written").format(n=n), ngettext("{n} day", "{n} days", n)\n',
        encoding="utf-8",
    )
    (package / "templates" / "page.html").write_text(
        '<p>{{ _("Agenda of {day}").format(day=day) }}</p>', encoding="utf-8"
    )
    root = tmp_path / "locale"
    catalogs.update(root=root, package=package)
    po = catalogs.po_path("pt_BR", root)
    text = po.read_text(encoding="utf-8")
    assert "#: rdm/mod.py\n" in text and "#: rdm/templates/page.html\n" in text
    assert len(catalogs.problems(root=root, package=package)) == 4  # all untranslated
    for msgid, msgstr in [
        ("draft", "rascunho"),
        ("{n} RDM written", "{n} RDM gravada"),
        ("Agenda of {day}", "Pauta de {dia}"),
    ]:
        text = text.replace(f'msgid "{msgid}"\nmsgstr ""', f'msgid "{msgid}"\nmsgstr "{msgstr}"')
    # pt-BR has three plural forms in Babel's data (one, many, other)
    text = text.replace(
        'msgstr[0] ""\nmsgstr[1] ""\nmsgstr[2] ""',
        'msgstr[0] "{n} dia"\nmsgstr[1] "{n} dias"\nmsgstr[2] "{n} dias"',
    )
    po.write_text(text, encoding="utf-8")
    assert catalogs.problems(root=root, package=package) == [
        f"{po.relative_to(tmp_path)}: placeholders differ in 'Agenda of {{day}}'"
    ]
    po.write_text(text.replace("{dia}", "{day}"), encoding="utf-8")
    assert catalogs.problems(root=root, package=package) == []
    (mo,) = catalogs.compile_all(root=root)
    translation = gettext.GNUTranslations(mo.open("rb"))
    assert translation.gettext("{n} RDM written").format(n=3) == "3 RDM gravada"
    assert translation.ngettext("{n} day", "{n} days", 2).format(n=2) == "2 dias"
    assert translation.gettext("Agenda of {day}") == "Pauta de {day}"
    # a message removed from the code is reported until `update` drops it
    (package / "mod.py").write_text('from rdm.i18n import _\nA = _("draft")\n', encoding="utf-8")
    assert any("no longer used" in p for p in catalogs.problems(root=root, package=package))
    catalogs.update(root=root, package=package)
    assert catalogs.problems(root=root, package=package) == []


PEOPLE_COMMANDS = ("new", "list", "agenda", "report", "notice", "monitors", "logs")


@pytest.mark.parametrize("name", PEOPLE_COMMANDS)
def test_the_people_commands_help_is_in_portuguese(
    run_rdm: object, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    # click reads help at import, before the language is chosen: it used to stay in
    # English whatever RDM_LANG said.
    from rdm.cli import cli

    command = cli.commands[name]
    code, out, _ = run_rdm(name, "--help")  # type: ignore[operator]
    assert code == 0
    assert i18n._(command.help or "") != command.help  # there is a translation ...
    first = " ".join(out.split("\n\n")[1].split())
    assert first == " ".join(i18n._(command.help or "").split("\n\n")[0].split())  # ... shown
    assert "Raiz do repositório de RDMs" in out
    code, listing, _ = run_rdm("--help")  # type: ignore[operator]
    line = next(x for x in listing.splitlines() if x.strip().startswith(name + " "))
    assert line.split(None, 1)[1][:20] == i18n._(command.help or "")[:20]
    # and English when asked, from the same command object
    monkeypatch.setenv("RDM_LANG", "en")
    _, english, _ = run_rdm(name, "--help")  # type: ignore[operator]
    assert "Root of the RDM repository" in english
    assert command.help is not None and command.help.split(".")[0] in " ".join(english.split())


def test_the_help_of_rdm_new_options(run_rdm: object) -> None:
    _, out, _ = run_rdm("new", "--help")  # type: ignore[operator]
    text = " ".join(out.split())
    assert "--title TEXT Título da mudança." in text
    assert "--no-input Não pergunta nada; cada campo obrigatório vem por opção." in text


def test_monitors_messages_fall_back_to_english(
    run_rdm: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RDM_LANG", "en")
    monkeypatch.delenv("RDM_UPTIMEROBOT_API_KEY", raising=False)
    code, _, err = run_rdm("monitors")  # type: ignore[operator]
    assert code == 2
    assert err.startswith("rdm: usage: set RDM_UPTIMEROBOT_API_KEY to the UptimeRobot API key")
