"""What Prometheus sees of `bumper serve`: counters the daemon bumps and gauges read live.

The registry is the daemon's own (not prometheus_client's global one), so /metrics shows
bumper's series and nothing else. Gauges of the present (entries, open PRs, readiness) are
computed from a Snapshot at scrape time rather than kept in step by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bumper.github.http import request_counts
from bumper.serve.statuspage import Snapshot

PASS_OUTCOMES = ("ok", "failed", "stopped", "crashed", "skipped")
ENTRY_STATES = ("bumped", "up-to-date", "held", "failed", "skipped", "pending")


class Metrics:
    """Prometheus metrics in a registry of their own; gauges of the present are read live."""

    def __init__(self, snapshot: Callable[[], Snapshot]) -> None:
        # `*_created` series double the output and no dashboard reads them.
        disable_created_metrics()
        self.registry = CollectorRegistry()
        r = self.registry
        self.passes = Counter("bumper_passes", "Passes by result", ["result"], registry=r)
        for outcome in PASS_OUTCOMES:
            self.passes.labels(outcome)
        self.duration = Histogram(
            "bumper_pass_duration_seconds",
            "Wall time of finished passes",
            buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
            registry=r,
        )
        self.requests = Counter(
            "bumper_requests",
            "Requests passes sent, by kind (git: upstream look-ups; rest, graphql: GitHub API) "
            "and HTTP status (error: no answer)",
            ["kind", "status"],
            registry=r,
        )
        self.reloads = Counter(
            "bumper_config_reloads", "Config reloads (SIGHUP) by result", ["result"], registry=r
        )
        for result in ("ok", "failed"):
            self.reloads.labels(result)
        self.last_pass = Gauge(
            "bumper_last_pass_timestamp_seconds", "When the last pass finished", registry=r
        )
        self.last_complete = Gauge(
            "bumper_last_complete_pass_timestamp_seconds",
            "When a pass last went through every entry, even if some of them failed: alert on "
            "its age to learn that passes stopped, and on bumper_entry_failing for entries",
            registry=r,
        )
        self.last_success = Gauge(
            "bumper_last_success_timestamp_seconds",
            "When a pass last finished with no failed entry",
            registry=r,
        )
        r.register(_LiveCollector(snapshot))

    def count_requests(self, requests: Mapping[str, int]) -> None:
        """Add a pass's request counts (as ``PassReport.requests`` has them) to the counter."""
        for (kind, status), n in request_counts(requests).items():
            self.requests.labels(kind, status).inc(n)


class _LiveCollector(Collector):
    def __init__(self, snapshot: Callable[[], Snapshot]) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[GaugeMetricFamily]:
        snap = self.snapshot()
        entries = GaugeMetricFamily("bumper_entries", "Matrix entries by state", labels=["state"])
        counts = snap.counts()
        for state in ENTRY_STATES:
            entries.add_metric([state], counts.get(state, 0))
        yield entries
        open_prs = {v.pr for v in snap.entries if v.pr is not None and _open(v.status)}
        yield GaugeMetricFamily(
            "bumper_open_pull_requests",
            "Pull requests bumper has open, as of the last pass",
            value=len(open_prs),
        )
        if snap.rate_limit_remaining is not None:
            yield GaugeMetricFamily(
                "bumper_rate_limit_remaining",
                "GitHub API requests left in this hour's window, after the last pass",
                value=snap.rate_limit_remaining,
            )
        yield from _entry_gauges(snap)
        yield GaugeMetricFamily(
            "bumper_pass_running", "1 while a pass runs", value=int(snap.pass_running)
        )
        yield GaugeMetricFamily("bumper_ready", "1 when /readyz answers 200", value=int(snap.ready))
        if snap.next_pass_at is not None:
            yield GaugeMetricFamily(
                "bumper_next_pass_timestamp_seconds",
                "When the next scheduled pass is due",
                value=snap.next_pass_at,
            )


def _entry_gauges(snap: Snapshot) -> Iterator[GaugeMetricFamily]:
    """One series per matrix entry, labelled by variable and file, for per-pin alerts."""
    labels = ["variable", "file"]
    failing = GaugeMetricFamily(
        "bumper_entry_failing", "1 while the entry's last pass failed", labels=labels
    )
    held = GaugeMetricFamily("bumper_entry_held", "1 while the entry is held", labels=labels)
    behind = GaugeMetricFamily(
        "bumper_entry_behind_commits",
        "Commits the pin lags its upstream branch, where the last pass counted them",
        labels=labels,
    )
    for view in snap.entries:
        key = [view.variable, view.file]
        failing.add_metric(key, int(view.status == "failed"))
        held.add_metric(key, int(view.status == "held"))
        if view.behind is not None:
            behind.add_metric(key, view.behind)
    yield failing
    yield held
    yield behind


def _open(status: str) -> bool:
    # bumped: this pass opened or updated it; up-to-date with a PR: the PR already has the sha.
    return status in ("bumped", "up-to-date")
