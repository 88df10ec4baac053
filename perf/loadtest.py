"""Load and fault test: gunicorn with the production settings on PostgreSQL, driven by
Locust, on loopback only.

Unit tests cannot show that LVM keeps every submission under concurrent use, answers
tampered forms with 4xx rather than 5xx, or copes with its database going away. This
driver shows it end to end, bounded in time and only ever talking to 127.0.0.1:

1. It drops and re-creates its own database (``lvm_load`` by default; the name must
   contain "load" and the host must be loopback), migrates it, loads the questionnaire
   and seeds employees in teams of at least k, their managers, an HR user, a probe user
   and an open cycle (plus a closed one everybody submitted, so the dashboards have a
   trend), all through the services.
2. It starts gunicorn with the production settings (``DEBUG=false``, a fresh
   ``SECRET_KEY``, ``ALLOWED_HOSTS=127.0.0.1``; ``STATIC_ROOT`` in a temporary directory)
   on a free loopback port.
3. It runs ``locust --headless`` on perf/locustfile.py with one Locust user per person,
   for a fixed time. Locust logs them in, keeps their cookies, sends the requests and
   counts the latencies.
4. Fault phase (``--no-fault`` skips it): once every employee is answering, PostgreSQL is
   stopped for a few seconds with pg_ctlcluster and started again. Requests in that
   window must fail fast with the error page, the app must recover without a restart,
   and PostgreSQL is always started again.
5. It checks in the database that every submission is stored exactly once, with exactly
   the answers sent and the scores the services give them, and that no response anywhere
   is half-written; then it prints the figures (``--markdown`` adds tables for the docs)
   and exits non-zero if any check failed.

    python -m perf.loadtest --markdown        # 50 employees, fault phase, 60 s of traffic
    python perf/loadtest.py --no-fault --users 20 --duration 30

Importing this module imports neither Django's models nor Locust.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import http.client
import io
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

if __name__ == "__main__":  # run as a script: make the perf package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dj_database_url

from perf.common import ROOT, duration, setup_django
from perf.traffic import (
    EXCEPTIONS_FILE,
    KIND_ORDER,
    OUTCOMES_FILE,
    PROBE_FLAG,
    REQUESTS_FILE,
    RUN_DIR_ENV,
    STATS_FILE,
    Outcomes,
    Plan,
    Sample,
    read_outcomes,
    read_samples,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/lvm_load"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
HOST = "127.0.0.1"
REQUEST_TIMEOUT = 30  # seconds; gunicorn's worker timeout, as in the locustfile
MAX_OUTAGE_LATENCY = 10.0  # seconds: DB_CONNECT_TIMEOUT (5 s) plus a margin
LOCUSTFILE = ROOT / "perf" / "locustfile.py"


class LoadTestError(Exception):
    """The load test cannot run, or failed to set up."""


def check_database_url(url: str) -> dict:
    """Parse a PostgreSQL URL; refuse a host that is not loopback or a name without "load"."""
    try:
        config = dj_database_url.parse(url)
    except ValueError as exc:
        raise LoadTestError(f"Not a database URL: {url!r} ({exc}).") from None
    if config.get("ENGINE") != "django.db.backends.postgresql":
        raise LoadTestError("The load test runs on PostgreSQL: use a postgres:// URL.")
    host = (config.get("HOST") or "").strip("[]")
    if host not in LOOPBACK_HOSTS:
        raise LoadTestError(
            f"Refusing database host {host or '(socket)'!r}: only 127.0.0.1, localhost or ::1."
        )
    if "load" not in (config.get("NAME") or ""):
        raise LoadTestError(
            "The load test drops and re-creates its database, so its name must contain "
            f"'load' (got {config.get('NAME')!r})."
        )
    return config


# --- reading what happened -------------------------------------------------------------------


def status_class(status: int) -> str:
    return f"{status // 100}xx" if status else "no response"


@dataclass
class Window:
    """PostgreSQL was unavailable from ``start`` until ``end`` (seconds since the epoch)."""

    start: float
    end: float
    grace: float = 1.0

    def overlaps(self, sample: Sample) -> bool:
        return sample.ended >= self.start and sample.started <= self.end + self.grace

    def expected_failure(self, sample: Sample) -> bool:
        """A 5xx (or no answer) while the database was down: expected, counted apart."""
        return sample.failed and self.overlaps(sample)


@dataclass
class OutageStats:
    down_for: float
    requests: int
    failed: int
    error_pages: int
    no_response: int
    succeeded: int
    max_latency: float
    recovery: float | None  # from PostgreSQL accepting connections to the first success
    recovery_from_start: float | None  # from the start command to the first success
    timeline: list[tuple[int, int, int]]  # (second since the stop, succeeded, failed)
    succeeded_kinds: dict[str, int]


@dataclass
class Summary:
    """Counts over the requests the locustfile logged; Locust has the latencies."""

    requests: int
    seconds: float
    rps_outside_outage: float
    classes: dict[str, int]
    classes_by_kind: dict[str, dict[str, int]]
    valid: int
    valid_errors: list[Sample]
    outage_failures: int
    bad: int
    bad_4xx: int
    bad_5xx: int
    bad_accepted: int
    dashboards_withheld: int = 0
    dashboards_with_figures: int = 0
    outage: OutageStats | None = None


def summarise(
    samples: list[Sample], *, window: Window | None = None, start_command_at: float | None = None
) -> Summary:
    """Figures for the report; failures while the database was down are counted apart."""

    def expected(s: Sample) -> bool:
        return window is not None and window.expected_failure(s)

    counted = [s for s in samples if not expected(s)]
    by_kind: dict[str, Counter] = {}
    for s in counted:
        by_kind.setdefault(s.kind, Counter())[status_class(s.status)] += 1
    seconds = max(s.ended for s in samples) - min(s.started for s in samples) if samples else 0.0
    if window is None:
        rps_outside = len(samples) / seconds if seconds else 0.0
    else:
        span = seconds - (window.end + window.grace - window.start)
        outside = sum(not window.overlaps(s) for s in samples)
        rps_outside = outside / span if span > 0 else 0.0
    bad = [s for s in counted if not s.valid]
    dashboards = [s for s in counted if s.kind == "dashboard GET" and s.ok]
    summary = Summary(
        requests=len(samples),
        seconds=seconds,
        rps_outside_outage=rps_outside,
        classes=dict(Counter(status_class(s.status) for s in samples)),
        classes_by_kind={kind: dict(c) for kind, c in by_kind.items()},
        valid=sum(s.valid for s in counted),
        valid_errors=[s for s in counted if s.valid and not s.ok],
        outage_failures=sum(expected(s) for s in samples),
        bad=len(bad),
        bad_4xx=sum(400 <= s.status < 500 for s in bad),
        bad_5xx=sum(s.failed for s in bad),
        bad_accepted=sum(0 < s.status < 400 for s in bad),
        dashboards_withheld=sum(s.withheld for s in dashboards),
        dashboards_with_figures=sum(not s.withheld for s in dashboards),
    )
    if window is not None:
        during = [s for s in samples if window.start <= s.started <= window.end]
        failed = [s for s in during if s.failed]
        recovered = [
            s.ended for s in samples if s.ok and s.started > window.start and s.ended >= window.end
        ]
        recovered_at = min(recovered, default=None)
        summary.outage = OutageStats(
            down_for=window.end - window.start,
            requests=len(during),
            failed=len(failed),
            error_pages=sum(s.error_page for s in failed),
            no_response=sum(s.status == 0 for s in during),
            succeeded=sum(s.ok for s in during),
            max_latency=max((s.latency for s in during), default=0.0),
            recovery=None if recovered_at is None else recovered_at - window.end,
            recovery_from_start=(
                None
                if recovered_at is None or start_command_at is None
                else recovered_at - start_command_at
            ),
            timeline=_timeline(samples, window),
            succeeded_kinds=dict(Counter(s.kind for s in during if s.ok)),
        )
    return summary


def _timeline(samples: list[Sample], window: Window) -> list[tuple[int, int, int]]:
    """Requests by the second they started in, from 1 s before the stop to 2 s after."""
    first, last = -1, math.ceil(window.end - window.start) + 2
    seconds = {t: [0, 0] for t in range(first, last + 1)}
    for s in samples:
        t = math.floor(s.started - window.start)
        if first <= t <= last:
            seconds[t][1 if s.failed else 0] += 1
    return [(t, ok, failed) for t, (ok, failed) in seconds.items()]


@dataclass(frozen=True)
class KindStats:
    """One line of Locust's statistics: a kind of request, latencies in milliseconds."""

    kind: str
    count: int
    failures: int
    p50: float
    p95: float
    p99: float
    max: float
    rps: float


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:  # "N/A" when there were no requests
        return math.nan


