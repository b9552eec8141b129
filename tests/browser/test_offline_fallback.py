"""Without Node.js/npm the book still builds: vendoring prints a notice and the CDNs stay.

No browser needed (not marked ``browser``): the vendoring script runs in a copy of the
repository's asset files with a PATH that has no npm, and the Sphinx extension is asked to
configure a book whose vendor folder is missing.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

from .harness import REPO


def test_vendoring_without_npm_falls_back_with_a_notice(tmp_path):
    for rel in ("package.json", "package-lock.json", "scripts/vendor_web_assets.sh"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, tmp_path / rel)
    bin_dir = tmp_path / "bin"  # the few tools the script needs, and no npm
    bin_dir.mkdir()
    for tool in ("bash", "cat", "sha256sum", "cut", "head", "rm", "dirname"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    proc = subprocess.run([str(bin_dir / "bash"), "scripts/vendor_web_assets.sh"], cwd=tmp_path,
                          env={"PATH": str(bin_dir)}, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "npm not found" in proc.stderr and "CDN" in proc.stderr, proc.stderr
    assert not (tmp_path / "book" / "_vendor" / "offline").exists()


def _extension():
    spec = importlib.util.spec_from_file_location("offline_assets_under_test",
                                                  REPO / "scripts" / "offline_assets.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_extension_keeps_cdn_defaults_when_nothing_is_vendored(tmp_path, capsys):
    ext = _extension()
    ext.VENDOR = tmp_path / "missing"
    config = SimpleNamespace(html_static_path=[], mathjax_path="https://cdn/mathjax.js",
                             nb_ipywidgets_js={"https://cdn/require.js": {}})
    ext._configure(None, config)
    assert config.mathjax_path == "https://cdn/mathjax.js"
    assert config.html_static_path == []
    assert "notice" in capsys.readouterr().out


def test_extension_serves_vendored_assets(tmp_path):
    ext = _extension()
    ext.VENDOR = tmp_path
    for rel in (ext.MATHJAX, ext.REQUIREJS, ext.HTML_MANAGER, "offline/ASSETS.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    config = SimpleNamespace(html_static_path=["_static"], mathjax_path="https://cdn/mj.js",
                             nb_ipywidgets_js={})
    ext._configure(None, config)
    assert config.html_static_path == ["_static", str(tmp_path)]
    assert config.mathjax_path == ext.MATHJAX
    assert list(config.nb_ipywidgets_js) == [ext.REQUIREJS, ext.HTML_MANAGER]
    assert not Path(config.mathjax_path).is_absolute()
