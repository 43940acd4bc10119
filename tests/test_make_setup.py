"""The Makefile's system set-up: `make test` on a fresh machine installs Java (Spark) and chromium itself.

Each test runs the real Makefile target with a PATH of our own: the tools it may call are
shims that record their arguments, so "a machine without java" is a PATH without it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")

RECORDER = '#!/bin/sh\necho "${0##*/} $*" >> "$SHIM_LOG"\n'


def _bin(tmp_path: Path, tools: list[str], uid: int) -> Path:
    """A bin folder with recording shims for ``tools`` and an ``id`` that answers ``uid``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in tools:
        (bin_dir / name).write_text(RECORDER)
    (bin_dir / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    for shim in bin_dir.iterdir():
        shim.chmod(0o755)
    return bin_dir


def _make(target: str, bin_dir: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess, list[str]]:
    log = tmp_path / "calls.log"
    env = {"PATH": str(bin_dir), "SHIM_LOG": str(log), "HOME": str(tmp_path)}
    done = subprocess.run([MAKE, "--no-print-directory", "-C", str(ROOT), target], env=env,
                          capture_output=True, text=True, timeout=60)
    return done, log.read_text().splitlines() if log.exists() else []


def test_java_is_installed_from_debian_when_missing(tmp_path):
    done, calls = _make("java", _bin(tmp_path, ["apt-get"], uid=0), tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Installing Debian openjdk-17-jre-headless" in done.stdout
    assert calls[0] == "apt-get update -qq"
    assert calls[1].startswith("apt-get install -y")
    assert calls[1].split()[-1] == "openjdk-17-jre-headless"


def test_java_install_uses_sudo_when_not_root(tmp_path):
    _, calls = _make("java", _bin(tmp_path, ["apt-get", "sudo"], uid=1000), tmp_path)
    assert calls and all(c.startswith("sudo apt-get") for c in calls)


def test_java_already_there_installs_nothing(tmp_path):
    done, calls = _make("java", _bin(tmp_path, ["apt-get", "java"], uid=0), tmp_path)
    assert done.returncode == 0
    assert calls == []


def test_a_failed_java_install_fails_the_set_up(tmp_path):
    bin_dir = _bin(tmp_path, [], uid=0)
    (bin_dir / "apt-get").write_text("#!/bin/sh\nexit 100\n")
    (bin_dir / "apt-get").chmod(0o755)
    done, _ = _make("java", bin_dir, tmp_path)
    assert done.returncode != 0


def test_chromium_is_installed_from_debian_when_missing(tmp_path):
    done, calls = _make("chromium", _bin(tmp_path, ["apt-get"], uid=0), tmp_path)
    assert done.returncode == 0, done.stderr
    assert calls[1].startswith("apt-get install -y") and "chromium" in calls[1].split()


def test_make_test_requires_spark_and_the_browser_rather_than_skipping_them():
    """Under `make test` a missing Java or chromium fails the Spark and browser tests (their fixtures
    read this variable), so a green CI run proves both ran there."""
    recipe = subprocess.run([MAKE, "-n", "-C", str(ROOT), "test"],
                            capture_output=True, text=True, env={**os.environ, "PATH": os.environ["PATH"]})
    pytest_lines = [line for line in recipe.stdout.splitlines() if "-m pytest" in line]
    assert pytest_lines and all("WORKBENCH_REQUIRE_SYSTEM_TOOLS=1" in line for line in pytest_lines)


def test_make_test_runs_every_test_once_the_timed_ones_alone():
    """The parallel run leaves out exactly the `timed` tests, and the serial run after it takes exactly those."""
    recipe = subprocess.run([MAKE, "-n", "-C", str(ROOT), "test"],
                            capture_output=True, text=True, env={**os.environ, "PATH": os.environ["PATH"]})
    parallel, serial = [line for line in recipe.stdout.splitlines() if "-m pytest" in line]
    assert "-n 2" in parallel and '-m "not timed"' in parallel and "OMP_NUM_THREADS=1" in parallel
    assert "-n " not in serial and "-m timed" in serial
