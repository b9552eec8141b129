#!/usr/bin/env bash
# Copy the web book's browser assets (MathJax 3, require.js, the ipywidgets HTML manager),
# pinned in package.json / package-lock.json, from node_modules into book/_vendor/offline/.
# scripts/offline_assets.py (a Sphinx extension listed in _config.yml) then serves them from
# the book itself, so the built book reads fully offline. Without Node/npm (or without
# network for the first `npm ci`) this prints a notice and exits 0: the book still builds and
# loads those three libraries from their CDNs instead.
#
#   bash scripts/vendor_web_assets.sh          (./dev book runs it)
set -euo pipefail
cd "$(dirname "$0")/.."

DEST=book/_vendor/offline
STAMP="$DEST/ASSETS.txt"

cdn_notice() {
  echo "notice: $1" >&2
  echo "notice: the web book will load MathJax, require.js and the widget manager from CDNs" >&2
  echo "        (equations and embedded widgets then need internet). Install Node.js/npm and" >&2
  echo "        rerun 'bash scripts/vendor_web_assets.sh' for a fully offline book." >&2
}

want="$(cat package.json package-lock.json scripts/vendor_web_assets.sh | sha256sum | cut -c1-16)"
if [ -f "$STAMP" ] && [ "$(head -n1 "$STAMP")" = "$want" ]; then
  exit 0  # already vendored from this exact lock file
fi

have_modules() {
  [ -f node_modules/mathjax/es5/tex-mml-chtml.js ] \
    && [ -f node_modules/requirejs/require.js ] \
    && [ -f node_modules/@jupyter-widgets/html-manager/dist/embed-amd.js ] \
    && [ node_modules/.package-lock.json -nt package-lock.json ]
}

if ! have_modules; then
  if ! command -v npm >/dev/null 2>&1; then
    rm -rf "$DEST"
    cdn_notice "npm not found (Node.js is not installed)."
    exit 0
  fi
  echo "==> npm ci (pinned browser assets for the offline web book)"
  if ! npm ci --no-audit --no-fund --ignore-scripts --loglevel=error; then
    rm -rf "$DEST"
    cdn_notice "'npm ci' failed (no network?)."
    exit 0
  fi
fi

echo "==> copying MathJax, require.js and @jupyter-widgets/html-manager into $DEST"
mkdir -p book/_vendor
tmp="$(mktemp -d book/_vendor/.tmp.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
mj=node_modules/mathjax/es5
mkdir -p "$tmp/mathjax/es5/output" "$tmp/requirejs" "$tmp/html-manager"
cp "$mj/tex-mml-chtml.js" "$tmp/mathjax/es5/"
# Loaded on demand: TeX extensions (autoload), CHTML fonts, the context menu, accessibility.
cp -r "$mj/input" "$mj/ui" "$mj/a11y" "$mj/sre" "$mj/adaptors" "$tmp/mathjax/es5/"
cp -r "$mj/output/chtml" "$mj/output/chtml.js" "$tmp/mathjax/es5/output/"
cp node_modules/mathjax/LICENSE "$tmp/mathjax/"
cp node_modules/requirejs/require.js "$tmp/requirejs/"
cp node_modules/requirejs/README.md "$tmp/requirejs/" 2>/dev/null || true
hm=node_modules/@jupyter-widgets/html-manager/dist
cp "$hm"/embed-amd.js "$hm"/*.woff2 "$hm"/*.woff "$hm"/*.ttf "$hm"/*.eot "$hm"/*.svg \
  "$tmp/html-manager/"
{
  echo "$want"
  node -e 'for (const p of ["mathjax", "requirejs", "@jupyter-widgets/html-manager"])
             console.log(p + " " + require("./node_modules/" + p + "/package.json").version)' \
    2>/dev/null || true
} > "$tmp/ASSETS.txt"
rm -rf "$DEST"
mv "$tmp" "$DEST"
trap - EXIT
echo "    $(du -sh "$DEST" | cut -f1) in $DEST ($(tail -n +2 "$DEST/ASSETS.txt" | paste -sd, -))"
