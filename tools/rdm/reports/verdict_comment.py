"""The committee's verdict as the pt-BR comment rdm keeps on the pull request.

`body` writes, in Markdown: the verdict, a table of the people whose vote is
asked (members with their roles, people involved in the RDM, delegates, and
reviewers whose vote does not count), what is still missing (the Product
Owner's forwarding, the emergency label, each approval), and, when the verdict
is `rejected`, who vetoed with the text of their review, so that the requester
learns why (GitHub notifies the PR's author of the comment). The reasons as
`rdm approvals` prints them close it, folded.

Everything that comes from outside is hostile: a review's text may hold
Markdown, HTML, `@` mentions of whole teams, invisible bidirectional controls
or a megabyte of text; a file name in a reason may hold anything git allows.
So such text is shown only inside fenced code blocks (no Markdown, HTML or
mention is interpreted there) whose fence is longer than any backtick run in
it, after removing control characters, and cut to a few lines; logins are
reduced to the characters a login may have and shown as code, which also keeps
rdm from mentioning (and notifying) anyone. The body stays far below GitHub's
65,536 characters.

Pure: no I/O. The marker that lets rdm find the comment again comes first
(`decisions.comments.MARKER`).
"""

from __future__ import annotations

import re
import unicodedata

from rdm.decisions.approvals import (
    EMERGENCY_LABEL,
    FORWARDING_LABEL,
    LabelGate,
    MemberState,
    Outcome,
    State,
    Verdict,
    Veto,
)
from rdm.decisions.comments import MARKER
from rdm.model.records import Capacity
from rdm.reports.committee_report import ROLE_NAMES, role_name

# GitHub refuses a comment longer than 65,536 characters; rdm's stays well below.
MAX_BODY = 60_000
VETO_CHARS, VETO_LINES = 1_500, 25
REASON_CHARS, MAX_REASONS = 400, 60
MAX_VETOES = 10

_COMMITTEES = {
    "CM": "CM (Comitê de Mudanças)",
    "CME": "CME (Comitê de Mudanças Emergenciais)",
    "standard": "mudança padrão (um gestor de mudança aprova)",
}
_OUTCOMES = {
    Outcome.APPROVED: "✅ aprovada",
    Outcome.PENDING: "⏳ pendente",
    Outcome.REJECTED: "❌ rejeitada",
}
_STATES = {
    State.APPROVED: "✅ aprovou no commit atual",
    State.STALE: "⚠️ aprovou um commit anterior",
    State.CHANGES_REQUESTED: "❌ pediu mudanças",
    State.MISSING: "⏳ ainda não aprovou",
    State.AUTHOR: "✍️ abriu a PR: a própria revisão não conta",
    State.NOT_A_MEMBER: "não vota nesta decisão",
}
_LOGIN = re.compile(r"[^A-Za-z0-9_.\[\]-]")
# Characters that change how the rest of a line is shown (bidirectional
# overrides and isolates, zero-width joiners, the BOM) or are invisible controls.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def body(number: int, verdict: Verdict, head_sha: str, planted: tuple[str, ...] = ()) -> str:
    """The comment for PR `number` judged at `head_sha`; `planted` names the authors of
    comments that carry rdm's marker but are not rdm's."""
    parts = verdict.each()
    lines = [
        MARKER,
        f"## Decisão do comitê: {_OUTCOMES[verdict.verdict]}",
        "",
        f"PR #{number} · {_subject(verdict)} · commit avaliado `{_sha(head_sha)}`",
    ]
    for part in parts:
        if len(parts) > 1:
            lines += ["", f"### {part.rdm_id} · {_committee(part)}: {_OUTCOMES[part.verdict]}"]
        lines += ["", *_table(part)]
    missing = [item for part in parts for item in _missing(part, head_sha, len(parts) > 1)]
    if verdict.verdict is not Outcome.APPROVED:
        lines += ["", "#### O que falta" if missing else "#### Por que não foi aprovada", ""]
        lines += [f"- {item}" for item in missing]
        if verdict.verdict is Outcome.REJECTED and not verdict.vetoes:
            lines.append("- a PR foi rejeitada por uma regra do processo: veja os motivos abaixo")
        elif not missing:
            lines.append("- veja os motivos abaixo")
    if verdict.verdict is Outcome.REJECTED and verdict.vetoes:
        lines += ["", "#### Vetos", ""]
        for veto in verdict.vetoes[:MAX_VETOES]:
            lines += [*_veto(veto), ""]
        if len(verdict.vetoes) > MAX_VETOES:
            lines += [f"_e mais {len(verdict.vetoes) - MAX_VETOES} vetos; veja as revisões_", ""]
        lines += [
            "Quem pediu mudanças precisa aprovar de novo (no commit atual) para a PR seguir.",
        ]
    if planted:
        authors = ", ".join(f"`@{_login(a)}`" if a else "uma conta apagada" for a in planted)
        lines += [
            "",
            f"> ⚠️ Outro comentário desta PR imita este quadro (autor: {authors}). "
            "Não é do rdm e foi ignorado: a decisão é esta e o status `rdm/committee`.",
        ]
    head = "\n".join(lines)
    details = _reasons(verdict.reasons)
    footer = (
        "<sub>Mantido pelo rdm a cada revisão, rótulo ou push: este comentário é editado, "
        "nunca repetido.</sub>"
    )
    text = f"{head}\n\n{details}\n\n{footer}\n"
    if len(text) > MAX_BODY:  # only hostile volumes get here: keep the decision, drop detail
        text = f"{head}\n\n_(motivos omitidos: longos demais para um comentário)_\n\n{footer}\n"
    return text[:MAX_BODY]


