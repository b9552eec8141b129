"""Helpers of the browser tests (no pytest fixtures): build and serve a book, run JupyterLab."""

from __future__ import annotations

import functools
import http.server
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


# --------------------------------------------------------------------------- the book
def build_book(src: Path, out: Path, *, vendor: bool = True) -> Path:
    """``jupyter-book build src --path-output out -W -n --keep-going`` -> the html folder."""
    if vendor and (REPO / "scripts" / "vendor_web_assets.sh").exists():
        subprocess.run(["bash", str(REPO / "scripts" / "vendor_web_assets.sh")], check=True,
                       cwd=REPO, timeout=300)
    cmd = [str(VENV_BIN / "jupyter-book"), "build", str(src), "--path-output", str(out),
           "-W", "-n", "--keep-going"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"book build failed (rc {proc.returncode}): {' '.join(cmd)}\n"
                           f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return out / "_build" / "html"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``directory`` on 127.0.0.1 at a random port in a daemon thread."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


# --------------------------------------------------------------------------- JupyterLab
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running JupyterLab: ``url(path)`` gives the address of a notebook with the token."""

    def __init__(self, root: Path, port: int, token: str, proc: subprocess.Popen[bytes],
                 log: Path) -> None:
        self.root, self.port, self.token, self.proc, self.log = root, port, token, proc, log

    def url(self, notebook: str) -> str:
        """Open ``notebook`` alone: ``reset`` empties the workspace first. Without it Lab
        restores every notebook an earlier page opened, each with its kernel (measured: the
        time to open grew from 8 s to 21 s over ten tests)."""
        return f"http://127.0.0.1:{self.port}/lab/tree/{notebook}?reset&token={self.token}"

    def log_tail(self, n: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-n:]


def start_lab(workdir: Path, root: Path) -> Lab:
    """Start JupyterLab on 127.0.0.1 (random port and token) serving ``root``."""
    home = workdir / "jupyter-home"
    env = dict(os.environ)
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython"),
                     ("MPLCONFIGDIR", "mpl"), ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
                     ("JUPYTERLAB_SETTINGS_DIR", "config/lab/user-settings")]:
        (home / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(home / sub)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("DNNLIB_BACKEND", None)
    # No news pop-up, no update check (the machine is offline; a pop-up hides the notebook).
    notif = home / "config/lab/user-settings/@jupyterlab/apputils-extension"
    notif.mkdir(parents=True, exist_ok=True)
    (notif / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    # The book's Lab settings, the file ./dev lab installs for readers
    # (jupyter-config/lab/dnnlib-book.json: every cell rendered, no windowing, so that
    # jupyterlab-myst resolves every reference and the tests find outputs below the fold),
    # written here as user settings.
    book_settings = json.loads((REPO / "jupyter-config/lab/dnnlib-book.json").read_text())
    for plugin, values in book_settings.items():
        package, name = plugin.rsplit(":", 1)
        folder = home / "config/lab/user-settings" / package
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.jupyterlab-settings").write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--ServerApp.token={token}", "--ServerApp.port_retries=0",
           f"--ServerApp.root_dir={root}", "--expose-app-in-browser",
           "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = workdir / "jupyterlab.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
    lab = Lab(root, port, token, proc, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited (rc {proc.returncode}):\n{lab.log_tail()}")
        try:
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2) as r:
                if r.status == 200:
                    return lab
        except OSError:
            time.sleep(0.3)
    stop_lab(lab)
    raise RuntimeError(f"JupyterLab did not answer within 60 s:\n{lab.log_tail()}")


def stop_lab(lab: Lab) -> None:
    """Stop the server and its kernels (its own process group), whatever happened."""
    if lab.proc.poll() is None:
        try:
            os.killpg(lab.proc.pid, signal.SIGTERM)
            lab.proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(lab.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            lab.proc.wait(timeout=5)