def read_locust_stats(text: str) -> tuple[list[KindStats], KindStats | None]:
    """The per-kind lines of Locust's ``*_stats.csv`` in report order, and its total."""
    kinds, total = [], None
    for row in csv.DictReader(io.StringIO(text)):
        stats = KindStats(
            kind=row["Name"],
            count=int(row["Request Count"]),
            failures=int(row["Failure Count"]),
            p50=_number(row["50%"]),
            p95=_number(row["95%"]),
            p99=_number(row["99%"]),
            max=_number(row["Max Response Time"]),
            rps=_number(row["Requests/s"]),
        )
        if row["Name"] == "Aggregated":
            total = stats
        else:
            kinds.append(stats)

    def order(k: KindStats) -> tuple[int, str]:
        return (KIND_ORDER.index(k.kind) if k.kind in KIND_ORDER else len(KIND_ORDER), k.kind)

    return sorted(kinds, key=order), total


def _whole(ms: float) -> str:
    return "–" if math.isnan(ms) else f"{ms:.0f}"


def kinds_table(stats: list[KindStats], summary: Summary) -> list[list[str]]:
    """Header and one row per kind: Locust's count and latencies, and our status classes."""
    rows = [["request", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "2xx", "3xx", "4xx", "5xx"]]
    for k in stats:
        classes = summary.classes_by_kind.get(k.kind, {})
        rows.append(
            [
                k.kind,
                str(k.count),
                _whole(k.p50),
                _whole(k.p95),
                _whole(k.p99),
                _whole(k.max),
                *(str(classes.get(c, 0)) for c in ("2xx", "3xx", "4xx", "5xx")),
            ]
        )
    return rows


