"""Execution records: a note written is the note read; a hostile note gives messages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rdm import i18n
from rdm.model.records import (
    MAX_NOTE_BYTES,
    Approver,
    Capacity,
    ExecutionRecord,
    Outcome,
    Rollback,
    TopologyOutcome,
    TopologyRecord,
    note_text,
    parse_note,
)

BRT = timezone(timedelta(hours=-3))


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """The messages are asserted in English, their source text (pt-BR is the catalog's)."""
    with i18n.using("en"):
        yield
T0 = datetime(2026, 12, 10, 0, 5, tzinfo=BRT)


def record(**changes: object) -> ExecutionRecord:
    base: dict[str, object] = {
        "rdm_id": "RDM-2026-0042",
        "outcome": Outcome.ROLLED_BACK,
        "merge_commit": "a" * 40,
        "revision": "a" * 40,
        "started_at": T0,
        "finished_at": T0 + timedelta(minutes=21),
        "estimated_duration": timedelta(minutes=30),
        "rollback_declared": timedelta(minutes=20),
        "pr": 17,
        "window": date(2026, 12, 10),
        "priority": "P2",
        "approvers": (
            Approver("ana-gerente-mudancas", 101, Capacity.MEMBER, T0 - timedelta(days=2)),
            Approver("fernanda-coord-services", 102, Capacity.DELEGATE, None, "diretor-services"),
        ),
        "topologies": (
            TopologyRecord(
                "metalurgica-sao-jorge",
                TopologyOutcome.ROLLED_BACK,
                T0,
                T0 + timedelta(minutes=21),
                snapshot_id="metalurgica-sao-jorge-20261210t030500z",
                error="protheus-appserver-prod: ProgressDeadlineExceeded",
                rollback=Rollback(
                    T0 + timedelta(minutes=12),
                    T0 + timedelta(minutes=21),
                    timedelta(minutes=20),
                    "protheus-appserver-prod did not become Ready",
                ),
            ),
        ),
        "reasons": ("approved: consensus of CM",),
    }
    base.update(changes)
    return ExecutionRecord(**base)  # type: ignore[arg-type]


def test_a_note_round_trips() -> None:
    first = record(outcome=Outcome.REFUSED, topologies=(), reasons=("blocked: no consensus",))
    second = record()
    records, errors = parse_note(note_text([first, second]).encode())
    assert errors == []
    assert records == [first, second]


def test_rollback_time_against_the_declared_one() -> None:
    ((org, rollback),) = record().rollbacks
    assert org == "metalurgica-sao-jorge"
    assert rollback.duration == timedelta(minutes=9)
    assert rollback.within_declared
    late = Rollback(T0, T0 + timedelta(minutes=25), timedelta(minutes=20), "x")
    assert not late.within_declared


def test_the_json_names_the_rollback_time() -> None:
    body = json.loads(note_text([record()]))
    rollback = body["records"][0]["topologies"][0]["rollback"]
    assert (rollback["seconds"], rollback["declaredSeconds"], rollback["withinDeclared"]) == (
        540,
        1200,
        True,
    )


def test_keys_of_a_newer_rdm_are_kept() -> None:
    body = json.loads(note_text([record()]))
    body["records"][0]["reviewedAt"] = "2026-12-15T14:30:00-03:00"
    records, errors = parse_note(json.dumps(body).encode())
    assert errors == []
    assert records[0].extra == {"reviewedAt": "2026-12-15T14:30:00-03:00"}
    assert json.loads(note_text(records))["records"][0]["reviewedAt"] == "2026-12-15T14:30:00-03:00"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.pop("rdm"), "record 1: 'rdm' is missing or not str"),
        (lambda r: r.update(outcome="done"), "record 1: 'outcome' is 'done', not one of"),
        (
            lambda r: r.update(startedAt="2026-12-10T00:05"),
            "record 1: 'startedAt' has no UTC",
        ),
        (lambda r: r.update(startedAt="ontem"), "record 1: 'startedAt' is not an ISO 8601"),
        (
            lambda r: r.update(estimatedSeconds=True),
            "record 1: 'estimatedSeconds' is missing",
        ),
        (lambda r: r.update(estimatedSeconds=-1), "record 1: 'estimatedSeconds' is out of range"),
        (
            lambda r: r.update(estimatedSeconds=10**30),
            "record 1: 'estimatedSeconds' is out of range",
        ),
        (lambda r: r.update(window="2026-13-01"), "record 1: 'window' is not a date"),
        (
            lambda r: r.update(finishedAt="2026-12-10T00:04:00-03:00"),
            "record 1: RDM-2026-0042 ends (2026-12-10T00:04:00-03:00) before it starts",
        ),
        (
            lambda r: r["topologies"][0].update(finishedAt="2026-12-09T00:00:00-03:00"),
            "record 1: RDM-2026-0042: the run of metalurgica-sao-jorge ends before it starts",
        ),
        (
            lambda r: r["topologies"][0]["rollback"].update(startedAt="2026-12-11T00:00:00Z"),
            "record 1: RDM-2026-0042: the rollback of metalurgica-sao-jorge ends before",
        ),
        (lambda r: r.update(approvers=[1]), "record 1: an approver is not an object"),
        (lambda r: r.update(topologies={"a": 1}), "record 1: 'topologies' is missing or not list"),
        (
            lambda r: r.update(reasons=[None]),
            "record 1: 'reasons' holds something",
        ),
    ],
)
def test_a_bad_record_is_a_message_and_the_others_are_read(mutate, message) -> None:  # type: ignore[no-untyped-def]
    body = json.loads(note_text([record(), record(rdm_id="RDM-2026-0043")]))
    mutate(body["records"][0])
    records, errors = parse_note(json.dumps(body).encode())
    assert [r.rdm_id for r in records] == ["RDM-2026-0043"]
    assert len(errors) == 1 and errors[0].startswith(message), errors


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff\xfe", "the note is not JSON"),
        (b"[]", "the note is not an rdm execution note"),
        (b'{"schema": "rdm.execution/v2", "records": []}', "the note is not an rdm execution note"),
        (b'{"schema": "rdm.execution/v1"}', "the note has no 'records' list"),
        (b"[" * 100_000 + b"]" * 100_000, "the note is"),
        (b" " * (MAX_NOTE_BYTES + 1), "the note is over 1024 KiB"),
    ],
)
def test_a_note_that_is_not_a_note(raw: bytes, message: str) -> None:
    records, errors = parse_note(raw)
    assert records == []
    assert errors[0].startswith(message), errors


@given(st.binary(max_size=2000))
def test_any_bytes_give_records_or_messages(raw: bytes) -> None:
    records, errors = parse_note(raw)
    assert isinstance(records, list) and isinstance(errors, list)


def test_times_keep_their_offset() -> None:
    utc = record(started_at=T0.astimezone(UTC))
    (read,), _ = parse_note(note_text([utc]).encode())
    assert read.started_at == T0 and read.started_at.utcoffset() == timedelta(0)
