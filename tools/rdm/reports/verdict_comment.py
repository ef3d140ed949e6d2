"""The committee's verdict as the comment rdm keeps on the pull request.

The text goes through the gettext catalogs (English msgids); `rdm approvals`
writes it in the team's language, pt-BR, whatever the locale of the machine
that publishes, so that the comment does not change language between runs.

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
from rdm.i18n import N_, _, ngettext
from rdm.model.records import Capacity
from rdm.reports.committee_report import ROLE_NAMES, role_name

# GitHub refuses a comment longer than 65,536 characters; rdm's stays well below.
MAX_BODY = 60_000
VETO_CHARS, VETO_LINES = 1_500, 25
REASON_CHARS, MAX_REASONS = 400, 60
MAX_VETOES = 10

# The committees' names are the team's own words, in every language.
_COMMITTEES = {
    "CM": "CM (Comitê de Mudanças)",
    "CME": "CME (Comitê de Mudanças Emergenciais)",
}
_OUTCOMES = {
    Outcome.APPROVED: ("✅", N_("approved")),
    Outcome.PENDING: ("⏳", N_("pending")),
    Outcome.REJECTED: ("❌", N_("rejected")),
}
_STATES = {
    State.APPROVED: N_("✅ approved on the head commit"),
    State.STALE: N_("⚠️ approved an older commit"),
    State.CHANGES_REQUESTED: N_("❌ requested changes"),
    State.MISSING: N_("⏳ has not approved yet"),
    State.AUTHOR: N_("✍️ opened the PR: their own review does not count"),
    State.NOT_A_MEMBER: N_("does not vote in this decision"),
}
_CAPACITIES = {
    Capacity.MEMBER: N_("member"),
    Capacity.DELEGATE: N_("delegate"),
    Capacity.CHANGE_MANAGER: N_("change manager"),
    Capacity.INVOLVED: N_("involved"),
}
_LOGIN = re.compile(r"[^A-Za-z0-9_.\[\]-]")
# Characters that change how the rest of a line is shown (bidirectional
# overrides and isolates, zero-width joiners, the BOM) or are invisible controls.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def body(number: int, verdict: Verdict, head_sha: str, planted: tuple[str, ...] = ()) -> str:
    """The comment for PR `number` judged at `head_sha`, in the active language;
    `planted` names the authors of comments that carry rdm's marker but are not rdm's."""
    parts = verdict.each()
    lines = [
        MARKER,
        "## " + _("Committee decision: {outcome}").format(outcome=_outcome(verdict.verdict)),
        "",
        _("PR #{number} · {subject} · commit judged {sha}").format(
            number=number, subject=_subject(verdict), sha=f"`{_sha(head_sha)}`"
        ),
    ]
    for part in parts:
        if len(parts) > 1:
            lines += ["", f"### {part.rdm_id} · {_committee(part)}: {_outcome(part.verdict)}"]
        lines += ["", *_table(part)]
    missing = [item for part in parts for item in _missing(part, head_sha, len(parts) > 1)]
    if verdict.verdict is not Outcome.APPROVED:
        title = _("What is missing") if missing else _("Why it was not approved")
        lines += ["", f"#### {title}", ""]
        lines += [f"- {item}" for item in missing]
        if verdict.verdict is Outcome.REJECTED and not verdict.vetoes:
            lines.append("- " + _("a rule of the process rejected the PR: see the reasons below"))
        elif not missing:
            lines.append("- " + _("see the reasons below"))
    if verdict.verdict is Outcome.REJECTED and verdict.vetoes:
        lines += [*_vetoes(verdict.vetoes)]
    if planted:
        authors = ", ".join(f"`@{_login(a)}`" if a else _("a deleted account") for a in planted)
        warning = _(
            "Another comment of this PR imitates this one (author: {authors}). It is not "
            "rdm's and was ignored: the decision is this one, and the status {status}."
        ).format(authors=authors, status="`rdm/committee`")
        lines += ["", f"> ⚠️ {warning}"]
    head = "\n".join(lines)
    footer = _(
        "Kept by rdm on every review, label or push: this comment is edited, never repeated."
    )
    text = f"{head}\n\n{_reasons(verdict.reasons)}\n\n<sub>{footer}</sub>\n"
    if len(text) > MAX_BODY:  # only hostile volumes get here: keep the decision, drop detail
        left_out = _("(reasons left out: too long for a comment)")
        text = f"{head}\n\n_{left_out}_\n\n<sub>{footer}</sub>\n"
    return text[:MAX_BODY]


# ------------------------------------------------------------------ pieces


def _outcome(outcome: Outcome) -> str:
    emoji, word = _OUTCOMES[outcome]
    return f"{emoji} {_(word)}"


def _subject(verdict: Verdict) -> str:
    rdms = ", ".join(verdict.rdm_ids) or _("no RDM")
    return f"{rdms} · {_committee(verdict)}"


def _committee(verdict: Verdict) -> str:
    if verdict.committee == "standard":
        return _("standard change (one change manager approves)")
    return _COMMITTEES.get(verdict.committee, verdict.committee)


def _table(verdict: Verdict) -> list[str]:
    if not verdict.members:
        return ["_{}_".format(_("Nobody has reviewed the PR yet."))]
    person, why, standing = _("Person"), _("Why they vote"), _("Standing")
    rows = [f"| {person} | {why} | {standing} |", "|---|---|---|"]
    for member in verdict.members:
        rows.append(
            f"| `@{_login(member.login)}` | {_capacity(member, verdict)} | {_state(member)} |"
        )
    return rows


def _capacity(row: MemberState, verdict: Verdict) -> str:
    words: list[str] = []
    if row.capacity is Capacity.MEMBER:
        words.append(_("member of the {committee}").format(committee=verdict.committee))
    elif row.capacity is Capacity.CHANGE_MANAGER:
        words.append(_("change manager"))
    elif row.capacity is Capacity.DELEGATE:
        words.append(
            _("stands in for {member}").format(member=f"`@{_login(row.stands_in_for)}`")
            if row.stands_in_for
            else _("delegate")
        )
    elif row.capacity is None:
        return "—"
    # Role names are the team's words; one the policy added is only an identifier.
    words += [role_name(r) if r in ROLE_NAMES else _plain(r) for r in row.roles]
    if row.involved:
        words.append(_involved(verdict.rdm_id))
    return " · ".join(words)


def _involved(rdm_id: str | None) -> str:
    if rdm_id:
        return _("involved in {rdm}").format(rdm=rdm_id)
    return _("involved in the RDM")


def _state(row: MemberState) -> str:
    if row.state is State.DELEGATED:
        who = f"`@{_login(row.replaced_by)}`" if row.replaced_by else _("a delegate")
        return "🔁 " + _("{who} approved in their place").format(who=who)
    if row.state is State.STALE and row.stale_base:
        return _("⚠️ approved before the PR's base branch changed")
    return _(_STATES[row.state])


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
            text = _("the approval of a change manager ({managers}) on commit {commit}")
            items.append(prefix + text.format(managers=_either(managers), commit=commit))
        return items
    for row in verdict.members:
        if not _required(row) or row.state not in (State.MISSING, State.STALE, State.AUTHOR):
            continue
        who = f"`@{_login(row.login)}` ({_capacity(row, verdict)})"
        if row.state is State.AUTHOR and row.capacity is Capacity.MEMBER:
            text = _("{who} opened the PR and cannot approve it: a delegate may approve instead")
        elif row.state is State.AUTHOR:
            text = _("{who} opened the PR and cannot approve it, and nobody may stand in")
        elif row.state is State.STALE and row.stale_base:
            text = _(
                "the approval of {who} on commit {commit} "
                "(the earlier one was given before the PR's base branch changed)"
            )
        elif row.state is State.STALE:
            text = _(
                "the approval of {who} on commit {commit} "
                "(the earlier one was given before the latest push)"
            )
        else:
            text = _("the approval of {who} on commit {commit}")
        items.append(prefix + text.format(who=who, commit=commit))
    return items


def _gate(gate: LabelGate) -> list[str]:
    items = []
    if gate.by is None and gate.label == FORWARDING_LABEL:
        po = f"`@{_login(gate.product_owner)}`" if gate.product_owner else "Product Owner"
        text = _(
            "the forwarding to the CM by {po} (Product Owner) or by a change manager: "
            "the label {label} added by one of them"
        )
        items.append(text.format(po=po, label=f"`{FORWARDING_LABEL}`"))
    elif gate.by is None and gate.label == EMERGENCY_LABEL:
        people = [f"`@{_login(login)}`" for login in gate.allowed]
        text = _("the label {label} added by someone who may declare an emergency ({people})")
        items.append(text.format(label=f"`{EMERGENCY_LABEL}`", people=_either(people)))
    for actor in gate.ignored:
        who = f"`@{_login(actor)}`" if actor else _("an unknown account")
        text = _("the label {label} added by {who} does not count and was ignored")
        items.append(text.format(label=f"`{_plain(gate.label)}`", who=who))
    return items


def _vetoes(vetoes: tuple[Veto, ...]) -> list[str]:
    lines = ["", "#### " + _("Vetoes"), ""]
    for veto in vetoes[:MAX_VETOES]:
        lines += [*_veto(veto), ""]
    more = len(vetoes) - MAX_VETOES
    if more > 0:
        text = ngettext(
            "and {n} more veto: see the reviews", "and {n} more vetoes: see the reviews", more
        )
        lines += [f"_{text.format(n=more)}_", ""]
    lines.append(
        _("Whoever requested changes must approve again, on the head commit, for the PR to go on.")
    )
    return lines


def _veto(veto: Veto) -> list[str]:
    why = [_(_CAPACITIES[veto.capacity])] if veto.capacity else []
    if veto.involved and veto.capacity is not Capacity.INVOLVED:
        why.append(_("involved"))
    who = f"`@{_login(veto.login)}`" + (f" ({', '.join(why)})" if why else "")
    if veto.rdm_id:
        head = _("{who} requested changes in {rdm}").format(who=who, rdm=veto.rdm_id)
    else:
        head = _("{who} requested changes").format(who=who)
    if veto.review_id > 0:  # an anchor of the PR's own page: no address from outside
        link = _("see the review")
        head += f" ([{link}](#pullrequestreview-{veto.review_id}))"
    text = _cut(veto.body, VETO_CHARS, VETO_LINES)
    if not text.strip():
        return [f"{head}:", "", "_{}_".format(_("(the review has no text)"))]
    return [f"{head}:", "", *_fenced(text)]


def _reasons(reasons: tuple[str, ...]) -> str:
    shown = [_cut(r, REASON_CHARS, 1) for r in reasons[:MAX_REASONS]]
    if len(reasons) > MAX_REASONS:
        shown.append(f"… and {len(reasons) - MAX_REASONS} more")
    block = "\n".join(_fenced("\n".join(f"- {r}" for r in shown) or "-"))
    summary = _("Reasons, as {command} prints them").format(command="<code>rdm approvals</code>")
    return f"<details><summary>{summary}</summary>\n\n{block}\n\n</details>"


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
        if lines == 1:
            return short + "…"
        cut = ngettext("({n} character cut)", "({n} characters cut)", more).format(n=more)
        return f"{short.rstrip()}\n… {cut}"
    return short


def _fenced(text: str) -> list[str]:
    """A fenced code block that `text` cannot close: the fence outgrows any backtick run."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}text", text, fence]


def _either(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return _("{some} or {last}").format(some=", ".join(items[:-1]), last=items[-1])