# ------------------------------------------------------------------ pieces


def _subject(verdict: Verdict) -> str:
    rdms = ", ".join(verdict.rdm_ids) or "sem RDM"
    return f"{rdms} · {_committee(verdict)}"


def _committee(verdict: Verdict) -> str:
    return _COMMITTEES.get(verdict.committee, verdict.committee)


def _table(verdict: Verdict) -> list[str]:
    if not verdict.members:
        return ["_Ninguém revisou a PR ainda._"]
    rows = ["| Pessoa | Por que vota | Situação |", "|---|---|---|"]
    for member in verdict.members:
        rows.append(
            f"| `@{_login(member.login)}` | {_capacity(member, verdict)} | {_state(member)} |"
        )
    return rows


def _capacity(row: MemberState, verdict: Verdict) -> str:
    roles = [role_name(role) if role in ROLE_NAMES else _plain(role) for role in row.roles]
    where = f"na {verdict.rdm_id}" if verdict.rdm_id else "na RDM"
    words: list[str] = []
    if row.capacity is Capacity.MEMBER:
        words.append(f"membro do {verdict.committee}")
    elif row.capacity is Capacity.CHANGE_MANAGER:
        words.append("gestor de mudança")
    elif row.capacity is Capacity.DELEGATE:
        words.append(
            f"substitui `@{_login(row.stands_in_for)}`" if row.stands_in_for else "substituto"
        )
    elif row.capacity is None:
        return "—"
    words += roles
    if row.involved:
        words.append(f"pessoa envolvida {where}")
    return " · ".join(words)


def _state(row: MemberState) -> str:
    if row.state is State.DELEGATED:
        who = f"`@{_login(row.replaced_by)}`" if row.replaced_by else "um substituto"
        return f"🔁 {who} aprovou no lugar"
    return _STATES[row.state]


def _required(row: MemberState) -> bool:
    """Whether this row is a vote the decision waits for (not a delegate's nor an outsider's)."""
    return row.capacity in (Capacity.MEMBER, Capacity.INVOLVED) or (
        row.capacity is Capacity.DELEGATE and row.involved
    )


def _missing(verdict: Verdict, head_sha: str, several: bool) -> list[str]:
    """What this RDM's verdict still waits for, one sentence each."""
    if verdict.verdict is Outcome.APPROVED:
        return []
    prefix = f"{verdict.rdm_id}: " if several and verdict.rdm_id else ""
    items = [f"{prefix}{text}" for gate in verdict.gates for text in _gate(gate)]
    commit = f"`{_sha(head_sha)}`"
    if verdict.committee == "standard":
        if not any(r.state is State.CHANGES_REQUESTED for r in verdict.members):
            managers = [
                f"`@{_login(r.login)}`"
                for r in verdict.members
                if r.capacity is Capacity.CHANGE_MANAGER and r.state is not State.AUTHOR
            ]
            items.append(
                f"{prefix}a aprovação de um gestor de mudança ({_either(managers)}) "
                f"no commit {commit}"
            )
        return items
    for row in verdict.members:
        if not _required(row) or row.state not in (State.MISSING, State.STALE, State.AUTHOR):
            continue
        who = f"`@{_login(row.login)}` ({_capacity(row, verdict)})"
        if row.state is State.AUTHOR:
            items.append(
                f"{prefix}{who} abriu a PR e não pode aprová-la: "
                + (
                    "um substituto pode aprovar no lugar"
                    if row.capacity is Capacity.MEMBER
                    else "a aprovação não tem como vir dessa pessoa"
                )
            )
        elif row.state is State.STALE:
            items.append(
                f"{prefix}a aprovação de {who} no commit {commit} "
                "(a anterior foi dada antes do último push)"
            )
        else:
            items.append(f"{prefix}a aprovação de {who} no commit {commit}")
    return items


