"""Who the committee is, as `rdm committee` prints it (pt-BR text, or JSON).

From `policy/committee.yaml`: who holds each role the process names, the
members of the CM and the CME with their roles and delegates, who delegates
for whom, who forwards a normal RDM to the CM (the Product Owner and the
change managers), who may label an emergency and who approves a standard
change. The people involved in each RDM join its committee's consensus and are
named by the RDM itself, so the report only says that they do.

Pure: the policy comes in, text goes out.
"""

from __future__ import annotations

from rdm.model.policy import PRODUCT_OWNER, Committee, CommitteePolicy

# How the team calls each role (the policy's keys are identifiers).
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
    lines = ["Papéis (policy/committee.yaml)"]
    if policy.roles:
        width = max(len(role_name(r)) for r in policy.roles) + 2
        lines += [
            f"  {role_name(role):<{width}}@{holder}" for role, holder in policy.roles.items()
        ]
    else:
        lines.append("  nenhum papel declarado (`roles`)")
    for committee in (policy.cm, policy.cme):
        lines += ["", *_committee(policy, committee)]
    stand_ins = policy.stand_ins()
    lines += ["", "Substituições (votam na ausência do membro)"]
    if stand_ins:
        width = max(len(d) for d in stand_ins) + 2
        lines += [
            f"  @{delegate:<{width}}vota por {_people(members)}"
            for delegate, members in stand_ins.items()
        ]
    else:
        lines.append("  nenhuma")
    lines += ["", *_who_does_what(policy)]
    return "\n".join(lines)


def _committee(policy: CommitteePolicy, committee: Committee) -> list[str]:
    title = _TITLES.get(committee.name, committee.name)
    count = len(committee.members)
    lines = [f"{committee.name} — {title}: consenso de {count} membros fixos"]
    width = max((len(m) for m in committee.members), default=0) + 2
    for member in committee.members:
        notes = [role_name(r) for r in policy.roles_of(member)]
        delegates = policy.delegates.get(member, ())
        if delegates:
            notes.append(f"substituto: {_people(delegates, 'ou')}")
        lines.append(f"  @{member:<{width}}{'; '.join(notes)}".rstrip())
    seated = {role for m in committee.members for role in policy.roles_of(m)}
    unseated = [r for r in committee.fixed_roles if r not in seated]
    if unseated:  # only an invalid policy gets here; `rdm validate` says why
        lines.append(f"  faltam os papéis fixos: {', '.join(unseated)}")
    lines.append("  + as pessoas envolvidas em cada RDM (`involved`), uma vez cada")
    return lines


def _who_does_what(policy: CommitteePolicy) -> list[str]:
    po = policy.product_owner
    managers = _people(policy.change_managers, "ou")
    if po:
        forwarding = (
            f"Encaminhamento ao CM (rótulo `encaminhada`): @{po} (Product Owner) "
            f"ou um gestor de mudança ({managers})"
        )
    else:
        forwarding = (
            f"Encaminhamento ao CM: não exigido (a política não tem `{PRODUCT_OWNER}` em `roles`)"
        )
    return [
        forwarding,
        f"Rótulo `emergency` (CME decide): {_people(policy.emergency_labelers, 'ou')}",
        f"Mudança padrão (dentro do modelo): um gestor de mudança, {managers}",
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


def _people(logins: tuple[str, ...], conjunction: str = "e") -> str:
    names = [f"@{login}" for login in logins]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {conjunction} {names[-1]}"
