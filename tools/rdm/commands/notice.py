"""`rdm notice RDM-ID [--send]`: the downtime notice to each target client.

Loads the repository, asks `rdm.reports.notices.plan` for the messages, prints
them; with `--send`, mails them through `rdm.edges.mail` and prints what to write
in the RDM's `communication`. No text of the notice is written here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import click

from rdm.commands._translated import TranslatedCommand
from rdm.commands.options import EXIT_EXTERNAL, EXIT_FINDINGS, repo_option
from rdm.commands.output import echo
from rdm.decisions import calendar
from rdm.edges import mail
from rdm.edges.repository import CALENDAR, Repository, load_work_tree
from rdm.i18n import N_, _
from rdm.model.problems import RdmError, UsageError
from rdm.reports import jsontext, notices

_RDM_ID = re.compile(r"^RDM-([0-9]{4})-[0-9]{4}\Z")
OPERATIONS = "policy/operations.yaml"


@click.command(
    "notice",
    cls=TranslatedCommand,
    help=N_(
        "Write (and with --send, mail) the downtime notice of RDM-ID to each target "
        "client.\n\nFor an emergency, or a change that declares `downtime`: what, when, "
        "how long and whom to call, in pt-BR, to the `client.contacts` of each target "
        "topology. RDM_SMTP_URL: smtps://USER:PASSWORD@HOST[:465], "
        "smtp://USER:PASSWORD@HOST[:587] (STARTTLS required) or "
        "smtp+insecure://localhost[:25]. Exit 0 written/sent, 1 no notice can be written, "
        "2 usage error, 3 the SMTP server failed."
    ),
)
@click.argument("rdm_id", metavar="RDM-ID")
@repo_option
@click.option(
    "--send",
    is_flag=True,
    help=N_("Mail the notices through RDM_SMTP_URL and print what to write in `communication`."),
)
@click.option(
    "--again",
    is_flag=True,
    help=N_("With --send: send even though the RDM already records a notice."),
)
@click.option(
    "--target",
    "only",
    multiple=True,
    metavar="ORG_ID",
    help=N_("Only this target client (repeatable): to send again to those a failure left out."),
)
def command(rdm_id: str, repo: Path, send: bool, again: bool, only: tuple[str, ...]) -> int:
    match = _RDM_ID.fullmatch(rdm_id)
    if match is None:
        raise click.BadParameter(
            _("{value!r} is not an RDM id like RDM-2026-0042").format(value=rdm_id),
            param_hint="RDM-ID",
        )
    relative = f"rdms/{match.group(1)}/{rdm_id}.yaml"
    repository = load_work_tree(repo)
    rdm = repository.rdms.get(rdm_id)
    needed = {relative, OPERATIONS, CALENDAR}
    if rdm is not None:
        needed |= {f"topologies/{target}.yaml" for target in rdm.targets}
    blocking = [p for p in repository.problems if p.path in needed and p.level == "error"]
    for problem in blocking:
        echo(str(problem), err=True)
    if rdm is None:
        if not blocking:
            message = _("rdm: {rdm}: no such RDM ({path})").format(rdm=rdm_id, path=relative)
            echo(message, err=True)
        return EXIT_FINDINGS
    if repository.operations is None or repository.calendar is None:
        return EXIT_FINDINGS
    strangers = [org for org in only if org not in rdm.targets]
    if strangers:
        raise UsageError(
            _("--target {orgs}: not a target of {rdm} ({targets})").format(
                orgs=", ".join(strangers), rdm=rdm.id, targets=", ".join(rdm.targets)
            )
        )
    if send and rdm.communication is not None and rdm.communication.notified and not again:
        raise RdmError(
            _(
                "{rdm} already records a notice (notifiedAt {at}); nothing sent. "
                "Run with --again to send another"
            ).format(rdm=rdm.id, at=rdm.communication.notified_at or "?")
        )
    zone = repository.calendar.zone
    window = calendar.window_for_date(repository.calendar, rdm.window) if rdm.window else None
    planned = notices.plan(
        rdm,
        repository.topologies,
        repository.operations,
        zone,
        window.start if window is not None else None,
    )
    if not planned.ok:
        for reason in planned.problems:
            echo(f"rdm: {reason}", err=True)
        return EXIT_FINDINGS
    if only:
        planned = replace(planned, notices=tuple(n for n in planned.notices if n.org_id in only))
    outgoing = [_outgoing(repository, notice) for notice in planned.notices]
    if not send:
        echo("\n---\n".join(_preview(message) for message in outgoing), nl=False)
        echo(
            _("not sent: {count} notice(s); --send mails them through RDM_SMTP_URL").format(
                count=len(outgoing)
            ),
            err=True,
        )
        return 0
    url = mail.parse_smtp_url(_smtp_url())
    now = datetime.now(zone).replace(microsecond=0)
    failure: mail.MailError | None = None
    try:
        sent = mail.Mailer(url).send(outgoing, now)
    except mail.MailError as exc:
        sent, failure = list(exc.sent), exc
    results = list(zip(planned.notices, sent, strict=False))
    told = [(notice, result) for notice, result in results if result.delivered]
    for notice, result in told:
        echo(
            _("sent to {org}: {count} contact(s), Message-ID {id}").format(
                org=notice.org_id, count=len(result.accepted), id=result.message_id
            )
        )
    told_orgs = {notice.org_id for notice, _result in told}
    not_told = [n.org_id for n in planned.notices if n.org_id not in told_orgs]
    # Only what the server really took goes into the record; `notified` only when
    # every target client was told.
    if told:
        echo()
        echo(_("Write in {path}:").format(path=relative))
        echo(_communication(planned.summary, now, [r.message_id for _n, r in told], not_told))
        if not_told:
            again_flag = " --again" if again else ""
            targets = "".join(f" --target {org}" for org in not_told)
            echo(
                _("When the server is back: rdm notice {rdm} --send{flags}").format(
                    rdm=rdm.id, flags=again_flag + targets
                )
            )
    for notice, result in results:
        if not result.delivered:
            echo(
                _("rdm: not sent to {org}: the server refused every contact ({addresses})").format(
                    org=notice.org_id, addresses=", ".join(result.refused)
                ),
                err=True,
            )
    if failure is not None:
        raise failure
    refused = [address for _notice, result in told for address in result.refused]
    if refused:
        echo(
            _("rdm: the server refused {addresses}").format(addresses=", ".join(refused)),
            err=True,
        )
    return EXIT_EXTERNAL if refused or not_told else 0


def _smtp_url() -> str:
    value = os.environ.get(mail.ENV_URL, "").strip()
    if not value:
        raise click.UsageError(
            _("--send needs {var}, e.g. smtps://USER:PASSWORD@smtp.example.com").format(
                var=mail.ENV_URL
            )
        )
    return value


def _outgoing(repository: Repository, notice: notices.Notice) -> mail.Outgoing:
    assert repository.operations is not None
    operations = repository.operations
    return mail.Outgoing(
        sender_name=operations.sender.name,
        sender_email=operations.sender.email,
        to=tuple((c.name, c.email) for c in notice.recipients),
        subject=notice.subject,
        body=notice.body,
        reply_to=operations.reply_to,
        id_left=f"{notice.rdm_id}.{notice.org_id}".lower(),
    )


def _preview(message: mail.Outgoing) -> str:
    to = ", ".join(f"{name} <{address}>" if name else address for name, address in message.to)
    lines = [
        f"From: {message.sender_name} <{message.sender_email}>",
        f"To: {to}",
    ]
    if message.reply_to:
        lines.append(f"Reply-To: {message.reply_to}")
    lines += [f"Subject: {message.subject}", "", message.body]
    return "\n".join(lines)


def _communication(
    summary: str, at: datetime, message_ids: Sequence[str], not_told: Sequence[str] = ()
) -> str:
    # JSON strings are YAML strings: quoting stays right whatever the text holds.
    ids = ", ".join(jsontext.dumps(i) for i in message_ids)
    lines = [
        "communication:",
        f"  notified: {'false' if not_told else 'true'}",
        f"  notice: {jsontext.dumps(summary)}",
        f"  notifiedAt: {at.isoformat()}",
        f"  messageIds: [{ids}]",
    ]
    if not_told:
        lines.append("  # " + _("not told: {orgs}").format(orgs=", ".join(not_told)))
    return "\n".join(lines)
