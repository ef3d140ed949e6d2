"""The agenda and the report in a real browser: Debian's headless Chromium, driven
by Selenium through chromium-driver.

The report's Gantt bars are measured as Chromium lays them out and compared with
the execution records (a 6-hour window over the axis' width: a bar's share of the
axis is its share of the window); the tables are read back as a person sees
them. Screenshots land in build/browser/ (test artifacts, not committed);
RDM_UPDATE_GOLDEN=1 also refreshes docs/report.png, the README's picture.

Skipped, with the reason, only outside CI when Chromium is missing; under
CI=true a missing Chromium fails (`.ci/run` installs it with `make browser`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

import people_repo
from conftest import ROOT
from rdm.edges import notes
from rdm.model.records import (
    ExecutionRecord,
    Outcome,
    Rollback,
    TopologyOutcome,
    TopologyRecord,
)

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "build" / "browser"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1200,1000",
)


def _binaries() -> tuple[str, str]:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if Path(chromium).exists() and Path(driver).exists():
        return chromium, driver
    reason = (
        "Chromium or chromium-driver is missing (Debian packages chromium and "
        "chromium-driver; `make browser` installs them as root)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"under CI the browser tests must run: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    chromium, chromedriver = _binaries()
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not look online
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    browser = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    browser.set_page_load_timeout(30)
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The people repository, plus a standard change rolled back in the window of 12-03."""
    root = tmp_path_factory.mktemp("browser") / "repo"
    merges = people_repo.build(root, merge_0044=True)
    notes.append(root, merges["RDM-2026-0044"], [record_0044(merges["RDM-2026-0044"])])
    return root


def record_0044(sha: str) -> ExecutionRecord:
    start = people_repo.t("2026-12-03T01:25:00-03:00")
    return ExecutionRecord(
        rdm_id="RDM-2026-0044",
        outcome=Outcome.ROLLED_BACK,
        merge_commit=sha,
        revision=sha,
        started_at=start,
        finished_at=start + timedelta(minutes=27),
        estimated_duration=timedelta(minutes=15),
        rollback_declared=timedelta(minutes=10),
        pr=13,
        window=date(2026, 12, 3),
        change_type="standard",
        priority="P4",
        topologies=(
            TopologyRecord(
                "hospital-santa-luzia",
                TopologyOutcome.ROLLED_BACK,
                start,
                start + timedelta(minutes=27),
                error="protheus-appserver-homolog: not Ready",
                rollback=Rollback(
                    start + timedelta(minutes=15),
                    start + timedelta(minutes=27),
                    timedelta(minutes=10),
                    "protheus-appserver-homolog did not become Ready",
                ),
            ),
        ),
    )


def _render(repo: Path, name: str, *args: str) -> Path:
    out = subprocess.run(
        [sys.executable, "-m", "rdm.cli", *args, "--repo", str(repo), "--format", "html"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "RDM_LANG": "pt_BR"},
    ).stdout
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = ARTIFACTS / name
    page.write_text(out, encoding="utf-8")
    return page


def _cells(driver: object, selector: str) -> list[list[str]]:
    from selenium.webdriver.common.by import By

    rows = driver.find_elements(By.CSS_SELECTOR, selector)  # type: ignore[attr-defined]
    return [[c.text for c in r.find_elements(By.CSS_SELECTOR, "td")] for r in rows]


