"""`make run` and `make test` can be run again after any failure: a half-made virtualenv is rebuilt."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), f"PYTHON={sys.executable}", *args],
                          capture_output=True, text=True, timeout=300)


def test_a_half_made_virtualenv_is_rebuilt(tmp_path):
    venv = tmp_path / "venv"
    # What a failed `python3 -m venv` leaves when Debian's python3-venv is missing: a python, no pip.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    assert subprocess.run([venv / "bin" / "python", "-m", "pip", "--version"], capture_output=True).returncode != 0

    result = make("venv", f"VENV={venv}")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "is incomplete (no working pip); rebuilding it" in result.stdout
    subprocess.run([venv / "bin" / "python", "-m", "pip", "--version"], check=True, capture_output=True)

    (venv / "kept").write_text("")  # a working virtualenv is kept as it is
    again = make("venv", f"VENV={venv}")
    assert again.returncode == 0 and "rebuilding" not in again.stdout
    assert (venv / "kept").exists() and (venv / ".complete").exists()


def test_make_run_goes_through_the_repair(tmp_path):
    """`make run` (and `make test`) depend on the checked virtualenv: a broken one is repaired first."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    for target in ("run", "test"):
        dry_run = make("-n", target, f"VENV={venv}").stdout
        assert "rebuilding it" in dry_run, dry_run
        assert dry_run.index("rebuilding it") < dry_run.index("pip install -q -r requirements.txt")


def test_ci_runs_the_readme_test_command_and_nothing_else():
    commands = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert commands[-1] == "exec make test"
    assert all(line.startswith(("set ", "cd ")) for line in commands[:-1]), commands
    assert "make test " in (ROOT / "README.md").read_text()