def markdown_table(rows: list[list[str]]) -> str:
    head, *body = rows
    align = ["---"] + ["--:"] * (len(head) - 1)
    return "\n".join("| " + " | ".join(r) + " |" for r in [head, align, *body])


def text_table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    )


EXCEPTION_RE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception)): ", re.MULTILINE)
LOG_RECORD_RE = re.compile(r"^(?=\d{4}-\d\d-\d\d |\[\d{4}-)", re.MULTILINE)
DATABASE_DOWN = ("OperationalError", "InterfaceError")


@dataclass(frozen=True)
class ServerLog:
    boots: int
    timeouts: int
    server_errors: int
    exceptions: dict[str, int]

    @property
    def other_exceptions(self) -> list[str]:
        """Exceptions that are not the database being unreachable: bugs to look at."""
        return [name for name in self.exceptions if not name.endswith(DATABASE_DOWN)]


def read_server_log(text: str) -> ServerLog:
    """Worker boots and timeouts, and the exceptions behind the 500s, from gunicorn's log.

    Each 500 counts once, by the last exception of its traceback: the ones before it
    ("During handling of the above exception ...") are how it came about.
    """
    final = Counter()
    for record in LOG_RECORD_RE.split(text):
        if "Internal Server Error" in record:
            raised = EXCEPTION_RE.findall(record)
            final[raised[-1] if raised else "(no traceback)"] += 1
    return ServerLog(
        boots=text.count("Booting worker"),
        timeouts=text.count("WORKER TIMEOUT"),
        server_errors=text.count("Internal Server Error"),
        exceptions=dict(final),
    )


@dataclass
class Run:
    """Everything a finished run left behind, for the report."""

    plan: Plan
    workers: int
    users: int
    spawn_rate: float
    seconds: int
    samples: list[Sample]
    outcomes: Outcomes
    stats: list[KindStats]
    total: KindStats | None
    locust_errors: list[str]
    server: ServerLog
    data: object  # perf.loaddata.DataCheck
    pg_version: str = "?"
    deploy_check: str = ""
    fault: Fault | None = None
    fault_errors: list[str] = field(default_factory=list)


