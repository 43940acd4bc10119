"""Batch runs (issue 14): a model for every client of a lake, in this process or as one Spark job.

``python -m core batch monitor|recommend|segment --lake DIR --engine local|spark``.
Both engines run, per client, the single-account command's own handler on exactly
that client's rows (:mod:`core.batch.tasks`), so each client gets the answer
``python -m core <command> --data <that client's file>`` gives. Results go back into
the lake (``alerts``, ``plans``, ``segments``, partitioned by ``account_id``) and are
printed with the client on every row.

* ``tasks.py``: what each model reads, writes and runs per client
* ``local.py``: the per-client loop in this process
* ``spark.py``: one Spark job, ``groupBy('account_id').applyInPandas(...)``
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from core.batch.tasks import PAYLOAD_KEY, TASKS, Task

__all__ = ["PAYLOAD_KEY", "TASKS", "Task", "run_batch", "run"]


def run(model: str, lake: str, settings, *, engine: str = "local", master: str | None = None,
        **opts: Any) -> dict[str, Any]:
    """Run ``model`` over every client of ``lake``; the command's payload."""
    from core.errors import BadInputError
    from core.warehouse import lake as lake_io

    if model not in TASKS:
        raise BadInputError(f"Unknown batch model {model!r}; choose one of {', '.join(TASKS)}.")
    task = TASKS[model]
    payload: dict[str, Any] = {"engine": engine}
    if engine == "local":
        from core.batch.local import run_local

        rows, skipped = run_local(task, lake, settings, opts)
        lake_io.write_results(lake, task.result, rows)
        if skipped:
            payload["skipped"] = skipped
    elif engine == "spark":
        from core.batch.spark import run_spark

        rows, payload["spark"] = run_spark(task, lake, settings, opts, master=master or "local[*]")
    else:
        raise BadInputError(f"Unknown engine {engine!r}; choose local or spark.")
    payload[PAYLOAD_KEY[model]] = _records(rows, task)
    return payload


def _records(rows: pd.DataFrame, task: Task) -> list[dict[str, Any]]:
    """Result rows in a stable order (client, then the task's own columns), as JSON-ready records."""
    if not len(rows):
        return []
    order = [c for c in task.columns if c in rows.columns][:3]
    rows = rows.sort_values(order, kind="stable").reset_index(drop=True)
    return rows.astype(object).where(rows.notna(), None).to_dict(orient="records")


def run_batch(args: Any, ctx: Any) -> dict[str, Any]:
    """``python -m core batch MODEL --lake DIR --engine local|spark [--master URL] [--since D]``."""
    opts = {k: getattr(args, k, None) for k in ("since", "k", "method", "objective", "budget", "period",
                                                 "platforms", "goal")}
    return run(args.model, args.lake, ctx.base_settings, engine=args.engine, master=args.master, **opts)
