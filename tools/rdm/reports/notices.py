"""The downtime notice of an RDM to each target client, in pt-BR: what, when, how
long, whom to call.

`plan` takes the RDM, the client topologies, the operations policy and the window
the RDM runs in (already looked up in the calendar) and returns one `Notice` per
target client, or the reasons no notice can be written. Everything a client
reads is in pt-BR whatever the operator's locale (the clients are Brazilian), so
the texts are kept here, in `PT_BR` and the helpers below, and not in the
operator-facing message catalogs; the reasons no notice can be written are for
the operator, in the active language (`rdm.i18n`).

Values from files are hostile: every one that reaches a header (subject, names)
is collapsed to a single line here, and the mail edge refuses a line break in a
header again. Pure: no I/O, no clock; the time of sending is the caller's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from rdm.i18n import _
from rdm.model.policy import OperationsPolicy
from rdm.model.rdms import ChangeType, Rdm
from rdm.model.topologies import Contact, Topology
from rdm.reports.printable import UNSAFE

# One place for every pt-BR sentence of the notice.
PT_BR: Mapping[str, str] = {
    "kind.emergency": "emergencial",
    "kind.planned": "programada",
    "subject": "[{rdm}] Indisponibilidade {kind} em {when}: {title}",
    "greeting": "Prezados,",
    # The client's name on its own line: "nos serviços de {client}" needs the article
    # the name takes ("do Grupo", "da Associação"), which a template cannot know.
    "intro": "informamos que haverá uma indisponibilidade {kind}, conforme abaixo:",
    "client": "Cliente: {client}",
    "what": "O quê: {title}",
    "services": "Serviços afetados: {services}",
    "when": "Quando: {when}",
    "how_long": "Duração máxima: {duration}",
    "reference": "Referência: {rdm}",
    "reference.incident": "Referência: {rdm} (incidente {incident})",
    "call": (
        "Em caso de dúvida, ou se algum serviço não voltar ao fim desse prazo, "
        "fale com {name}: {phone}, {email}."
    ),
    "closing": "Atenciosamente,",
    "summary": (
        "Indisponibilidade {kind} de até {duration} em {services}: {when}. "
        "Dúvidas: {name}, {phone}, {email}."
    ),
    "services.all": "todos os serviços Protheus em {environments}",
    "and": " e ",
    "zone.America/Sao_Paulo": "horário de Brasília",
}
WORKLOAD_NAMES: Mapping[str, str] = {
    "protheus-appserver-prod": "Protheus (produção)",
    "protheus-appserver-homolog": "Protheus (homologação)",
    "protheus-appserver-update": "Protheus (instância de atualização)",
    "protheus-dbaccess": "DBAccess (acesso ao banco de dados)",
    "protheus-license": "License Server",
    "protheus-lockserver": "Lockserver",
    "protheus-status": "página de status",
    "protheus-tss": "TSS (transmissão de documentos fiscais)",
    "protheus-webservice-prod": "webservices (produção)",
    "protheus-webservice-homolog": "webservices (homologação)",
}
ENVIRONMENT_NAMES: Mapping[str, str] = {"producao": "produção", "homologacao": "homologação"}
WEEKDAYS = (
    "segunda-feira",
    "terça-feira",
    "quarta-feira",
    "quinta-feira",
    "sexta-feira",
    "sábado",
    "domingo",
)
MONTHS = (
    "janeiro",
    "fevereiro",
    "março",
    "abril",
    "maio",
    "junho",
    "julho",
    "agosto",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
)
SUBJECT_LIMIT = 150  # characters; a longer title is cut with an ellipsis


@dataclass(frozen=True)
class Notice:
    """The message to one client: its contacts, subject and body (pt-BR)."""

    rdm_id: str
    org_id: str
    client_name: str
    recipients: tuple[Contact, ...]
    subject: str
    body: str


@dataclass(frozen=True)
class NoticePlan:
    notices: tuple[Notice, ...]
    summary: str  # one line, the same for every client: what `communication.notice` records
    start: datetime | None
    end: datetime | None
    problems: tuple[str, ...]  # why no notice can be written; empty when it can

    @property
    def ok(self) -> bool:
        return not self.problems


def plan(
    rdm: Rdm,
    topologies: Mapping[str, Topology],
    operations: OperationsPolicy,
    zone: ZoneInfo,
    window_start: datetime | None,
) -> NoticePlan:
    """The notices of `rdm`, one per target client.

    `window_start` is the start of the window the RDM names (None for an
    emergency, or when the calendar has no such window): a normal change's
    downtime without its own `start` begins then.
    """
    problems: list[str] = []
    downtime = rdm.downtime
    start: datetime | None = None
    if downtime is None:
        if rdm.type is ChangeType.EMERGENCY:
            problems.append(
                _(
                    "{rdm} is an emergency without `downtime`: add "
                    "`downtime: {{start: <when it starts, with offset>, duration: <e.g. 30m>}}` "
                    "so that the notice can say when and for how long"
                ).format(rdm=rdm.id)
            )
        else:
            problems.append(
                _(
                    "{rdm} declares no downtime (`downtime`): the clients lose nothing, "
                    "so there is nothing to tell them"
                ).format(rdm=rdm.id)
            )
    elif downtime.start is not None:
        start = downtime.start
    elif rdm.type is ChangeType.EMERGENCY:  # it runs at any hour: no window to start with
        problems.append(
            _("{rdm} is an emergency: say when the downtime starts in `downtime.start`").format(
                rdm=rdm.id
            )
        )
    elif window_start is not None:
        start = window_start
    else:
        problems.append(
            _(
                "{rdm}: window {window} is not a change window of the calendar, "
                "and `downtime.start` is not set: the notice cannot say when"
            ).format(rdm=rdm.id, window=rdm.window)
        )
    for target in rdm.targets:
        topology = topologies.get(target)
        if topology is None:
            problems.append(
                _("{rdm}: target {target} has no usable topology").format(rdm=rdm.id, target=target)
            )
        elif not topology.contacts:
            problems.append(
                _(
                    "{target}: topologies/{target}.yaml has no contacts (client.contacts): "
                    "nobody to send the notice to"
                ).format(target=target)
            )
    if problems or downtime is None or start is None:
        return NoticePlan((), "", None, None, tuple(problems))

    start = start.astimezone(zone)
    end = start + downtime.duration
    kind = PT_BR["kind.emergency" if rdm.type is ChangeType.EMERGENCY else "kind.planned"]
    title = one_line(rdm.title)
    services = _services(downtime.workloads, [str(e) for e in rdm.environments])
    when = format_period(start, end, zone)
    duration = format_duration(downtime.duration)
    contact = operations.contact
    notices = []
    for target in rdm.targets:
        topology = topologies[target]
        client = one_line(topology.client_name)
        reference = (
            PT_BR["reference.incident"].format(rdm=rdm.id, incident=one_line(rdm.incident))
            if rdm.incident
            else PT_BR["reference"].format(rdm=rdm.id)
        )
        body = "\n".join(
            [
                PT_BR["greeting"],
                "",
                PT_BR["intro"].format(kind=kind),
                "",
                PT_BR["client"].format(client=client),
                PT_BR["what"].format(title=title),
                PT_BR["services"].format(services=services),
                PT_BR["when"].format(when=when),
                PT_BR["how_long"].format(duration=duration),
                reference,
                "",
                PT_BR["call"].format(name=contact.name, phone=contact.phone, email=contact.email),
                "",
                PT_BR["closing"],
                operations.sender.name,
                "",
            ]
        )
        subject = PT_BR["subject"].format(
            rdm=rdm.id, kind=kind, when=start.strftime("%d/%m/%Y %H:%M"), title=title
        )
        notices.append(
            Notice(rdm.id, target, client, _once(topology.contacts), _cut(subject), body)
        )
    summary = PT_BR["summary"].format(
        kind=kind,
        duration=duration,
        services=services,
        when=when,
        name=contact.name,
        phone=contact.phone,
        email=contact.email,
    )
    return NoticePlan(tuple(notices), summary, start, end, ())


def one_line(text: str) -> str:
    """Every run of whitespace, control and reordering characters -> one space.

    (A title with U+202E would read backwards in the client's mail reader.)
    """
    return " ".join(UNSAFE.sub(" ", text).split())


def _once(contacts: Sequence[Contact]) -> tuple[Contact, ...]:
    """Each mailbox once (the first entry, with its name): an address listed twice, or
    in another case, would get the notice twice and show twice in To."""
    seen: set[str] = set()
    found: list[Contact] = []
    for contact in contacts:
        key = contact.email.casefold()
        if key not in seen:
            seen.add(key)
            found.append(contact)
    return tuple(found)


def _cut(text: str) -> str:
    return text if len(text) <= SUBJECT_LIMIT else text[: SUBJECT_LIMIT - 1].rstrip() + "…"


def _services(workloads: Sequence[str], environments: Sequence[str]) -> str:
    if not workloads:
        names = [ENVIRONMENT_NAMES.get(e, e) for e in environments]
        return PT_BR["services.all"].format(environments=_join(names))
    return _join([WORKLOAD_NAMES.get(w, w) for w in workloads])


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + PT_BR["and"] + items[-1]


def format_duration(value: timedelta) -> str:
    """40 minutos, 1 hora, 1 hora e 30 minutos, 2 horas."""
    minutes = int(value.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hora" + ("s" if hours > 1 else ""))
    if minutes or not hours:
        parts.append(f"{minutes} minuto" + ("s" if minutes != 1 else ""))
    return PT_BR["and"].join(parts)


def format_day(instant: datetime) -> str:
    """quinta-feira, 3 de dezembro de 2026."""
    return (
        f"{WEEKDAYS[instant.weekday()]}, {instant.day} de {MONTHS[instant.month - 1]} "
        f"de {instant.year}"
    )


def format_period(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """When, in the policy's zone, named as people there say it."""
    start, end = start.astimezone(zone), end.astimezone(zone)
    offset = start.strftime("%z")
    zone_name = PT_BR.get(f"zone.{zone.key}", zone.key)
    where = f"({zone_name}, UTC{offset[:3]}:{offset[3:]})"
    if start.date() == end.date():
        return f"{format_day(start)}, das {start:%H:%M} às {end:%H:%M} {where}"
    return f"de {format_day(start)}, {start:%H:%M}, a {format_day(end)}, {end:%H:%M} {where}"