def report(run: Run, *, markdown: bool = False) -> tuple[list[str], list[str]]:
    """The report's lines, and the checks that failed (none: the run passed)."""
    out: list[str] = []
    failures: list[str] = []
    fault = run.fault
    window = fault.window() if fault else None
    summary = summarise(
        run.samples, window=window, start_command_at=fault.start_command_at if fault else None
    )
    plan, data = run.plan, run.data
    roles = Counter(plan.roles)
    requests = run.total.count if run.total else summary.requests
    rps = run.total.rps if run.total else math.nan
    out.append("LVM load and fault test (Locust)")
    out.append(
        f"machine: {os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}, PostgreSQL {run.pg_version}, "
        f"gunicorn {run.workers} sync workers, production settings (DEBUG=false)"
    )
    out.append(
        f"users: {len(plan.employees)} employees ({roles['tamper']} tamper, "
        f"{roles['replay']} replay the submit, {roles['concurrent']} submit twice at once, "
        f"{roles['save-later']} save for later), {len(plan.managers)} managers, 1 HR, 1 probe"
    )
    out.append(
        f"traffic: {requests} requests, {rps:.1f} requests/s"
        + (
            f"; {summary.rps_outside_outage:.1f} requests/s while PostgreSQL was up"
            if fault
            else ""
        )
        + f" (locust -u {run.users} -r {run.spawn_rate:g} -t {run.seconds}s; no think time "
        f"while answering, manager pause {plan.manager_pause:g} s)"
    )
    out.append("")
    out.append(text_table(kinds_table(run.stats, summary)))
    if fault:
        out.append(
            "(Locust's latencies include the requests that failed while PostgreSQL was down; "
            "the status classes leave them out)"
        )
    out.append("")
    out.append(
        "status classes (all requests): "
        + ", ".join(f"{c}: {n}" for c, n in sorted(summary.classes.items()))
    )
    out.append(
        f"valid requests: {summary.valid}, errors: {len(summary.valid_errors)}"
        + (f" (plus {summary.outage_failures} expected failures in the outage)" if fault else "")
    )
    for sample in summary.valid_errors[:10]:
        out.append(f"  ERROR {sample.kind}: {sample.note}")
    out.append(
        f"tampered requests: {summary.bad}, 4xx: {summary.bad_4xx}, 5xx: {summary.bad_5xx}, "
        f"accepted: {summary.bad_accepted}"
        + (" (failures in the outage were retried and are not counted)" if fault else "")
    )
    if summary.valid_errors:
        failures.append(f"{len(summary.valid_errors)} valid requests failed")
    if summary.bad_5xx or summary.bad_accepted:
        failures.append("a tampered request was not answered with 4xx")
    if summary.requests != requests:
        failures.append(f"the locustfile logged {summary.requests} requests, Locust {requests}")
    for error in run.locust_errors:
        failures.append(f"the locustfile raised {error}")

    outcomes = run.outcomes
    finished = sum(name in outcomes.finished for name in plan.employees)
    submitted = sum(name in outcomes.sent for name in plan.employees)
    out.append(f"employees finished: {finished} of {len(plan.employees)} ({submitted} submitted)")
    for name, error in sorted(outcomes.errors.items()):
        out.append(f"  {name}: {error}")
        failures.append(f"{name} did not finish")
    for name in plan.employees:
        if name not in outcomes.finished and name not in outcomes.errors:
            out.append(f"  {name}: stopped by the time limit")
            failures.append(f"{name} did not finish")
    out.append(
        f"dashboards: {summary.dashboards_with_figures} loads showed figures, "
        f"{summary.dashboards_withheld} showed no figures (published when the cycle closes)"
    )
    server = run.server
    out.append(
        f"gunicorn: {server.boots} worker boots, {server.timeouts} worker timeouts, "
        f"{server.server_errors} 'Internal Server Error' log entries; exceptions: "
        + (", ".join(f"{n} × {name}" for name, n in server.exceptions.items()) or "none")
    )
    if server.boots != run.workers or server.timeouts:
        failures.append(f"gunicorn restarted workers ({server.boots} boots)")
    if server.other_exceptions:
        failures.append("500s not caused by the database: " + ", ".join(server.other_exceptions))

    o = summary.outage
    if fault is not None:
        for message in run.fault_errors:
            failures.append(message)
            out.append(f"fault phase: {message}")
        if o is None and not run.fault_errors:
            failures.append("the fault phase did not run")
    if o is not None:
        out.append(
            f"outage: PostgreSQL down {o.down_for:.1f} s ({', '.join(fault.log)}); "
            f"{o.requests} requests started meanwhile: {o.failed} failed "
            f"({o.error_pages} with the error page, {o.no_response} without an answer), "
            f"{o.succeeded} succeeded; slowest {duration(o.max_latency)}"
        )
        out.append(
            "  succeeded meanwhile: "
            + (", ".join(f"{n} {kind}" for kind, n in sorted(o.succeeded_kinds.items())) or "–")
        )
        out.append(
            "  per second since the stop (ok/failed): "
            + " ".join(f"{t:+d}s:{ok}/{failed}" for t, ok, failed in o.timeline)
        )
        if o.recovery is None:
            failures.append("the app did not recover after PostgreSQL came back")
            out.append("recovery: none")
        else:
            since_start = (
                f" ({o.recovery_from_start:.2f} s after the start command)"
                if o.recovery_from_start is not None
                else ""
            )
            out.append(
                f"recovery: first success {max(o.recovery, 0) * 1000:.0f} ms after PostgreSQL "
                f"accepted connections{since_start}, without restarting gunicorn"
            )
        if o.requests == 0:
            failures.append("no request reached the app during the outage")
        if o.max_latency > MAX_OUTAGE_LATENCY:
            failures.append(f"a request hung {o.max_latency:.1f} s during the outage")
        if o.failed != o.error_pages + o.no_response:
            failures.append("some outage failures did not show the error page")

    out.append(
        f"data check: {data.checked_users} completed submissions checked, "
        f"{len(data.problems)} problems; {data.responses} responses in the database "
        f"({data.submitted} submitted, {data.drafts} drafts), "
        f"half-written: {len(data.half_written)}"
    )
    for problem in data.problems[:10]:
        out.append(f"  {problem}")
    if data.half_written:
        out.append(f"  half-written response ids: {data.half_written[:20]}")
    if not data.passed:
        failures.append("the data check failed")
    out.append(
        "deploy check (manage.py check --deploy --fail-level WARNING): "
        + (run.deploy_check.splitlines()[-1] if run.deploy_check else "no output")
    )

    if markdown:
        out.append("")
        out.append(markdown_table(kinds_table(run.stats, summary)))
        out.append("")
        rows = [
            ["figure", "value"],
            ["requests / s (Locust)", f"{rps:.1f} ({requests} requests in {run.seconds} s)"],
            ["requests / s while PostgreSQL was up", f"{summary.rps_outside_outage:.1f}"],
            ["valid requests / errors", f"{summary.valid} / {len(summary.valid_errors)}"],
            [
                "tampered requests / 4xx / 5xx",
                f"{summary.bad} / {summary.bad_4xx} / {summary.bad_5xx}",
            ],
            ["submissions checked / problems", f"{data.checked_users} / {len(data.problems)}"],
            ["half-written responses", str(len(data.half_written))],
        ]
        if o is not None:
            rows += [
                ["PostgreSQL down", f"{o.down_for:.1f} s"],
                [
                    "requests during the outage",
                    f"{o.requests} ({o.failed} × 500 error page, {o.succeeded} ok)",
                ],
                ["max latency during the outage", duration(o.max_latency)],
                [
                    "recovery after PostgreSQL is back",
                    "none"
                    if o.recovery is None
                    else f"{max(o.recovery, 0) * 1000:.0f} ms, no gunicorn restart",
                ],
            ]
        out.append(markdown_table(rows))
    out.append("")
    out.extend(f"FAIL: {failure}" for failure in failures)
    if not failures:
        out.append("PASS: every check passed.")
    return out, failures


