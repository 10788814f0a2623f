"""What the DDL Jobs pane knows of every job: the list the database last gave
(information_schema.DDL_JOBS), kept up to date in place by the engine's events between two
reads, and the filter the user chose.

A `DDLReorgProgress` moves a job's bar and ETA without reading anything; a `DDLJobChanged`
changes its state and schema state at once and asks for a read (for its times and counts,
and for a job the list does not have yet); a `DDLJobRepaired` (at open) asks for one too.
Nothing here imports Textual.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from core.events import DDLJobChanged, DDLJobRepaired, DDLReorgProgress, JobState
from tui.backend.base import DDLJobInfo

FINISHED = frozenset({JobState.SYNCED, JobState.DONE, JobState.CANCELLED,
                      JobState.ROLLBACK_DONE})
FAILED = frozenset({JobState.CANCELLED, JobState.ROLLBACK_DONE})
# the state filter `s` cycles through: (name, states it keeps; None keeps every job)
STATE_FILTERS: tuple[tuple[str, frozenset[str] | None], ...] = (
    ("all", None),
    ("unfinished", frozenset(s.value for s in JobState if s not in FINISHED)),
    ("paused", frozenset({JobState.PAUSED.value, JobState.PAUSING.value})),
    ("failed", frozenset(s.value for s in FAILED)),
    ("synced", frozenset({JobState.SYNCED.value, JobState.DONE.value})),
)


def finished(state: str) -> bool:
    return state in FINISHED


def running(job: DDLJobInfo) -> bool:
    """The worker is (or will be) moving it: not finished and not paused."""
    return not finished(job.state) and job.state not in (JobState.PAUSED, JobState.PAUSING)


@dataclass(frozen=True)
class Live:
    """What the events said of a job since the last read (the SQL columns have no rate)."""

    rows_per_second: float = 0.0
    step: str = ""


class DDLBoard:
    """Every job, newest first, and the filter."""

    def __init__(self) -> None:
        self.jobs: list[DDLJobInfo] = []
        self.live: dict[int, Live] = {}
        self.state_filter = 0  # index into STATE_FILTERS
        self.text_filter = ""

    # -- reading -----------------------------------------------------------------------------

    def job(self, job_id: int) -> DDLJobInfo | None:
        return next((j for j in self.jobs if j.job_id == job_id), None)

    def rate(self, job_id: int) -> float:
        live = self.live.get(job_id)
        return live.rows_per_second if live else 0.0

    @property
    def state_filter_name(self) -> str:
        return STATE_FILTERS[self.state_filter][0]

    def shown(self) -> list[DDLJobInfo]:
        """The jobs the filters keep, newest first."""
        _name, states = STATE_FILTERS[self.state_filter]
        words = self.text_filter.lower().split()
        out = []
        for j in self.jobs:
            if states is not None and j.state not in states:
                continue
            hay = " ".join((str(j.job_id), j.db_name, j.table_name,
                            f"{j.db_name}.{j.table_name}", j.job_type, j.state,
                            j.schema_state, j.query)).lower()
            if all(w in hay for w in words):
                out.append(j)
        return out

    def unfinished(self) -> list[DDLJobInfo]:
        """Jobs not finished, oldest first (the order the worker takes them)."""
        return sorted((j for j in self.jobs if not finished(j.state)), key=lambda j: j.job_id)

    def counts(self) -> tuple[Counter[str], int]:
        """(jobs by state, jobs running)."""
        states: Counter[str] = Counter(j.state for j in self.jobs)
        return states, sum(1 for j in self.jobs if running(j))

    def crashed(self) -> list[DDLJobInfo]:
        """Jobs a crash interrupted (recovery named their case)."""
        return [j for j in self.jobs if j.crash_case]

    # -- changing ----------------------------------------------------------------------------

    def load(self, jobs: list[DDLJobInfo]) -> None:
        self.jobs = sorted(jobs, key=lambda j: j.job_id, reverse=True)
        known = {j.job_id for j in self.jobs}
        self.live = {k: v for k, v in self.live.items() if k in known}

    def cycle_state_filter(self) -> str:
        self.state_filter = (self.state_filter + 1) % len(STATE_FILTERS)
        return self.state_filter_name

    def note(self, events: list) -> tuple[set[int], bool]:
        """Apply a batch of engine events: (ids of the jobs changed in place, whether the
        list must be read again)."""
        changed: set[int] = set()
        reread = False
        for e in events:
            match e:
                case DDLReorgProgress(job_id=job_id):
                    job = self.job(job_id)
                    if job is None:
                        reread = True
                        continue
                    self._replace(replace(
                        job, rows_done=e.rows_done, rows_total=e.rows_total,
                        progress=e.fraction, eta_seconds=e.eta_seconds,
                        phase=e.phase or job.phase,
                        row_count=max(job.row_count, e.rows_done)
                        if e.phase != "delete entries" else job.row_count))
                    old = self.live.get(job_id, Live())
                    self.live[job_id] = replace(old, rows_per_second=e.rows_per_second)
                    changed.add(job_id)
                case DDLJobChanged(job_id=job_id):
                    reread = True
                    job = self.job(job_id)
                    if job is None:
                        continue
                    self._replace(replace(job, state=str(e.state),
                                          schema_state=str(e.schema_state),
                                          error=e.error or job.error))
                    old = self.live.get(job_id, Live())
                    self.live[job_id] = replace(old, step=e.step)
                    changed.add(job_id)
                case DDLJobRepaired():
                    reread = True
        return changed, reread

    def _replace(self, job: DDLJobInfo) -> None:
        for i, j in enumerate(self.jobs):
            if j.job_id == job.job_id:
                self.jobs[i] = job
                return
