"""A second app on a workspace another process holds: one titled error, no traceback, no PID."""

from __future__ import annotations

import subprocess
import sys

from tests.pages.conftest import error_texts, open_page


def test_a_held_workspace_shows_one_titled_error(db_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db_path)!r}); print('held', flush=True); "
                               "time.sleep(120)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        at = open_page()
        assert not at.exception
        (err,) = error_texts(at)
        assert err.startswith("**The workspace is in use.**") and "PID" not in err and str(holder.pid) not in err
    finally:
        holder.kill()
        holder.wait()
