"""Who the committee is, as `rdm committee` prints it (text in the active language, or JSON).

From `policy/committee.yaml`: who holds each role the process names, the
members of the CM and the CME with their roles and delegates, who delegates
for whom, who forwards a normal RDM to the CM (the Product Owner and the
change managers), who may label an emergency and who approves a standard
change. The people involved in each RDM join its committee's consensus and are
named by the RDM itself, so the report only says that they do.

Pure: the policy comes in, text goes out.
"""

from __future__ import annotations

from rdm.i18n import _, ngettext
from rdm.model.policy import PRODUCT_OWNER, Committee, CommitteePolicy

# How the team calls each role (the policy's keys are identifiers): the team's
# own words, in every language, as RDM and parecer técnico are.
ROLE_NAMES = {
    "product-owner": "Product Owner",
    "gestor-de-mudanca": "Gestor de Mudança",
    "gestor-de-suporte-services": "Gestor de Suporte Services",
    "diretor-services": "Diretor de Services",
    "coordenador-suporte": "Coordenador de Suporte (Smart eSocial)",
}
_TITLES = {"CM": "Comitê de Mudanças", "CME": "Comitê de Mudanças Emergenciais"}


def role_name(role: str) -> str:
    return ROLE_NAMES.get(role, role)


def text(policy: CommitteePolicy) -> str:
    lines = [_("Roles ({path})").format(path="policy/committee.yaml")]
    if policy.roles:
        width = max(len(role_name(r)) for r in policy.roles) + 2
        lines += [f"  {role_name(role):<{width}}@{holder}" for role, holder in policy.roles.items()]
    else:
        lines.append("  " + _("no role declared ({key})").format(key="`roles`"))
    for committee in (policy.cm, policy.cme):
        lines += ["", *_committee(policy, committee)]
    stand_ins = policy.stand_ins()
    lines += ["", _("Delegates (they vote when the member is absent)")]
    if stand_ins:
        width = max(len(d) for d in stand_ins) + 2
        lines += [
            f"  @{delegate:<{width}}" + _("votes for {members}").format(members=_people(members))
            for delegate, members in stand_ins.items()
        ]
    else:
        lines.append("  " + _("none"))
    lines += ["", *_who_does_what(policy)]
    return "\n".join(lines)


def _committee(policy: CommitteePolicy, committee: Committee) -> list[str]:
    title = _TITLES.get(committee.name, committee.name)
    count = len(committee.members)
    rule = ngettext(
        "consensus of {n} fixed member", "consensus of {n} fixed members", count
    ).format(n=count)
    lines = [f"{committee.name} — {title}: {rule}"]
    width = max((len(m) for m in committee.members), default=0) + 2
    for member in committee.members:
        notes = [role_name(r) for r in policy.roles_of(member)]
        delegates = policy.delegates.get(member, ())
        if delegates:
            notes.append(_("delegate: {people}").format(people=_people(delegates, or_=True)))
        lines.append(f"  @{member:<{width}}{'; '.join(notes)}".rstrip())
    seated = {role for m in committee.members for role in policy.roles_of(m)}
    unseated = [r for r in committee.fixed_roles if r not in seated]
    if unseated:  # only an invalid policy gets here; `rdm validate` says why
        lines.append("  " + _("fixed roles not seated: {roles}").format(roles=", ".join(unseated)))
    lines.append(
        "  + " + _("the people involved in each RDM ({key}), once each").format(key="`involved`")
    )
    return lines


def _who_does_what(policy: CommitteePolicy) -> list[str]:
    po = policy.product_owner
    managers = _people(policy.change_managers, or_=True)
    if po:
        forwarding = _(
            "Forwarding to the CM (label {label}): {po} (Product Owner) or a change "
            "manager ({managers})"
        ).format(label="`encaminhada`", po=f"@{po}", managers=managers)
    else:
        forwarding = _(
            "Forwarding to the CM: not required (the policy has no {role} in {key})"
        ).format(role=f"`{PRODUCT_OWNER}`", key="`roles`")
    return [
        forwarding,
        _("Label {label} (the CME decides): {people}").format(
            label="`emergency`", people=_people(policy.emergency_labelers, or_=True)
        ),
        _("Standard change (within its template): one change manager, {managers}").format(
            managers=managers
        ),
    ]


def as_json(policy: CommitteePolicy) -> dict[str, object]:
    def committee(c: Committee) -> dict[str, object]:
        return {
            "members": [
                {
                    "login": m,
                    "roles": list(policy.roles_of(m)),
                    "delegates": list(policy.delegates.get(m, ())),
                }
                for m in c.members
            ],
            "fixedRoles": list(c.fixed_roles),
        }

    return {
        "roles": dict(policy.roles),
        "committees": {"CM": committee(policy.cm), "CME": committee(policy.cme)},
        "delegates": {d: list(ms) for d, ms in policy.stand_ins().items()},
        "forwarders": list(policy.forwarders()) if policy.product_owner else [],
        "emergencyLabelers": list(policy.emergency_labelers),
        "changeManagers": list(policy.change_managers),
    }


def _people(logins: tuple[str, ...], *, or_: bool = False) -> str:
    names = [f"@{login}" for login in logins]
    if len(names) <= 1:
        return "".join(names)
    both = _("{some} or {last}") if or_ else _("{some} and {last}")
    return both.format(some=", ".join(names[:-1]), last=names[-1])
