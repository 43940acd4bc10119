"""The deployment files: compose's three services start from their own commands.

These machines cannot build images, so the test runs each service's command as compose
would (through the image's entrypoint, over one shared data folder), with this checkout
standing in for /app and a temporary folder for the /data volume.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _local(command: list[str], data: Path, port: int | None) -> list[str]:
    """A compose command with this machine's python, the temporary volume and a free port."""
    out = []
    for part in command:
        part = part.replace("/data", str(data)).replace("0.0.0.0", "127.0.0.1")
        part = part.replace("python -m", f"{sys.executable} -m")
        if port is not None:
            part = part.replace("8501", str(port)).replace("8000", str(port))
        out.append(sys.executable if part == "python" else part)
    return [str(ROOT / "deploy" / "entrypoint.sh"), *out]


def _wait(check, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.3)  # polling a health endpoint or a heartbeat file
    raise TimeoutError(what)


def _ok(url: str, headers: dict[str, str] | None = None, timeout: float = 5) -> bool:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=timeout) as r:
        return r.status == 200


def test_dockerfile_runs_as_a_non_root_user_with_the_models_baked_in():
    text = (ROOT / "Dockerfile").read_text()
    assert "USER workbench" in text and "torch==2.13.0" in text and "COPY --chown=workbench:workbench . ." in text
    assert (ROOT / "models" / "sentiment" / "CURRENT").exists()


def test_compose_services_start_from_their_commands(tmp_path):
    spec = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = spec["services"]
    assert set(services) == {"app", "api", "worker"}
    assert all(s["volumes"] == ["workspace:/data"] for s in services.values())
    data = tmp_path / "data"
    data.mkdir()
    env = {**os.environ, "WORKBENCH_APP_DIR": str(ROOT), "WORKBENCH_DB": str(data / "workspace.duckdb"),
           "WORKBENCH_MODELS": str(data / "models"), "WORKBENCH_API_KEYS": "deploy-test-key"}
    ports = {"app": _free_port(), "api": _free_port()}
    procs: dict[str, subprocess.Popen] = {}
    try:
        procs["worker"] = subprocess.Popen(_local(services["worker"]["command"], data, None), env=env,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        beat = data / "workspace.duckdb.watch.json"
        _wait(lambda: beat.exists() and json.loads(beat.read_text()).get("state") == "watching", "worker heartbeat",
              timeout=240)
        for name in ("app", "api"):
            procs[name] = subprocess.Popen(_local(services[name]["command"], data, ports[name]), env=env,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _wait(lambda: _ok(f"http://127.0.0.1:{ports['app']}/_stcore/health"), "app health")
        _wait(lambda: _ok(f"http://127.0.0.1:{ports['api']}/health"), "api health")
        # The first alerts call fits the monitor: on a loaded 2-core machine (two test workers) that passed 5 s.
        assert _ok(f"http://127.0.0.1:{ports['api']}/v1/alerts", {"Authorization": "Bearer deploy-test-key"}, 120)
        assert (data / "models" / "sentiment" / "CURRENT").exists()  # the entrypoint seeded the shipped models
    finally:
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        codes = {name: proc.wait(30) for name, proc in procs.items()}
    assert codes["worker"] == 0, procs["worker"].stderr.read().decode()[-2000:]
    shutil.rmtree(data, ignore_errors=True)
