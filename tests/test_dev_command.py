"""``./dev``, the README's entry point: help, exit codes, arguments passed through, one venv.

Each test runs a copy of ``./dev`` (beside copies of the two files its stamp hashes) against a
stand-in virtual environment (``DNNLIB_VENV``) whose stamp says everything is installed and
whose tools only print the arguments they receive, so the tests check the script's own logic
in a fraction of a second, with no install and nothing written into the repository.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _hash() -> str:
    data = (REPO / "pyproject.toml").read_bytes() + (REPO / "requirements.txt").read_bytes()
    return hashlib.sha256(data).hexdigest()[:16]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    r = tmp_path / "repo"
    r.mkdir()
    for name in ("dev", "pyproject.toml", "requirements.txt"):
        shutil.copy2(REPO / name, r / name)
    shutil.copytree(REPO / "jupyter-config", r / "jupyter-config")
    return r


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    v = tmp_path / "venv"
    (v / "bin").mkdir(parents=True)
    (v / "bin" / "python").symlink_to(sys.executable)
    for tool in ("jupyter-lab", "jupyter-book"):
        script = v / "bin" / tool
        script.write_text(f'#!/bin/sh\necho "{tool} $*"\n')
        script.chmod(0o755)
    (v / ".dnnlib-stamp").write_text(f"{_hash()} book,test\n")
    return v


def _dev(repo: Path, venv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DNNLIB_VENV=str(venv))
    return subprocess.run([str(repo / "dev"), *args], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=60)


def test_no_command_prints_usage_and_fails(repo, venv):
    r = _dev(repo, venv)
    assert r.returncode == 2
    assert "usage: ./dev COMMAND" in r.stdout and "test-portable" in r.stdout
    assert "set -euo" not in r.stdout  # the usage, not the script's source


def test_help_succeeds(repo, venv):
    r = _dev(repo, venv, "help")
    assert r.returncode == 0 and "usage: ./dev COMMAND" in r.stdout


def test_unknown_command_fails_and_says_so(repo, venv):
    r = _dev(repo, venv, "bogus")
    assert r.returncode == 2
    assert "unknown command 'bogus'" in r.stderr


def test_lab_passes_arguments_through(repo, venv):
    r = _dev(repo, venv, "lab", "--port", "8890")
    assert r.returncode == 0, r.stderr
    assert "installing" not in r.stdout  # the stamp says book,test: nothing to install
    line = [x for x in r.stdout.splitlines() if x.startswith("jupyter-lab")][0]
    assert line.startswith("jupyter-lab book/") and line.endswith("--port 8890")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_lab_as_root_adds_allow_root_once_with_a_notice(repo, venv):
    r = _dev(repo, venv, "lab")
    assert "running as root" in r.stdout
    assert [x for x in r.stdout.splitlines() if x.startswith("jupyter-lab")] == \
        ["jupyter-lab book/ --allow-root"]
    r = _dev(repo, venv, "lab", "--allow-root")
    assert [x for x in r.stdout.splitlines() if x.startswith("jupyter-lab")] == \
        ["jupyter-lab book/ --allow-root"]


def test_lab_installs_the_books_lab_settings(repo, venv):
    """Every cell rendered (windowingMode none): jupyterlab-myst then resolves every
    reference; the file is an overrides.d default of this venv only."""
    r = _dev(repo, venv, "lab")
    assert r.returncode == 0, r.stderr
    installed = venv / "share/jupyter/lab/settings/overrides.d/dnnlib-book.json"
    assert json.loads(installed.read_text()) == \
        {"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}}


def test_book_passes_arguments_through(repo, venv):
    r = _dev(repo, venv, "book", "--all")
    assert "jupyter-book build . -W -n --keep-going --all" in r.stdout, r.stdout + r.stderr


def test_a_command_needing_fewer_extras_does_not_reinstall(repo, venv):
    (venv / ".dnnlib-stamp").write_text(f"{_hash()} book\n")
    r = _dev(repo, venv, "lab")  # book is installed: nothing to do
    assert "installing" not in r.stdout and r.returncode == 0


def _stand_in_students_script(repo: Path) -> None:
    """scripts/students_edition.py in the copy: prints the arguments it receives."""
    (repo / "scripts").mkdir(exist_ok=True)
    (repo / "scripts" / "students_edition.py").write_text(
        "import sys\nprint('students_edition.py', ' '.join(sys.argv[1:]))\n")


def test_book_students_builds_the_students_edition(repo, venv):
    _stand_in_students_script(repo)
    r = _dev(repo, venv, "book", "--students")
    assert r.returncode == 0, r.stderr
    assert "students_edition.py book" in r.stdout.splitlines()
    assert "jupyter-book" not in r.stdout  # the full edition is not built


def test_book_students_passes_arguments_through_from_any_position(repo, venv):
    _stand_in_students_script(repo)
    r = _dev(repo, venv, "book", "--out", "/tmp/x", "--students", "--keep-temp")
    assert r.returncode == 0, r.stderr
    assert "students_edition.py book --out /tmp/x --keep-temp" in r.stdout.splitlines()


def test_book_students_is_in_the_usage(repo, venv):
    r = _dev(repo, venv, "help")
    assert "book --students" in r.stdout