def test_report_gantt_bars_match_the_records(driver: object, history: Path) -> None:
    from selenium.webdriver.common.by import By

    page = _render(
        history, "report.html", "report", "--window", "2026-12-03",
        "--at", "2026-12-14T12:00:00-03:00",
    )  # fmt: skip
    driver.get(page.as_uri())  # type: ignore[attr-defined]
    find = driver.find_element  # type: ignore[attr-defined]
    assert find(By.TAG_NAME, "h1").text == "Revisão pós-implementação — janela de 2026-12-03"
    axis = find(By.CSS_SELECTOR, "line[data-axis=time]").rect
    minute = axis["width"] / 360  # the window lasts 6 h

    def bar(rdm: str, kind: str) -> dict[str, float]:
        selector = f'rect[data-rdm="{rdm}"][data-kind="{kind}"]'
        rect: dict[str, float] = find(By.CSS_SELECTOR, selector).rect
        return rect

    # (rdm, kind): (minutes after 00:00 it starts, minutes it lasts), from the records
    expected = {
        ("RDM-2026-0041", "actual"): (5, 75),
        ("RDM-2026-0041", "planned"): (5, 90),
        ("RDM-2026-0041", "budget"): (95, 45),
        ("RDM-2026-0044", "actual"): (85, 27),
        ("RDM-2026-0044", "planned"): (85, 15),
        ("RDM-2026-0044", "rollback"): (100, 12),
    }
    for (rdm, kind), (start, length) in expected.items():
        rect = bar(rdm, kind)
        assert rect["x"] - axis["x"] == pytest.approx(start * minute, abs=1.0), (rdm, kind)
        assert rect["width"] == pytest.approx(length * minute, abs=1.0), (rdm, kind)
    # one rollback, of the standard change, marked in red
    rollbacks = driver.find_elements(By.CSS_SELECTOR, "rect[data-kind=rollback]")  # type: ignore[attr-defined]
    assert [r.get_attribute("data-rdm") for r in rollbacks] == ["RDM-2026-0044"]
    color = driver.execute_script(  # type: ignore[attr-defined]
        "return getComputedStyle(arguments[0]).fill", rollbacks[0]
    )
    assert color == "rgb(198, 47, 47)"
    rows = _cells(driver, "table.changes tbody tr")
    assert [r[0] for r in rows] == ["RDM-2026-0041", "RDM-2026-0044"]
    assert rows[0][3:6] == ["executada", "2026-12-03 00:05 -03:00", "1h15m / 1h30m (-15m)"]
    assert rows[1][3] == "revertida" and rows[1][6] == "12m / 10m (acima)"
    metrics = {
        m.get_attribute("data-metric"): m.find_element(By.TAG_NAME, "b").text
        for m in driver.find_elements(By.CSS_SELECTOR, ".metric")  # type: ignore[attr-defined]
    }
    assert metrics["success"] == "50,0 %" and metrics["rollback"] == "50,0 %"
    shot = ARTIFACTS / "report.png"
    driver.save_screenshot(str(shot))  # type: ignore[attr-defined]
    assert shot.stat().st_size > 10_000
    if os.environ.get("RDM_UPDATE_GOLDEN") == "1":
        shutil.copyfile(shot, ROOT / "docs" / "report.png")


def test_period_report_draws_trends(driver: object, history: Path) -> None:
    from selenium.webdriver.common.by import By

    page = _render(
        history, "report-period.html", "report", "--from", "2026-11-23", "--to", "2026-12-13",
        "--at", "2026-12-14T12:00:00-03:00",
    )  # fmt: skip
    driver.get(page.as_uri())  # type: ignore[attr-defined]
    charts = driver.find_elements(By.CSS_SELECTOR, "svg.trend")  # type: ignore[attr-defined]
    assert [c.get_attribute("data-trend") for c in charts] == ["count", "success", "lead"]
    bars = charts[0].find_elements(By.CSS_SELECTOR, "rect.trend-bar")
    heights = [round(b.rect["height"]) for b in bars]
    # three weeks; the week of 11-30 ran 1 executed + 2 rolled back (the tallest, 80 px)
    assert heights == [0, 0, round(80 / 3), round(160 / 3), 0, 0]
    # one week ran changes: one success-rate dot, at 1/3 of the 80 px scale
    (dot,) = charts[1].find_elements(By.CSS_SELECTOR, "circle.trend-dot")
    assert float(dot.get_attribute("cy")) == pytest.approx(96 - 80 / 3, abs=0.1)
    driver.save_screenshot(str(ARTIFACTS / "report-period.png"))  # type: ignore[attr-defined]


def test_agenda_in_the_browser(driver: object, history: Path) -> None:
    from selenium.webdriver.common.by import By

    page = _render(
        history,
        "agenda.html",
        "agenda",
        "--meeting",
        "2026-12-08",
        "--at",
        "2026-12-08T13:00:00-03:00",
    )
    driver.get(page.as_uri())  # type: ignore[attr-defined]
    assert driver.find_element(By.TAG_NAME, "h1").text == "Pauta do comitê de mudanças — 2026-12-08"  # type: ignore[attr-defined]
    sections = [h.text for h in driver.find_elements(By.TAG_NAME, "h2")]  # type: ignore[attr-defined]
    assert sections[0] == "Para deliberação (submetidas dentro do prazo)"
    rows = _cells(driver, "table.rdms tbody tr")
    assert [r[0] for r in rows] == [
        "RDM-2026-0042",
        "RDM-2026-0043",
        "RDM-2026-0041",
        "RDM-2026-0044",
    ]
    assert rows[0][4] == "2026-12-10" and "agora pode entrar na janela de 2026-12-17" in rows[0][6]
    driver.save_screenshot(str(ARTIFACTS / "agenda.png"))  # type: ignore[attr-defined]
