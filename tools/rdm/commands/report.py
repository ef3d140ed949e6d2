"""`rdm report`: the post-implementation review from the execution records."""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path

import click

from rdm.commands import _people
from rdm.commands._translated import TranslatedCommand
from rdm.commands.options import EXIT_OK, parse_date, parse_instant, repo_option
from rdm.commands.output import echo
from rdm.decisions import calendar
from rdm.i18n import N_, _
from rdm.model.problems import UsageError
from rdm.reports import review, review_report


@click.command(
    "report",
    cls=TranslatedCommand,
    help=N_(
        "Post-implementation review: per RDM the outcome, duration against the estimate "
        "and rollback time against the declared one; over a period the success and "
        "rollback rates, share of emergencies, lead time and RDMs per client. HTML draws "
        "the window as a Gantt chart and the trends as charts."
    ),
)
@repo_option
@click.option(
    "--window",
    metavar="DATE",
    callback=parse_date,
    help=N_("One window (its scheduled date, or its new date when moved), with its Gantt chart."),
)
@click.option("--from", "first", metavar="DATE", callback=parse_date, help=N_("First day."))
@click.option("--to", "last", metavar="DATE", callback=parse_date, help=N_("Last day (inclusive)."))
@click.option(
    "--format",
    "output",
    type=click.Choice(["md", "html", "json"]),
    default="md",
    show_default=True,
    help=N_("Output format."),
)
@_people.at_option
@_people.repo_slug_option
def command(
    repo: Path,
    window: date | None,
    first: date | None,
    last: date | None,
    output: str,
    at: str | None,
    repo_slug: str | None,
) -> int:
    if window is not None and (first is not None or last is not None):
        raise UsageError(_("give --window or --from/--to, not both"))
    if window is None and (first is None or last is None):
        raise UsageError(_("give --window DATE, or --from DATE and --to DATE"))
    people = _people.load(repo, parse_instant(at), repo_slug)
    policy = people.policy
    occurrence = None
    if window is not None:
        occurrence = calendar.window_for_date(policy, window)
        if occurrence is None:
            raise UsageError(
                _("{day} is not a change window (see `rdm calendar`)").format(day=window)
            )
        period = review_report.Period(
            occurrence.start,
            occurrence.end,
            occurrence,
            occurrence.start.date(),
            occurrence.start.date(),
        )
    else:
        assert first is not None and last is not None  # checked above
        if last < first:
            raise UsageError(_("--to comes before --from"))
        period = review_report.Period(
            policy.wall(first, time()),
            policy.wall(last + timedelta(days=1), time()),
            None,
            first,
            last,
        )
    submitted = {s.rdm.id: s.submission.at for s in people.statuses if s.submission is not None}
    rdms = {s.rdm.id: s.rdm for s in people.statuses}
    # The records `rdm list` takes for runs of an RDM (of its version or an earlier one;
    # a record on another commit is no run of it), as of now (--at replays); those of an
    # RDM whose file is gone, from the records alone.
    records = [
        *(r for s in people.statuses for r in s.runs),
        *(r for r in people.gathered.orphans if r.started_at <= people.now),
    ]
    rows = review.rows(records, rdms, submitted, period.start, period.end)
    metrics = review.metrics(rows)
    weeks = review.weeks(rows, period.first, period.last, policy.zone)
    if output == "json":
        echo(review_report.report_json(period, rows, metrics, weeks))
    elif output == "html":
        echo(review_report.report_html(period, rows, metrics, weeks, policy), nl=False)
    else:
        echo(review_report.report_md(period, rows, metrics, policy), nl=False)
    return EXIT_OK
