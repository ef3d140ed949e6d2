"""Conflicts and capacity across RDMs, through the pure API the gate shares.

`rdm validate` reports these at the pull request (tests/cases/validate/*/rdm-conflict*,
rdm-capacity*, rdm-depends-on); here the functions themselves: what an RDM
changes, who conflicts with whom (checked against a brute-force oracle over
generated sets of RDMs), capacity with a freeze cutting the window, and
`fits_at` for the gate's "may it still start now".
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from itertools import combinations
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT
from rdm.decisions import calendar, conflicts
from rdm.decisions.standard import TopologyDiff
from rdm.edges.repository import load_work_tree
from rdm.model.rdms import Rdm
from rdm.model.topologies import WORKLOADS

REPOSITORY = load_work_tree(ROOT)
POLICY = REPOSITORY.calendar
assert POLICY is not None
BASE = REPOSITORY.rdms["RDM-2026-0042"]


def rdm(rdm_id: str, **changes: Any) -> Rdm:
    return dataclasses.replace(BASE, id=rdm_id, **changes)


def topology(org: str = "grupo-alvorada") -> dict[str, Any]:
    return dict(REPOSITORY.data[f"topologies/{org}.yaml"])


# ---------------------------------------------------------------- what an RDM changes


def test_parts_changed_by_workload_image_database_and_other_keys() -> None:
    base = topology()
    head = {
        **base,
        "release": "12.1.2510",
        "images": {**base["images"], "webservice": "registry.saas.local/protheus/appserver:x-1"},
        "database": {**base["database"], "port": 1434},
        "workloads": {
            **base["workloads"],
            "protheus-tss": {**base["workloads"]["protheus-tss"], "replicas": 2},
        },
    }
    assert conflicts.parts_changed(base, head) == {
        "release",
        "protheus-webservice-prod",
        "protheus-webservice-homolog",
        "protheus-dbaccess",
        "protheus-tss",
    }
    assert conflicts.parts_changed(base, base) == frozenset()
    assert conflicts.parts_changed(None, head) == frozenset(WORKLOADS)
    assert conflicts.parts_changed(base, None) == frozenset(WORKLOADS)


def test_plan_declared_then_diff_then_assumed() -> None:
    declared = rdm("RDM-2026-0050", declared_workloads=("protheus-tss",))
    assert conflicts.plan(declared).parts == {"metalurgica-sao-jorge": {"protheus-tss"}}
    base = topology("metalurgica-sao-jorge")
    head = {**base, "release": "12.1.2510"}
    diffs = {"metalurgica-sao-jorge": TopologyDiff("metalurgica-sao-jorge", base, head)}
    from_diff = conflicts.plan(BASE, diffs)
    assert (from_diff.parts, from_diff.assumed) == ({"metalurgica-sao-jorge": {"release"}}, set())
    assumed = conflicts.plan(BASE)
    assert assumed.assumed == {"metalurgica-sao-jorge"}
    assert assumed.parts["metalurgica-sao-jorge"] == {
        "protheus-appserver-prod",
        "protheus-appserver-update",
        "protheus-dbaccess",
        "protheus-license",
        "protheus-lockserver",
        "protheus-status",
        "protheus-tss",
        "protheus-webservice-prod",
    }


# ---------------------------------------------------------------- conflicts, against an oracle

ORGS = ("grupo-alvorada", "hospital-santa-luzia", "metalurgica-sao-jorge")
WINDOWS = (date(2026, 12, 3), date(2026, 12, 10), date(2026, 12, 24))  # the last one is moved
SOME_WORKLOADS = ("protheus-tss", "protheus-dbaccess", "protheus-status")


@st.composite
def rdm_sets(draw: st.DrawFn) -> list[Rdm]:
    count = draw(st.integers(2, 6))
    found: list[Rdm] = []
    for n in range(count):
        rdm_id = f"RDM-2026-{n + 50:04d}"
        earlier = [r.id for r in found]
        found.append(
            rdm(
                rdm_id,
                targets=tuple(draw(st.sets(st.sampled_from(ORGS), min_size=1, max_size=2))),
                window=draw(st.sampled_from(WINDOWS)),
                declared_workloads=tuple(
                    draw(st.sets(st.sampled_from(SOME_WORKLOADS), min_size=1, max_size=2))
                ),
                depends_on=tuple(draw(st.sets(st.sampled_from(earlier)))) if earlier else (),
            )
        )
    return found


def _runs_after(rdms: list[Rdm], a: str, b: str) -> bool:
    by_id = {r.id: r for r in rdms}
    stack, seen = list(by_id[a].depends_on), set()
    while stack:
        current = stack.pop()
        if current == b:
            return True
        if current not in seen:
            seen.add(current)
            stack.extend(by_id[current].depends_on)
    return False


@settings(max_examples=150, deadline=None)
@given(rdm_sets())
def test_conflicts_are_exactly_the_unordered_overlaps(rdms: list[Rdm]) -> None:
    assert POLICY is not None
    found = conflicts.conflicts([conflicts.plan(r) for r in rdms], POLICY)
    named = {(f.rdm_id, other) for f in found for other in f.others}
    expected = set()
    for a, b in combinations(rdms, 2):
        same_window = calendar.window_for_date(POLICY, a.window) == calendar.window_for_date(  # type: ignore[arg-type]
            POLICY, b.window  # type: ignore[arg-type]
        )
        overlap = set(a.targets) & set(b.targets) and set(a.declared_workloads or ()) & set(
            b.declared_workloads or ()
        )
        ordered = _runs_after(rdms, a.id, b.id) or _runs_after(rdms, b.id, a.id)
        if same_window and overlap and not ordered:
            expected |= {(a.id, b.id), (b.id, a.id)}
    assert named == expected
    assert all(f.rule == "rdm-conflict" and f.pointer == ("window",) for f in found)


def test_a_moved_window_named_by_either_date_is_one_window() -> None:
    assert POLICY is not None
    a = rdm("RDM-2026-0050", window=date(2026, 12, 24), declared_workloads=("protheus-tss",))
    b = rdm("RDM-2026-0051", window=date(2026, 12, 22), declared_workloads=("protheus-tss",))
    (first, second) = conflicts.conflicts([conflicts.plan(a), conflicts.plan(b)], POLICY)
    assert (first.rdm_id, first.others, second.rdm_id, second.others) == (
        "RDM-2026-0050", ("RDM-2026-0051",), "RDM-2026-0051", ("RDM-2026-0050",)
    )
    assert first.message == (
        "the window of 2026-12-22 22:00 -03:00 has other changes to metalurgica-sao-jorge: "
        "RDM-2026-0051 changes protheus-tss; name the one that runs first in the other's "
        "dependsOn, or move one to another window"
    )


def test_emergencies_have_no_window_to_share() -> None:
    assert POLICY is not None
    emergency = REPOSITORY.rdms["RDM-2026-0043"]
    other = rdm("RDM-2026-0050", targets=emergency.targets)
    assert conflicts.conflicts([conflicts.plan(emergency), conflicts.plan(other)], POLICY) == []


# ---------------------------------------------------------------- capacity


def test_capacity_counts_only_the_unfrozen_time() -> None:
    assert POLICY is not None
    freeze = calendar.Freeze(
        datetime.fromisoformat("2026-12-10T02:00:00-03:00"),
        datetime.fromisoformat("2026-12-10T03:30:00-03:00"),
        "Virada do eSocial",
    )
    policy = dataclasses.replace(POLICY, freezes=(*POLICY.freezes, freeze))
    two_hours = {"estimated_duration": timedelta(hours=1), "rollback_duration": timedelta(hours=1)}
    fit = [rdm("RDM-2026-0050", **two_hours), rdm("RDM-2026-0051", **two_hours)]
    assert conflicts.capacity([conflicts.plan(r) for r in fit], policy) == []
    over = [*fit, rdm("RDM-2026-0052", estimated_duration=timedelta(minutes=31),
                      rollback_duration=timedelta(minutes=0))]
    found = conflicts.capacity([conflicts.plan(r) for r in over], policy)
    assert [(f.rdm_id, f.others) for f in found] == [
        ("RDM-2026-0050", ("RDM-2026-0051", "RDM-2026-0052")),
        ("RDM-2026-0051", ("RDM-2026-0050", "RDM-2026-0052")),
        ("RDM-2026-0052", ("RDM-2026-0050", "RDM-2026-0051")),
    ]
    assert found[0].message == (
        "the window of 2026-12-10 00:00 -03:00 holds 4h30m outside the freeze, and the RDMs on "
        "metalurgica-sao-jorge need 4h31m of implementation and rollback: RDM-2026-0050 (2h), "
        "RDM-2026-0051 (2h), RDM-2026-0052 (31m); move one to another window"
    )


# ---------------------------------------------------------------- the gate: may it start now?


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("2026-12-10T00:00:00-03:00", None),
        ("2026-12-10T05:10:00-03:00", None),  # 30m + 20m ends 06:00: exactly fits
        (
            "2026-12-10T05:11:00-03:00",
            "implementation 30m + rollback 20m from 2026-12-10 05:11 -03:00 would end at "
            "2026-12-10 06:01 -03:00, after the window closes at 2026-12-10 06:00 -03:00; it had "
            "to start by 2026-12-10 05:10 -03:00",
        ),
        ("2026-12-09T23:00:00-03:00", "no window is open at 2026-12-09 23:00 -03:00"),
        ("2026-12-10T09:00:00Z", "no window is open at 2026-12-10 06:00 -03:00"),
    ],
)
def test_fits_at(at: str, message: str | None) -> None:
    assert POLICY is not None
    found = conflicts.fits_at(BASE, datetime.fromisoformat(at), POLICY)
    assert (found.message if found else None) == message


def test_a_long_chain_of_dependencies_orders_everyone_in_it() -> None:
    # 400 RDMs on one client in one window, each after the one before: no conflict,
    # however far apart two of them are on the chain; one link short, two conflict.
    assert POLICY is not None
    chain = [
        rdm(
            f"RDM-2026-{n + 1000:04d}",
            window=date(2026, 12, 10),
            declared_workloads=("protheus-tss",),
            depends_on=(f"RDM-2026-{n + 999:04d}",) if n else (),
        )
        for n in range(400)
    ]
    plans = [conflicts.plan(r) for r in chain]
    assert conflicts.conflicts(plans, POLICY) == []
    assert conflicts.dependency_findings(chain, {r.id for r in chain}, POLICY) == []
    broken = [*chain[:200], dataclasses.replace(chain[200], depends_on=()), *chain[201:]]
    found = conflicts.conflicts([conflicts.plan(r) for r in broken], POLICY)
    # The chain falls in two: each of the first 200 conflicts with each of the last 200.
    assert len(found) == 400
    assert all(len(f.others) == 200 for f in found)


def test_a_loop_of_dependencies_is_found_however_long() -> None:
    loop = [
        rdm(f"RDM-2026-{n + 1000:04d}", depends_on=(f"RDM-2026-{(n + 1) % 300 + 1000:04d}",))
        for n in range(300)
    ]
    found = conflicts.dependency_findings(loop, {r.id for r in loop}, None)
    assert len(found) == 300
    assert found[0].message == (
        "RDM-2026-1001 runs after RDM-2026-1000 again (a loop of dependsOn), so neither can "
        "run first; remove one dependency of the loop"
    )
