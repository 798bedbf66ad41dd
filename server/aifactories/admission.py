"""Admission to the embedded engine: a cap on the queries it may hold timeout threads for.

``oxigraph serve --timeout-s T`` starts one OS thread per query that sleeps the full T seconds,
however fast the query is.  So the engine's live threads are about the queries it received in
the last T seconds, and past what the machine allows (pids, threads, memory mappings) it aborts
(measured on a 32,768-pid machine: ~6,000 queries/s for a few seconds crashed it with "failed
to set up alternative stack guard page").  The supervisor restarts it, but queries in flight
fail and a large graph takes seconds to reload.  :class:`QueryBudget` refuses a query, with a
503 and ``Retry-After``, before it would push the engine past a budget derived from the
machine's limits.  Cached answers never reach the engine, so they keep being served.
"""

from __future__ import annotations

import collections
import math
import resource
import threading
import time
from pathlib import Path

from .errors import EngineBusy

#: Share of the machine's thread limit the engine's timeout threads may use: the rest is for
#: the engine's own workers, our server and everything else running on the machine.
SAFETY_FRACTION = 0.4
#: Upper bound on a derived budget, whatever the machine allows (each thread costs a stack).
MAX_DERIVED_BUDGET = 16_384
#: Used when the limits cannot be read (not Linux): Linux's smallest default pid_max, 32,768.
FALLBACK_THREAD_LIMIT = 32_768
#: Memory mappings per thread (stack and guard page): vm.max_map_count limits threads too.
MAPPINGS_PER_THREAD = 2

_LIMIT_FILES = (
    ("/proc/sys/kernel/pid_max", 1),
    ("/proc/sys/kernel/threads-max", 1),
    ("/proc/sys/vm/max_map_count", MAPPINGS_PER_THREAD),
    ("/sys/fs/cgroup/pids.max", 1),  # a container's own cap ("max" when there is none)
)


def machine_thread_limit() -> int:
    """The fewest threads any of the machine's limits allows (pids, threads, mappings)."""
    limits = []
    for path, per_thread in _LIMIT_FILES:
        try:
            limits.append(int(Path(path).read_text().strip()) // per_thread)
        except (OSError, ValueError):
            continue
    soft, _hard = resource.getrlimit(resource.RLIMIT_NPROC)
    if soft != resource.RLIM_INFINITY and soft > 0:
        limits.append(soft)
    return min(limits, default=FALLBACK_THREAD_LIMIT)


def derived_budget() -> int:
    """The default ``engine_query_budget``: a safe share of the machine's thread limit."""
    return max(1, min(MAX_DERIVED_BUDGET, int(machine_thread_limit() * SAFETY_FRACTION)))


def process_budget(budget: int, workers: int) -> int:
    """One worker process's share of the server's ``budget`` (0: derive it from the machine)."""
    return max(1, (budget or derived_budget()) // max(1, workers))


class QueryBudget:
    """At most ``limit`` queries admitted in any ``window`` seconds (a sliding window).

    Thread-safe; one per process.  The cost per query is a lock, a clock read and a deque
    append (this runs thousands of times a second).
    """

    def __init__(self, limit: int, window: float) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a query budget needs a positive limit and window")
        self.limit = limit
        self.window = window
        self._sent: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def admit(self) -> None:
        """Count one query, or raise :class:`EngineBusy` if the window's budget is spent."""
        now = time.monotonic()
        with self._lock:
            sent = self._sent
            horizon = now - self.window
            while sent and sent[0] <= horizon:
                sent.popleft()
            if len(sent) < self.limit:
                sent.append(now)
                return
            retry_after = max(1, math.ceil(sent[0] - horizon))
        raise EngineBusy(
            f"the query engine is at capacity: this server process sent it {self.limit} "
            f"queries in the last {self.window:g} s, its budget (setting engine_query_budget); "
            f"answers already cached are still served; retry in {retry_after} s",
            retry_after=retry_after,
        )
