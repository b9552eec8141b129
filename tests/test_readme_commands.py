"""README's two commands, tried from a clean copy of the repository in a fresh venv.

A green run on a used machine can hide a missing install step or a file that is not in git.
This test copies exactly what a clone would hold (tracked files plus new files that git does
not ignore: no .venv, node_modules, book/_vendor, _build) into a temporary folder, creates a
fresh venv there and runs README's commands in it:

* ``./dev book``: installs dnnlib and the book's extra, vendors the browser assets with
  ``npm ci`` (package.json + package-lock.json) and builds the web book with ``-W``;
* ``./dev test --collect-only``: installs the test extra and collects every test and
  notebook (running them all again here would run this very suite inside itself).

Kept cheap on purpose: the fresh venv sees this checkout's installed third-party packages
through a ``.pth`` file (dnnlib itself hidden), so pip resolves and installs only dnnlib, from
the copy, instead of downloading ~1 GB again. Resolving every dependency from an empty venv
is what ``.ci/run`` does (``rm -rf .venv; ./dev test`` from a clean clone).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def readme_commands() -> list[str]:
    """The ``./dev ...`` commands of README's first bash block (comments stripped)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block, "README.md has no ```bash block with the set-up commands"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines()
            if line.strip().startswith("./dev")]


def _clean_copy(dest: Path) -> None:
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=REPO, capture_output=True, check=True).stdout.decode()
    for rel in filter(None, out.split("\0")):
        src = REPO / rel
        if src.is_file():  # a tracked file deleted in the working tree is skipped
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def _fresh_venv(clone: Path, tmp: Path) -> Path:
    venv = clone / ".venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    # This checkout's third-party packages, without dnnlib (installed from the copy by ./dev).
    shared = tmp / "shared-site-packages"
    shared.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        name = entry.name.lower()
        if name.startswith(("dnnlib", "__editable__", "_dnnlib")) or name.endswith(".pth") \
                or name in ("pip", "setuptools") or name.startswith(("pip-", "setuptools-")):
            continue
        (shared / entry.name).symlink_to(entry)
    site = subprocess.run([str(venv / "bin" / "python"), "-c",
                           "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "zz_shared_site_packages.pth").write_text(str(shared) + "\n")
    # Their console scripts (jupyter-book, jupyter-lab, pytest...), as pip would have written.
    subprocess.run([str(venv / "bin" / "python"), "-c", _WRAPPERS], check=True)
    return venv


_WRAPPERS = """
import importlib.metadata as md, os, sys
bindir = os.path.dirname(sys.executable)
for ep in md.entry_points(group="console_scripts"):
    path = os.path.join(bindir, ep.name)
    if os.path.exists(path) or ":" not in ep.value:
        continue
    module, attr = ep.value.split(":")
    with open(path, "w") as f:
        f.write(f"#!{sys.executable}\\nimport sys\\nfrom {module} import {attr.split('.')[0]}\\n"
                f"sys.exit({attr}())\\n")
    os.chmod(path, 0o755)
"""


def _run(cmd: str, cwd: Path, env: dict[str, str], timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, shell=True, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_readme_commands_work_from_a_clean_clone(tmp_path):
    commands = readme_commands()
    assert commands[:2] == ["./dev book", "./dev test"], commands
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout: cannot tell what a clone would hold")
    clone = tmp_path / "clone"
    _clean_copy(clone)
    venv = _fresh_venv(clone, tmp_path)
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "DNNLIB_VENV", "PYTHON")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
               PIP_DISABLE_PIP_VERSION_CHECK="1", npm_config_prefer_offline="true",
               npm_config_update_notifier="false")

    book = _run("./dev book", clone, env, timeout=900)
    log = f"\n--- stdout\n{book.stdout[-4000:]}\n--- stderr\n{book.stderr[-4000:]}"
    assert book.returncode == 0, f"./dev book failed (rc {book.returncode}){log}"
    assert (clone / "_build" / "html" / "index.html").is_file(), log
    where = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import dnnlib; print(dnnlib.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, env=env)
    assert where.stdout.strip().startswith(str(clone)), (
        f"dnnlib is not imported from the clean copy: {where.stdout}{where.stderr}")
    if shutil.which("npm"):
        assert (clone / "book" / "_vendor" / "offline" / "ASSETS.txt").is_file(), (
            "the browser assets were not vendored in the clean copy" + log)

    test = _run("./dev test --collect-only -q -p no:cacheprovider", clone, env, timeout=900)
    log = f"\n--- stdout\n{test.stdout[-4000:]}\n--- stderr\n{test.stderr[-4000:]}"
    assert test.returncode == 0, f"./dev test failed (rc {test.returncode}){log}"
    assert re.search(r"\d+ tests? collected", test.stdout), log
