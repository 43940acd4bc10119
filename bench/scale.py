"""Scale benchmark (issue 14, not a test): ``batch monitor`` over N clients x 40 line items x 730 days.

Builds a lake of N clients (each 29,200 campaign-days), then times ``python -m core batch
monitor`` on the local engine and on Spark ``local[2]`` as a separate process, sampling the
resident memory of its whole process tree (the JVM and its Python workers included).

The clients come from the sample generator: a few generated advertisers (different seeds,
40 line items, 730 days) and, for the rest, copies of them whose spend, impressions and
results are rescaled per line item by random factors (vectorised), so every client has its
own numbers and the monitor does a full fit for each.

    .venv/bin/python bench/scale.py --n 10 100 --engines local spark
    .venv/bin/python bench/scale.py --n 500 --engines local --keep /tmp/lake500

Prints one row per (N, engine): rows, wall seconds, seconds per client, peak memory (MB), alerts.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LINE_ITEMS, DAYS, BASES = 40, 730, 4


def base_tables(tmp: Path) -> list[pa.Table]:
    """A few generated advertisers' campaigns as the lake stores them (via the warehouse's own export)."""
    from core import sample_data
    from core.warehouse import Warehouse

    wh = Warehouse.in_memory()
    for seed in range(BASES):
        ws = sample_data.generate(seed=100 + seed, days=DAYS, n_line_items=LINE_ITEMS, n_posts=0, n_comments=0,
                                  n_customers=0)
        path = tmp / f"base{seed}.json"
        path.write_text(json.dumps({"campaigns": ws.records()["campaigns"]}))
        wh.ingest(path, account=f"base{seed}")
    wh.export_lake(tmp / "base")
    return [pq.read_table(next((tmp / "base" / "campaigns" / f"account_id=base{s}").glob("*.parquet")))
            for s in range(BASES)]


def client_table(base: pa.Table, rng: np.random.Generator) -> pa.Table:
    """One client: a base advertiser rescaled per line item (spend, reach, results), counts kept whole."""
    ids = base.column("campaign_id").to_numpy(zero_copy_only=False)
    _, item = np.unique(ids, return_inverse=True)
    k = item.max() + 1
    size, reach, result = (np.exp(rng.normal(0, s, k))[item] for s in (0.5, 0.3, 0.3))
    cols = {name: base.column(name) for name in base.column_names}

    def scaled(name: str, f: np.ndarray, whole: bool) -> pa.Array:
        v = cols[name].to_numpy(zero_copy_only=False) * f
        return pa.array(np.round(v).astype(np.int64) if whole else np.round(v, 2))

    impressions = scaled("impressions", size * reach, True)
    clicks = np.minimum(scaled("clicks", size * reach, True).to_numpy(), impressions.to_numpy())
    out = dict(cols)
    out.update(daily_budget=scaled("daily_budget", size, False), spend=scaled("spend", size, False),
               impressions=impressions, clicks=pa.array(clicks),
               leads=scaled("leads", size * result, cols["leads"].type == pa.int64()),
               conversions=scaled("conversions", size * result, cols["conversions"].type == pa.int64()),
               revenue=scaled("revenue", size * result, False))
    return pa.table({n: out[n].cast(base.schema.field(n).type) for n in base.column_names})


def build_lake(n: int, out: Path, bases: list[pa.Table], seed: int = 0) -> int:
    """A lake of ``n`` clients (campaigns only); returns its rows."""
    rng = np.random.default_rng(seed)
    rows = 0
    for i in range(n):
        t = client_table(bases[i % len(bases)], rng)
        folder = out / "campaigns" / f"account_id=c{i:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(t, folder / "data_0.parquet")
        rows += t.num_rows
    return rows


_TICK = os.sysconf("SC_CLK_TCK")


def _tree_rss_kb(pid: int, cpu: dict[int, float] | None = None) -> int:
    """Resident memory of a process and all its descendants (from /proc); ``cpu`` gets each one's CPU seconds.

    A JVM does not wait for its Python workers the way a shell does, so their CPU never reaches
    RUSAGE_CHILDREN: it is read per process here, each sample keeping the latest figure.
    """
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(d))
            except (OSError, ValueError, IndexError):
                continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                total += next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
            if cpu is not None:
                with open(f"/proc/{p}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                cpu[p] = (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime
        except (OSError, ValueError, IndexError):
            pass
        todo.extend(children.get(p, []))
    return total


def run_batch(lake: Path, engine: str, since: str | None) -> dict:
    cmd = [sys.executable, "-m", "core", "batch", "monitor", "--lake", str(lake), "--engine", engine,
           "--format", "json"]
    if engine == "spark":
        cmd += ["--master", "local[2]"]
    if since:
        cmd += ["--since", since]
    r = run_measured(cmd)
    payload = r.pop("payload")
    return {**r, "alerts": len(payload["alerts"]), "clients_with_alerts": len({a["account_id"] for a in payload["alerts"]}),
            "spark": payload.get("spark")}


def run_measured(cmd: list[str]) -> dict:
    """Run a command; its wall time, CPU seconds and peak memory of its process tree, and its JSON output."""
    peak = [0]
    cpu_seen: dict[int, float] = {}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid, cpu_seen))
            done.wait(0.25)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU seconds of the process tree (the JVM's Python workers included once it reaped them):
    # on a shared machine this, not the wall time, is the work done.
    cpu = max((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), sum(cpu_seen.values()))
    done.set()
    t.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[2:5])} failed: {err[-2000:]}")
    return {"wall_s": wall, "cpu_s": cpu, "load": os.getloadavg()[0], "peak_mb": peak[0] / 1024,
            "payload": json.loads(out)}


def workspace_check(lake: Path, work: Path) -> list[dict]:
    """The embedded path on one big workspace file: every client of ``lake`` in a DuckDB workspace,
    then ``lake export`` of all of it and ``monitor --account`` of one client, each measured."""
    from core.warehouse import Warehouse
    from core.warehouse import lake as lake_io

    db = work / "big.duckdb"
    db.unlink(missing_ok=True)
    t0 = time.perf_counter()
    wh = Warehouse.open(db)
    accounts = lake_io.accounts(lake)
    for a in accounts:
        lake_io.load_account(wh.db, lake, a, tables=("campaigns",))
    rows = sum(wh.for_account(a).counts()["campaigns"] for a in accounts)
    wh.checkpoint()
    wh.close()
    print(f"workspace of {len(accounts)} clients, {rows:,} campaign-days built in {time.perf_counter() - t0:.0f}s",
          flush=True)
    out = []
    for label, cmd in (("lake export", ["lake", "export", "--db", str(db), "--out", str(work / "big-lake")]),
                       ("monitor --account", ["monitor", "--db", str(db), "--account", accounts[len(accounts) // 2]])):
        r = run_measured([sys.executable, "-m", "core", *cmd, "--format", "json"])
        r.pop("payload")
        out.append({"step": label, "rows": int(rows), **r})
        print(f"{label:>18}: wall {r['wall_s']:.1f}s, cpu {r['cpu_s']:.1f}s, peak {r['peak_mb']:.0f} MB", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[10, 100])
    ap.add_argument("--engines", nargs="*", choices=("local", "spark"), default=["local", "spark"])
    ap.add_argument("--since", help="monitor --since (default: each client's last 7 days)")
    ap.add_argument("--keep", type=Path, help="build the lakes under this folder and keep them")
    ap.add_argument("--workspace", action="store_true",
                    help="also load the largest lake into one workspace file and time lake export and monitor on it")
    args = ap.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="scale-"))
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    bases = base_tables(work)
    print(f"generated {BASES} base advertisers ({LINE_ITEMS} line items x {DAYS} days) in "
          f"{time.perf_counter() - t0:.1f}s", flush=True)
    print(f"{'N':>6} {'rows':>11} {'engine':>6} {'wall s':>8} {'cpu s':>8} {'cpu s/client':>12} {'peak MB':>8} "
          f"{'alerts':>7} {'load':>5}", flush=True)
    results = []
    for n in args.n:
        lake = work / f"lake{n}"
        if not (lake / "campaigns").exists():
            rows = build_lake(n, lake, bases)
        else:
            rows = sum(bases[i % len(bases)].num_rows for i in range(n))
        for engine in args.engines:
            r = run_batch(lake, engine, args.since)
            results.append({"n": n, "rows": rows, "engine": engine, **r})
            print(f"{n:>6} {rows:>11,} {engine:>6} {r['wall_s']:>8.1f} {r['cpu_s']:>8.1f} {r['cpu_s'] / n:>12.2f} "
                  f"{r['peak_mb']:>8.0f} {r['alerts']:>7} {r['load']:>5.1f}", flush=True)
    if args.workspace:
        results += workspace_check(work / f"lake{max(args.n)}", work)
    print(json.dumps(results, default=str))
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
