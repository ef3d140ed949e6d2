"""TEMPORARY stand-in until the calendar branch lands (replaced wholesale by it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rdm.documents import Document
from rdm.problems import Problem


@dataclass(frozen=True)
class Occurrence:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class CalendarPolicy:
    zone: ZoneInfo
    start: time
    end: time

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> CalendarPolicy:
        return cls(
            ZoneInfo(data["timezone"]),
            time.fromisoformat(data["window"]["start"]),
            time.fromisoformat(data["window"]["end"]),
        )


def window_for_date(policy: CalendarPolicy, day: date) -> Occurrence | None:
    if day.weekday() != 3:
        return None
    return Occurrence(
        datetime.combine(day, policy.start, policy.zone),
        datetime.combine(day, policy.end, policy.zone),
    )


def check_policy(document: Document) -> list[Problem]:
    return []


_ = timedelta