def _gate(gate: LabelGate) -> list[str]:
    items = []
    if gate.by is None and gate.label == FORWARDING_LABEL:
        po = f"`@{_login(gate.product_owner)}`" if gate.product_owner else "o Product Owner"
        items.append(
            f"o encaminhamento ao CM por {po} (Product Owner) ou por um gestor de mudança: "
            f"o rótulo `{FORWARDING_LABEL}` posto por uma dessas pessoas"
        )
    elif gate.by is None and gate.label == EMERGENCY_LABEL:
        people = [f"`@{_login(login)}`" for login in gate.allowed]
        items.append(
            f"o rótulo `{EMERGENCY_LABEL}` posto por quem pode declarar emergência "
            f"({_either(people)})"
        )
    for actor in gate.ignored:
        who = f"`@{_login(actor)}`" if actor else "uma conta desconhecida"
        items.append(f"o rótulo `{_plain(gate.label)}` posto por {who} não conta e foi ignorado")
    return items


def _veto(veto: Veto) -> list[str]:
    where = f" na {veto.rdm_id}" if veto.rdm_id else ""
    why = (
        {
            Capacity.MEMBER: "membro",
            Capacity.DELEGATE: "substituto",
            Capacity.CHANGE_MANAGER: "gestor de mudança",
            Capacity.INVOLVED: "pessoa envolvida",
        }.get(veto.capacity, "")
        if veto.capacity
        else ""
    )
    if veto.involved and veto.capacity is not Capacity.INVOLVED:
        why += ", pessoa envolvida"
    link = f" ([ver a revisão](#pullrequestreview-{veto.review_id}))" if veto.review_id > 0 else ""
    head = (
        f"`@{_login(veto.login)}`" + (f" ({why})" if why else "") + f" pediu mudanças{where}{link}:"
    )
    text = _cut(veto.body, VETO_CHARS, VETO_LINES)
    if not text.strip():
        return [head, "", "_(a revisão não tem texto)_"]
    return [head, "", *_fenced(text)]


def _reasons(reasons: tuple[str, ...]) -> str:
    shown = [_cut(r, REASON_CHARS, 1) for r in reasons[:MAX_REASONS]]
    if len(reasons) > MAX_REASONS:
        shown.append(f"… and {len(reasons) - MAX_REASONS} more")
    block = "\n".join(_fenced("\n".join(f"- {r}" for r in shown) or "-"))
    return (
        "<details><summary>Motivos, como o <code>rdm approvals</code> os imprime</summary>\n\n"
        f"{block}\n\n</details>"
    )


# --------------------------------------------------------- hostile text


def _login(login: str | None) -> str:
    """A login reduced to the characters logins have (bots end in `[bot]`), at most 60."""
    return _LOGIN.sub("", login or "")[:60] or "?"


def _plain(text: str) -> str:
    """Short policy text (a role name, a label) for a table cell or a code span."""
    return re.sub(r"[^A-Za-z0-9 _.-]", "", text)[:60] or "?"


def _sha(sha: str) -> str:
    return re.sub(r"[^0-9a-f]", "", sha.lower())[:7]


def _clean(text: str) -> str:
    """Text without control characters or invisible direction changes; line ends as \\n."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", text)
    return "".join(
        ch for ch in text if ch in "\n\t" or not unicodedata.category(ch).startswith("C")
    )


def _cut(text: str, chars: int, lines: int) -> str:
    """At most `chars` characters and `lines` lines, saying how much was left out."""
    clean = _clean(text)
    kept = clean.split("\n")[:lines]
    short = "\n".join(kept)
    if len(short) > chars:
        short = short[:chars]
    if len(short) < len(clean):
        more = len(clean) - len(short)
        return short.rstrip() + f"\n… ({more} caracteres cortados)" if lines > 1 else short + "…"
    return short


def _fenced(text: str) -> list[str]:
    """A fenced code block that `text` cannot close: the fence outgrows any backtick run."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}text", text, fence]


def _either(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} ou {items[-1]}"
