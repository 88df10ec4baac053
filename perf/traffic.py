"""What the load test's driver and its locustfile agree on, with neither Django nor Locust.

The driver writes the plan (who logs in, which cycle they answer) into the run's
directory; the locustfile reads it, and writes back one line per request and one line
per person's outcome. The driver reads those to find what happened during the outage
and what to look for in the database.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

RUN_DIR_ENV = "LVM_LOADTEST_DIR"  # the run's directory, for the locustfile
PLAN_FILE = "plan.json"
REQUESTS_FILE = "requests.jsonl"  # one line per request (Sample)
OUTCOMES_FILE = "outcomes.jsonl"  # submitted / finished / error, per person
STATS_FILE = "locust-final_stats.csv"  # Locust's figures, written once everyone stopped
EXCEPTIONS_FILE = "locust-final_exceptions.csv"  # what the locustfile raised
PROBE_FLAG = "probe-now"  # while this file exists the probe loads "/" ten times a second

ERROR_PAGE_MARKER = "Something went wrong"  # from templates/500.html
WITHHELD_MARKER = "dash-no-figures"  # from the team dashboard template

# The request names, in the order of the report.
KIND_ORDER = [
    "login GET",
    "login POST",
    "home GET",
    "questionnaire GET",
    "save POST",
    "submit POST",
    "submit POST (duplicate)",
    "results GET",
    "results CSV GET",
    "dashboard GET",
    "team CSV GET",
    "team list GET",
    "organisation GET",
    "probe GET",
    "tampered POST",
]


def role_for(index: int) -> str:
    """What an employee does besides answering: 10% tamper, 20% submit twice, 10% save."""
    return {0: "tamper", 1: "replay", 2: "concurrent", 3: "save-later"}.get(index % 10, "plain")


@dataclass
class Plan:
    """Who takes part: usernames, the cycle they answer and the teams managers look at."""

    cycle_pk: int
    password: str
    employees: list[str]
    managers: list[tuple[str, int]]  # (username, team pk)
    staff: str
    probe: str
    team_pks: list[int]
    scale_points: int = 5
    seed: int = 2026
    manager_pause: float = 0.2
    roles: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.managers = [(name, int(team)) for name, team in self.managers]
        if not self.roles:
            self.roles = [role_for(i) for i in range(len(self.employees))]

    @property
    def users(self) -> int:
        """Locust users: the employees, the managers, HR and the probe."""
        return len(self.employees) + len(self.managers) + 2

    def save(self, directory: Path) -> None:
        (directory / PLAN_FILE).write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def load(cls, directory: Path) -> Plan:
        return cls(**json.loads((directory / PLAN_FILE).read_text()))


@dataclass
class Sample:
    """One request: what it was, how it ended and when (seconds since the epoch)."""

    kind: str
    valid: bool  # False for a deliberately tampered request
    status: int  # 0: no response (connection refused, reset or timed out)
    started: float
    ended: float
    ok: bool  # the outcome the virtual user expected
    error_page: bool = False  # a 5xx that showed LVM's error page
    withheld: bool = False  # a dashboard that showed no figures
    note: str = ""

    @property
    def latency(self) -> float:
        return self.ended - self.started

    @property
    def failed(self) -> bool:
        return self.status == 0 or self.status >= 500


def read_samples(path: Path) -> list[Sample]:
    """The requests the locustfile logged (a line cut off by the time limit is skipped)."""
    if not path.exists():
        return []
    samples = []
    for line in path.read_text().splitlines():
        try:
            samples.append(Sample(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    return samples


@dataclass
class Outcomes:
    """What each person reported: the answers of a submission, finishing, or an error."""

    sent: dict[str, dict[int, int]] = field(default_factory=dict)
    finished: set[str] = field(default_factory=set)
    errors: dict[str, str] = field(default_factory=dict)


def read_outcomes(path: Path) -> Outcomes:
    outcomes = Outcomes()
    if not path.exists():
        return outcomes
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        who = record["username"]
        if record["event"] == "submitted":
            outcomes.sent[who] = {int(q): int(v) for q, v in record["sent"].items()}
        elif record["event"] == "finished":
            outcomes.finished.add(who)
        elif record["event"] == "error":
            outcomes.errors[who] = record["error"]
    return outcomes


QUESTION_RE = re.compile(r'name="q(\d+)"')


def question_ids(html: str) -> list[int]:
    """The question ids of a questionnaire page, in page order, each once."""
    return list(dict.fromkeys(int(m) for m in QUESTION_RE.findall(html)))


def is_last_page(html: str) -> bool:
    return 'name="action" value="submit"' in html
