"""What-if scenarios as background jobs. A scenario never writes to the store (it runs on
copies), so its job state and result live with the server: in memory, and its report files
in the data folder. A restart forgets running scenarios; the planner submits again.

The workers are daemon threads: a scenario holds nothing that must survive, so a shutdown does
not wait for one still running (it would hold a SIGTERM for as long as its solves take)."""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from pathlib import Path
from typing import Any

from engine.errors import FourlinksError, NotFound
from engine.store.base import GraphStore
from engine.whatif import run_scenario, scenario_json
from engine.whatif.report import write_all
from engine.whatif.spec import ScenarioSpec

log = logging.getLogger("fourlinks.api.scenarios")

ID_PATTERN = r"^SCN-[0-9a-f]{12}$"
"""A scenario job id, as ``submit`` makes them."""


class ScenarioJobs:
    def __init__(self, store: GraphStore, folder: Path, workers: int = 1) -> None:
        self.store = store
        self.folder = folder
        self._queue: queue.Queue[tuple[str, ScenarioSpec, str, float | None] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._jobs: dict[str, dict[str, Any]] = {}
        self._threads = [threading.Thread(target=self._work, name=f"fourlinks-whatif-{i}", daemon=True)
                         for i in range(workers)]
        for t in self._threads:
            t.start()

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            self._run(*item)

    def submit(self, spec: ScenarioSpec, *, by: str, lang: str, time_limit: float | None) -> dict[str, Any]:
        sid = f"SCN-{uuid.uuid4().hex[:12]}"
        job = {
            "id": sid,
            "name": spec.name,
            "status": "queued",
            "stage": "queued",
            "progress": 0.0,
            "by": by,
            "result": None,
            "error": None,
        }
        with self._lock:
            self._jobs[sid] = job
        self._queue.put((sid, spec, lang, time_limit))
        return dict(job)

    def get(self, sid: str) -> dict[str, Any]:
        with self._lock:
            job = self._jobs.get(sid)
            if job is None:
                raise NotFound(f"情景任务 {sid} 不存在", message_en=f"scenario job {sid} not found")
            return dict(job)

    def file(self, sid: str, name: str) -> Path:
        job = self.get(sid)
        path = self.folder / sid / name
        if job["status"] != "done" or not path.exists():
            raise NotFound(f"情景任务 {sid} 尚无 {name}", message_en=f"scenario job {sid} has no {name} yet")
        return path

    def _set(self, sid: str, **kw: Any) -> None:
        with self._lock:
            self._jobs[sid].update(kw)

    def _run(self, sid: str, spec: ScenarioSpec, lang: str, time_limit: float | None) -> None:
        try:
            self._set(sid, status="running")
            res = run_scenario(
                self.store,
                spec,
                lambda stage, frac: self._set(sid, stage=stage, progress=round(frac, 3)),
                time_limit=time_limit,
            )
            write_all(res, self.folder / sid, lang)
            self._set(sid, status="done", stage="done", progress=1.0, result=scenario_json(res, lang))
        except FourlinksError as e:
            self._set(sid, status="failed", error={"message": e.message, "message_en": e.message_en})
        except Exception as e:  # a job records every failure instead of vanishing
            log.exception("scenario %s failed", sid)
            self._set(sid, status="failed", error={"message": str(e), "message_en": str(e)})

    def shutdown(self) -> None:
        """Stop taking jobs; a scenario still running is abandoned with the process."""
        for _ in self._threads:
            self._queue.put(None)