# --- PostgreSQL, gunicorn and Locust ---------------------------------------------------------


class Fault:
    """Stops PostgreSQL for a while and records when it was down (seconds since the epoch)."""

    def __init__(self, *, cluster: str, port: int, outage: float, grace: float = 1.0):
        self.cluster = cluster
        self.port = port
        self.outage = outage
        self.grace = grace
        self.stop_at: float | None = None
        self.start_command_at: float | None = None
        self.ready_at: float | None = None
        self.log: list[str] = []

    def window(self) -> Window | None:
        if self.stop_at is None or self.ready_at is None:
            return None
        return Window(self.stop_at, self.ready_at, self.grace)

    def _command(self, *args: str) -> list[str]:
        version, name = self.cluster.split("/")
        return ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, *args]

    def _ctl(self, *args: str) -> None:
        command = self._command(*args)
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise LoadTestError(f"{' '.join(command)} failed: {done.stderr.strip()}")

    def is_ready(self) -> bool:
        done = subprocess.run(
            ["pg_isready", "-q", "-h", HOST, "-p", str(self.port)], timeout=10, check=False
        )
        return done.returncode == 0

    def wait_ready(self, timeout: float = 30.0) -> bool:
        limit = time.monotonic() + timeout
        while time.monotonic() < limit:
            if self.is_ready():
                return True
            time.sleep(0.05)
        return False

    def stop_database(self) -> None:
        self.stop_at = time.time()
        self._ctl("stop", "-m", "fast")
        self.log.append(f"stopped in {time.time() - self.stop_at:.2f} s")

    def start_database(self) -> None:
        self.start_command_at = time.time()
        # pg_ctlcluster returns a while after PostgreSQL accepts connections: time the latter.
        starting = subprocess.Popen(
            self._command("start"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        ready = self.wait_ready()
        self.ready_at = time.time()
        _, stderr = starting.communicate(timeout=60)
        if not ready:
            raise LoadTestError(f"PostgreSQL did not accept connections: {stderr.strip()}")
        self.log.append(f"started in {self.ready_at - self.start_command_at:.2f} s")

    def ensure_running(self) -> None:
        """Start PostgreSQL again if it is down; called from ``finally`` whatever happened."""
        if self.is_ready():
            return
        with contextlib.suppress(LoadTestError, subprocess.SubprocessError):
            self._ctl("start")
        if not self.wait_ready():
            raise LoadTestError(
                f"PostgreSQL is not running: start it with pg_ctlcluster {self.cluster} start"
            )


def find_cluster() -> str | None:
    root = Path("/etc/postgresql")
    if not root.is_dir():
        return None
    clusters = sorted(
        f"{version.name}/{name.name}"
        for version in root.iterdir()
        if version.is_dir()
        for name in version.iterdir()
        if name.is_dir()
    )
    return clusters[-1] if clusters else None


def run_fault(
    fault: Fault,
    *,
    locust: subprocess.Popen,
    run_dir: Path,
    answering: Callable[[], int],
    employees: int,
    latest: float,
) -> list[str]:
    """Once every employee is answering (or at ``latest``), stop PostgreSQL for a while.

    Returns what went wrong; the probe runs from just before the stop until the first
    request after PostgreSQL is back has succeeded.
    """
    errors: list[str] = []
    flag = run_dir / PROBE_FLAG
    try:
        while locust.poll() is None and time.time() < latest and answering() < employees:
            time.sleep(0.25)
        if locust.poll() is not None:
            return ["fault phase not run: Locust stopped first"]
        flag.touch()
        time.sleep(0.5)
        fault.stop_database()
        try:
            time.sleep(fault.outage)
        finally:
            fault.start_database()
        limit = time.time() + 30
        while time.time() < limit and locust.poll() is None:
            samples = read_samples(run_dir / REQUESTS_FILE)
            if any(s.ok and s.started > fault.stop_at for s in samples):
                break
            time.sleep(0.1)
        time.sleep(1.0)
    except Exception as exc:
        errors.append(f"fault phase: {type(exc).__name__}: {exc}")
    finally:
        flag.unlink(missing_ok=True)
    return errors


def recreate_database(config: dict) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=config["HOST"],
        port=config.get("PORT") or 5432,
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
        connect_timeout=5,
    ) as conn:
        name = sql.Identifier(config["NAME"])
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def production_env(url: str, workdir: Path) -> dict[str, str]:
    """The environment of the production settings, with static files outside the tree."""
    (workdir / "lvm_loadtest_settings.py").write_text(
        "# Production settings, except that collectstatic writes outside the source tree.\n"
        "from lvm_site.settings import *  # noqa: F403\n\n"
        f"STATIC_ROOT = {str(workdir / 'static')!r}\n"
    )
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "lvm_loadtest_settings",
        "PYTHONPATH": os.pathsep.join([str(workdir), str(ROOT)]),
    }


