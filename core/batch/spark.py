"""The Spark engine: one Spark job groups the lake by client and runs the task per client in parallel.

``groupBy('account_id').applyInPandas(...)`` hands each executor one client's rows as a
pandas frame; the worker rebuilds that client's in-memory warehouse from it and runs
the same task (the single-account command's handler) the local engine runs. Results
are written back into the lake by Spark, partitioned by client.

Executors need the project's Python dependencies (requirements.txt) and Java 17; the
``core`` package itself is shipped with the job (``addPyFile``) when the master is not
local. A cluster is one ``--master`` URL away (``spark://host:7077``, ``yarn``, ``k8s://...``).
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from core.batch.tasks import TASKS, Task
from core.config import Settings

ROOT = Path(__file__).resolve().parents[2]
# pyspark 4.3 warns that it has not been validated on pandas 3; the frames it hands us are plain ones.
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)


def session(master: str = "local[*]", app_name: str = "workbench-batch"):
    """The Spark session (an active one is reused, so tests and notebooks share theirs)."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    # Python workers must import `core`: in local mode through the environment they inherit.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    spark = (SparkSession.builder.master(master).appName(app_name)
             # Client ids are text: "007" must not become the number 7.
             .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true")
             .config("spark.executorEnv.PYTHONPATH", str(ROOT))
             .config("spark.ui.showConsoleProgress", "false")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    if not master.startswith("local"):
        spark.sparkContext.addPyFile(_code_zip())
    return spark, True


def _code_zip() -> str:
    """The ``core`` package as a zip the executors put on their path."""
    out = Path(tempfile.mkdtemp()) / "workbench-core.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in (ROOT / "core").rglob("*.py"):
            zf.write(path, path.relative_to(ROOT))
    return str(out)


def _text_safe(df, task: Task):
    """The lake columns as text-safe values a worker casts back (dates ISO, structs JSON)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T
    from pyspark.sql.window import Window

    table = task.tables[0]
    days = task.window_days.get(table)
    if days and table == "campaigns":
        latest = F.max("date").over(Window.partitionBy("account_id"))
        df = (df.withColumn("__latest", latest).where(F.col("date") > F.date_sub(F.col("__latest"), int(days)))
              .drop("__latest"))
    cols = []
    for f in df.schema.fields:
        c = F.col(f.name)
        if isinstance(f.dataType, T.DateType):
            c = F.date_format(c, "yyyy-MM-dd")
        elif isinstance(f.dataType, (T.TimestampType, T.TimestampNTZType)):
            c = F.date_format(c, "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX")
        elif isinstance(f.dataType, (T.StructType, T.ArrayType, T.MapType)):
            c = F.to_json(c)
        cols.append(c.alias(f.name))
    return df.select(*cols)


def _per_client(task_name: str, settings: Settings, opts: dict[str, Any]):
    """The function each executor applies to one client's rows."""
    def run(frame: pd.DataFrame) -> pd.DataFrame:
        from core.errors import NotEnoughDataError
        from core.warehouse import Warehouse

        task = TASKS[task_name]
        account = str(frame["account_id"].iloc[0])
        wh = Warehouse.from_frames(account, {task.tables[0]: frame.drop(columns=["account_id"])})
        try:
            rows = task.rows(wh, settings.for_account(account), opts)
        except NotEnoughDataError:
            rows = []
        finally:
            wh.close()
        return pd.DataFrame(rows, columns=list(task.columns))
    return run


def run_spark(task: Task, lake: str, settings: Settings, opts: dict[str, Any], *,
              master: str = "local[*]") -> tuple[pd.DataFrame, dict[str, str]]:
    """Run ``task`` over every client of the lake as one Spark job; (result rows, the Spark application)."""
    import pyspark

    from core.warehouse import lake as lake_io

    spark, created = session(master, f"workbench-batch-{task.name}")
    try:
        table = str(Path(lake).resolve() / task.tables[0])
        df = spark.read.option("basePath", table).parquet(table)
        out = (_text_safe(df, task).groupBy("account_id")
               .applyInPandas(_per_client(task.name, settings, opts), schema=task.spark_schema))
        result = str(Path(lake).resolve() / task.result)
        out.write.mode("overwrite").partitionBy("account_id").parquet(result)
        app = {"master": spark.sparkContext.master, "app_id": spark.sparkContext.applicationId,
               "version": pyspark.__version__}
    finally:
        if created:
            spark.stop()
    frame = lake_io.read_table(lake, task.result)
    return (frame[list(task.columns)] if len(frame) else pd.DataFrame(columns=list(task.columns))), app
