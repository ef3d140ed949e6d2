"""`rdm new`: the RDM form. Prompts for each field (or takes them all as options
with --no-input), proposes the first window the RDM can still make, checks the
result as `rdm validate` would, and writes it under the next free id, never over
an existing file."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click

from rdm.commands._people import at_option
from rdm.commands._translated import TranslatedCommand
from rdm.commands.options import EXIT_FINDINGS, EXIT_OK, parse_instant, repo_option
from rdm.commands.output import echo
from rdm.decisions import calendar, lifecycle
from rdm.edges import new_rdm
from rdm.edges.repository import load_repository
from rdm.edges.sources import WorkTree
from rdm.i18n import N_, _
from rdm.model import rdm_form
from rdm.model.problems import RdmError, UsageError
from rdm.model.rdms import parse_duration

TYPES = ("normal", "emergency", "standard")
CATEGORIES = (
    "atualizacao", "configuracao", "infraestrutura", "correcao", "seguranca",
    "novo-cliente", "desativacao",
)  # fmt: skip
LEVELS = ("high", "medium", "low")
ENVIRONMENTS = ("producao", "homologacao")
RISKS = ("baixo", "medio", "alto")


def _option(name: str, help_text: str, **kwargs: Any) -> Callable[..., Any]:
    return click.option(f"--{name.replace('_', '-')}", name, help=help_text, **kwargs)


@click.command(
    "new",
    cls=TranslatedCommand,
    help=N_(
        "Fill in a new RDM: asks what the committee requires, offers the targets from "
        "topologies/, shows the derived priority, proposes the first window the RDM can "
        "still make, checks it and writes rdms/<year>/RDM-<year>-<n>.yaml."
    ),
)
@repo_option
@_option("title", N_("Title of the change."))
@_option("type", N_("normal, emergency or standard."), type=click.Choice(TYPES))
@_option("category", N_("Category of the change."), type=click.Choice(CATEGORIES))
@_option("requester", N_("Who asks for the change (GitHub login)."))
@_option("description", N_("What changes and why."))
@_option("opinion_author", N_("Author of the technical opinion (parecer técnico)."))
@_option("opinion", N_("The technical opinion (parecer técnico)."))
@_option("risk", N_("Risk in the technical opinion."), type=click.Choice(RISKS))
@_option("impact", N_("Impact: high, medium or low."), type=click.Choice(LEVELS))
@_option("urgency", N_("Urgency: high, medium or low."), type=click.Choice(LEVELS))
@click.option("--target", "targets", multiple=True, help=N_("A client org id (repeatable)."))
@click.option(
    "--environment",
    "environments",
    multiple=True,
    type=click.Choice(ENVIRONMENTS),
    help=N_("producao or homologacao (repeatable)."),
)
@_option("window", N_("The window's date (YYYY-MM-DD). Default: the first one it can make."))
@_option("estimate", N_("Estimated implementation time (45m, 2h, 1h30m)."))
@_option("rollback_plan", N_("How the change is rolled back."))
@_option("rollback_estimate", N_("Estimated rollback time (20m)."))
@_option("evidence", N_("Homologation evidence: link or ticket."))
@_option("tested_by", N_("Who tested it in homologation (GitHub login)."))
@_option("incident", N_("Emergencies: the incident ticket (INC-20931)."))
@_option("notice", N_("Emergencies: the notice sent to the clients."))
@_option("notified_at", N_("Emergencies: when the clients were told (ISO 8601 with offset)."))
@_option("template", N_("Standard changes: the template of policy/standard-changes.yaml."))
@click.option(
    "--no-input", is_flag=True, help=N_("Never prompt; every required field is an option.")
)
@at_option
def command(repo: Path, no_input: bool, at: str | None, **given: Any) -> int:
    now = parse_instant(at) or datetime.now(UTC)
    setup = load_repository(WorkTree(repo, str(repo)), only=["policy", "topologies"])
    policy, priorities = setup.calendar, setup.priorities
    if policy is None or priorities is None:
        raise RdmError(
            _("policy/calendar.yaml or policy/priorities.yaml cannot be read; run `rdm validate`")
        )
    ask = _Asker(no_input, given)
    targets_known = sorted(setup.topology_ids)
    values: dict[str, Any] = {}
    values["title"] = ask.text("title", _("Title"))
    values["type"] = ask.choice("type", _("Type"), TYPES, "normal")
    if values["type"] == "standard":
        values["template"] = ask.choice("template", _("Template"), sorted(setup.standard_changes))
    values["category"] = ask.choice("category", _("Category"), CATEGORIES)
    values["requester"] = ask.text("requester", _("Requester (GitHub login)"))
    values["description"] = ask.text("description", _("Description: what changes and why"))
    values["opinion_author"] = ask.text("opinion_author", _("Technical opinion: author"))
    values["opinion"] = ask.text("opinion", _("Technical opinion"))
    values["risk"] = given.get("risk") or (
        None if no_input else ask.choice("risk", _("Risk"), RISKS, "baixo")
    )
    values["impact"] = ask.choice("impact", _("Impact"), LEVELS)
    values["urgency"] = ask.choice("urgency", _("Urgency"), LEVELS)
    ask.say(
        _("Priority (impact x urgency): {priority}").format(
            priority=priorities.priority(values["impact"], values["urgency"])
        )
    )
    ask.say(_("Clients: {names}").format(names=", ".join(targets_known)))
    values["targets"] = ask.many("targets", _("Targets (comma-separated)"), targets_known)
    values["environments"] = ask.many(
        "environments", _("Environments (comma-separated)"), ENVIRONMENTS, "producao"
    )
    values["estimate"] = ask.duration("estimate", _("Estimated implementation time (e.g. 45m)"))
    values["rollback_plan"] = ask.text("rollback_plan", _("Rollback plan"))
    values["rollback_estimate"] = ask.duration("rollback_estimate", _("Estimated rollback time"))
    values["evidence"] = ask.text("evidence", _("Homologation evidence (link or ticket)"))
    values["tested_by"] = ask.text("tested_by", _("Tested by (GitHub login)"))
    window: str | None = None
    if values["type"] == "emergency":
        values["incident"] = ask.text("incident", _("Incident (e.g. INC-20931)"))
        values["notice"] = ask.text("notice", _("Notice sent to the clients"))
        values["notified_at"] = ask.text(
            "notified_at", _("When the clients were told (ISO 8601 with offset)")
        )
    else:
        needed = parse_duration(values["estimate"]) + parse_duration(values["rollback_estimate"])
        proposal = calendar.first_window_for_submission(policy, now, needed)
        if proposal is None:
            message = _(
                "no window in the coming years holds {estimate} + {rollback} (implementation + "
                "rollback) outside the freezes; split the change or review the estimates"
            ).format(estimate=values["estimate"], rollback=values["rollback_estimate"])
            raise UsageError(message) if no_input else RdmError(message)
        proposed = policy.local(proposal.start).date().isoformat()
        meeting = calendar.approving_meeting(policy, proposal)
        ask.say(
            _("First window it can make: {day} (meeting {meeting}, deadline {deadline})").format(
                day=proposed,
                meeting=policy.local(meeting.start).date().isoformat() if meeting else "—",
                deadline=calendar.format_instant(meeting.deadline) if meeting else "—",
            )
        )

        def window_check(value: str, timing_only: bool = False) -> str:
            """A window the RDM can still make (the late ones are refused here: rdm
            validate reads no clock and cannot see them)."""
            problem = rdm_form.answer_problem("window", value)
            if problem is None:
                problem = lifecycle.window_refusal(
                    policy, now, date.fromisoformat(value), needed, timing_only
                )
            if problem is not None:
                raise ValueError(problem)
            return value

        window = ask.text(
            "window",
            _("Window (YYYY-MM-DD)"),
            proposed,
            check=window_check,
            # A given --window: only what validate cannot see; the rest are its findings.
            given_check=lambda value: window_check(value, timing_only=True),
        )
    year = policy.local(now).year
    answers = rdm_form.Answers(
        title=values["title"],
        type=values["type"],
        category=values["category"],
        requester=values["requester"],
        description=values["description"],
        opinion_author=values["opinion_author"],
        opinion=values["opinion"],
        risk=values["risk"],
        impact=values["impact"],
        urgency=values["urgency"],
        targets=tuple(values["targets"]),
        environments=tuple(values["environments"]),
        window=window,
        estimate=values["estimate"],
        rollback_plan=values["rollback_plan"],
        rollback_estimate=values["rollback_estimate"],
        homologation_environment="homologacao",
        evidence=values["evidence"],
        tested_by=values["tested_by"],
        incident=values.get("incident"),
        notice=values.get("notice"),
        notified_at=values.get("notified_at"),
        template=values.get("template"),
    )
    for _attempt in range(20):  # another rdm new may take the id between check and write
        rdm_id = rdm_form.next_id(new_rdm.existing_ids(repo, year), year)
        if rdm_id is None:
            raise RdmError(_("every id of {year} is taken (RDM-{year}-9999)").format(year=year))
        relative = f"rdms/{year}/{rdm_id}.yaml"
        text = rdm_form.to_yaml(rdm_form.mapping(rdm_id, answers))
        problems = new_rdm.check(repo, str(repo), relative, text)
        if any(p.level == "error" for p in problems):
            for problem in problems:
                echo(str(problem), err=True)
            echo(_("nothing written: fix the answers above and run again"), err=True)
            return EXIT_FINDINGS
        if new_rdm.write_new(repo, relative, text):
            shown = Path(str(repo)) / relative if str(repo) not in (".", "") else Path(relative)
            echo(_("{id} written to {path}").format(id=rdm_id, path=shown))
            echo(
                _(
                    "Next: open a pull request with it and mark it ready for review "
                    "before the deadline."
                )
            )
            return EXIT_OK
    raise RdmError(_("could not find a free id under rdms/{year}/").format(year=year))


class _Asker:
    """Takes each answer from its option, else prompts (or, with --no-input, fails)."""

    def __init__(self, no_input: bool, given: dict[str, Any]) -> None:
        self.no_input = no_input
        self.given = given

    def say(self, text: str) -> None:
        if not self.no_input:
            echo(text, err=True)

    def _missing(self, name: str) -> UsageError:
        return UsageError(
            _("--no-input needs --{option}").format(option=name.replace("_", "-").rstrip("s"))
            if name in ("targets", "environments")
            else _("--no-input needs --{option}").format(option=name.replace("_", "-"))
        )

    def _prompt(self, label: str, default: str | None, check: Callable[[str], str]) -> str:
        def proc(value: str) -> str:
            try:
                return check(value.strip())
            except ValueError as exc:
                raise click.UsageError(str(exc)) from exc

        result: str = click.prompt(label, default=default, value_proc=proc, err=True)
        return result

    def text(
        self,
        name: str,
        label: str,
        default: str | None = None,
        check: Callable[[str], str] | None = None,
        given_check: Callable[[str], str] | None = None,
    ) -> str:
        """A free-text answer, checked as typed against what the file will be held to
        (`rdm_form.answer_problem`, or `check`): a bad one is asked again."""

        def typed(value: str) -> str:
            value = _non_empty(value)
            if check is not None:
                return check(value)
            problem = rdm_form.answer_problem(name, value)
            if problem is not None:
                raise ValueError(problem)
            return value

        value = self.given.get(name)
        if value:
            return _checked(name, given_check, str(value)) if given_check else str(value)
        if self.no_input:
            if default is not None:
                return default
            raise self._missing(name)
        return self._prompt(label, default, typed)

    def choice(
        self, name: str, label: str, options: Sequence[str], default: str | None = None
    ) -> str:
        value = self.given.get(name)
        if value:
            return str(value)
        if self.no_input:
            if default is not None and name in ("type",):
                return default
            raise self._missing(name)
        prompt = f"{label} ({', '.join(options)})"
        return self._prompt(prompt, default, lambda v: _one_of(v, options))

    def many(
        self, name: str, label: str, options: Sequence[str], default: str | None = None
    ) -> list[str]:
        value = self.given.get(name)
        if value:
            # Named twice is meant once (the file allows each target only once).
            found = [_checked(name, lambda v: _one_of(v, options), v) for v in value]
            return list(dict.fromkeys(found))
        if self.no_input:
            raise self._missing(name)
        text = self._prompt(label, default, lambda v: ",".join(_split(v, options)))
        return text.split(",")

    def duration(self, name: str, label: str) -> str:
        value = self.given.get(name)
        if value:
            return _checked(name, _duration, str(value))
        if self.no_input:
            raise self._missing(name)
        return self._prompt(label, None, _duration)


def _checked(name: str, check: Callable[[str], str], value: str) -> str:
    """An option's value through a prompt's check; a bad one is a usage error."""
    try:
        return check(value)
    except ValueError as exc:
        option = name.replace("_", "-").removesuffix("s")
        raise UsageError(f"--{option}: {exc}") from exc


def _non_empty(value: str) -> str:
    if not value:
        raise ValueError(_("this field is required"))
    return value


def _one_of(value: str, options: Sequence[str]) -> str:
    if value not in options:
        raise ValueError(
            _("{value!r} is not one of: {options}").format(value=value, options=", ".join(options))
        )
    return value


def _split(value: str, options: Sequence[str]) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise ValueError(_("this field is required"))
    return list(dict.fromkeys(_one_of(v, options) for v in items))


def _duration(value: str) -> str:
    try:
        if parse_duration(value).total_seconds() <= 0:
            raise ValueError(value)
    except ValueError:
        raise ValueError(
            _("{value!r} is not a duration like 45m, 2h or 1h30m").format(value=value)
        ) from None
    return value