def manage(env: dict[str, str], *args: str, check: bool = True) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if check and done.returncode != 0:
        raise LoadTestError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return (done.stdout + done.stderr).strip()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_gunicorn(env: dict[str, str], workers: int, log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "lvm_site.wsgi",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--timeout",
        str(REQUEST_TIMEOUT),
        "--graceful-timeout",
        "5",
        "--log-level",
        "info",
    ]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: Ctrl+C reaches us, we stop it
        )
    limit = time.monotonic() + 60
    while time.monotonic() < limit:
        if process.poll() is not None:
            raise LoadTestError(f"gunicorn exited at start:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
            connection.request("GET", "/accounts/login/", headers={"X-Forwarded-Proto": "https"})
            status = connection.getresponse().status
            connection.close()
            if status == 200:
                return process, port
            stop_process(process)
            raise LoadTestError(f"gunicorn answers the login page with {status}.")
        time.sleep(0.2)
    stop_process(process)
    raise LoadTestError("gunicorn did not answer within 60 s.")


def stop_process(process: subprocess.Popen) -> None:
    """Stop a process we started, and its process group if it has one of its own."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def locust_command(*, port: int, users: int, spawn_rate: float, seconds: int, csv_prefix: Path):
    """Headless Locust for a fixed number of users and time; its figures go to CSV files."""
    return [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        f"http://{HOST}:{port}",
        "-u",
        str(users),
        "-r",
        f"{spawn_rate:g}",
        "-t",
        f"{seconds}s",
        "--csv",
        str(csv_prefix),
        "--only-summary",
        "--exit-code-on-error",
        "0",  # failures in the outage are expected: the report judges them
    ]


def locust_errors(path: Path) -> list[str]:
    """Exceptions the locustfile raised (a bug in the test, not in LVM)."""
    if not path.exists():
        return []
    rows = csv.DictReader(io.StringIO(path.read_text()))
    return [f"{row['Count']} × {row['Message']}" for row in rows]


# --- the run ---------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m perf.loadtest",
        description="Load and fault test: gunicorn (production settings) on PostgreSQL, "
        "driven by Locust, loopback only.",
    )
    p.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    p.add_argument("--users", type=int, default=50, help="Employees answering.")
    p.add_argument("--team-size", type=int, default=10)
    p.add_argument("--k", type=int, default=5, help="The cycle's minimum group size.")
    p.add_argument("--workers", type=int, default=4, help="gunicorn workers (4: two per core).")
    p.add_argument("--duration", type=int, default=60, help="Seconds of traffic (locust -t).")
    p.add_argument("--ramp", type=float, default=5.0, help="Seconds over which users start.")
    p.add_argument(
        "--manager-pause", type=float, default=0.2, help="Seconds between dashboard loads."
    )
    p.add_argument(
        "--fault",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Stop PostgreSQL for a few seconds mid-run (--no-fault skips it).",
    )
    p.add_argument("--outage", type=float, default=5.0, help="Seconds PostgreSQL stays stopped.")
    p.add_argument(
        "--pg-cluster", default=None, help="version/name for pg_ctlcluster (default: found)."
    )
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--markdown", action="store_true", help="Also print markdown tables.")
    return p


def check_options(args: argparse.Namespace) -> dict:
    """The database's settings, if the options make a run that is safe and can pass."""
    config = check_database_url(args.database_url)
    if not 1 <= args.workers <= 8:
        raise LoadTestError("--workers must be between 1 and 8.")
    if args.k < 3:
        raise LoadTestError("--k must be at least 3.")
    if args.users < args.k:
        raise LoadTestError(f"At least {args.k} employees are needed for one team of k.")
    if args.duration < 10 or args.ramp <= 0:
        raise LoadTestError("--duration must be at least 10 s and --ramp positive.")
    for tool in ("gunicorn", "locust"):
        if shutil.which(tool, path=str(Path(sys.executable).parent)) is None:
            raise LoadTestError(f"{tool} is not installed in this environment.")
    return config


def load_test(args: argparse.Namespace, config: dict, fault: Fault | None, workdir: Path) -> bool:
    print(f"Preparing {config['NAME']} on {config['HOST']} …", flush=True)
    started = time.monotonic()
    recreate_database(config)
    setup_django(database_url=args.database_url)  # the load database is the default one
    from django.core.management import call_command
    from django.db import connection

    from assessments import services
    from perf import loaddata

    env = production_env(args.database_url, workdir)
    call_command("migrate", "--noinput", verbosity=0)
    questionnaire, _ = services.load_questionnaire(
        services.read_questionnaire_file(services.DEFAULT_FILE)
    )
    plan = loaddata.seed(
        questionnaire=questionnaire,
        employees=args.users,
        team_size=args.team_size,
        k=args.k,
        password=secrets.token_urlsafe(16),
        seed_value=args.seed,
        manager_pause=args.manager_pause,
    )
    plan.save(workdir)
    manage(env, "collectstatic", "--noinput")
    deploy_check = manage(env, "check", "--deploy", "--fail-level", "WARNING", check=False)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version')")
        pg_version = cursor.fetchone()[0]
    connection.close()

    log = workdir / "gunicorn.log"
    csv_prefix = workdir / "locust"
    spawn_rate = round(plan.users / args.ramp, 1)
    gunicorn = locust = None
    fault_errors: list[str] = []
    try:
        gunicorn, port = start_gunicorn(env, args.workers, log)
        print(
            f"Ready in {time.monotonic() - started:.1f} s: gunicorn ({args.workers} workers) "
            f"on {HOST}:{port}, PostgreSQL {pg_version}. Locust: {len(plan.employees)} "
            f"employees, {len(plan.managers)} managers, 1 HR, 1 probe for {args.duration} s"
            + (", with the fault phase." if fault else "."),
            flush=True,
        )
        with (workdir / "locust.log").open("ab") as locust_log:
            locust = subprocess.Popen(
                locust_command(
                    port=port,
                    users=plan.users,
                    spawn_rate=spawn_rate,
                    seconds=args.duration,
                    csv_prefix=csv_prefix,
                ),
                cwd=ROOT,
                env={**os.environ, RUN_DIR_ENV: str(workdir)},
                stdout=locust_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if fault is not None:

            def answering() -> int:
                return loaddata.responses_in(plan.cycle_pk)

            try:
                fault_errors = run_fault(
                    fault,
                    locust=locust,
                    run_dir=workdir,
                    answering=answering,
                    employees=len(plan.employees),
                    latest=time.time() + 0.5 * args.duration,
                )
            finally:
                connection.close()
        try:
            locust.wait(timeout=args.duration + 90)
        except subprocess.TimeoutExpired:
            fault_errors.append("Locust did not stop in time")
    finally:
        try:
            if fault is not None:
                fault.ensure_running()
        finally:
            for process in (locust, gunicorn):
                if process is not None:
                    stop_process(process)

    connection.close()  # PostgreSQL may have restarted under it
    outcomes = read_outcomes(workdir / OUTCOMES_FILE)
    stats_file = workdir / STATS_FILE
    if not stats_file.exists():
        raise LoadTestError(f"Locust wrote no statistics: see {workdir / 'locust.log'}")
    stats, total = read_locust_stats(stats_file.read_text())
    run = Run(
        plan=plan,
        workers=args.workers,
        users=plan.users,
        spawn_rate=spawn_rate,
        seconds=args.duration,
        samples=read_samples(workdir / REQUESTS_FILE),
        outcomes=outcomes,
        stats=stats,
        total=total,
        locust_errors=locust_errors(workdir / EXCEPTIONS_FILE),
        server=read_server_log(log.read_text(errors="replace") if log.exists() else ""),
        data=loaddata.verify_data(cycle_pk=plan.cycle_pk, sent=outcomes.sent),
        pg_version=pg_version,
        deploy_check=deploy_check,
        fault=fault,
        fault_errors=fault_errors,
    )
    lines, failures = report(run, markdown=args.markdown)
    print("\n" + "\n".join(lines), flush=True)
    return not failures


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    workdir = None
    passed = False
    try:
        config = check_options(args)
        fault = None
        if args.fault:
            cluster = args.pg_cluster or find_cluster()
            if not cluster or not shutil.which("pg_ctlcluster"):
                raise LoadTestError(
                    "No pg_ctlcluster cluster found: pass --pg-cluster or --no-fault."
                )
            port = int(config.get("PORT") or 5432)
            fault = Fault(cluster=cluster, port=port, outage=args.outage)
        workdir = Path(tempfile.mkdtemp(prefix="lvm-loadtest-"))
        passed = load_test(args, config, fault, workdir)
    except LoadTestError as exc:
        print(f"Error: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print("Interrupted: gunicorn and Locust are stopped.", file=sys.stderr)
    finally:
        if workdir is not None:
            if passed:
                shutil.rmtree(workdir, ignore_errors=True)
            else:
                print(f"Logs and Locust's CSV files kept in {workdir}", file=sys.stderr)
    if not passed:
        print("The load test failed: see the report above.", file=sys.stderr)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
