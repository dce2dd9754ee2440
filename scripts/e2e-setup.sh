#!/usr/bin/env bash
# Installs what the real-VS-Code tests need, offline (see docs/TESTING.md):
# Debian's chromium, ripgrep and Kerberos headers, then code-server 4.100.3 from npm into
# .e2e/ (ignored by git). Idempotent: skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
need=()
for p in chromium ripgrep libkrb5-dev; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
  echo "e2e-setup: installing Debian packages ${need[*]} with apt-get (Chromium to drive VS Code; ripgrep and Kerberos headers for code-server)"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo=(sudo); echo "e2e-setup: not root, using sudo"
    else echo "e2e-setup: cannot install ${need[*]}: not root and no sudo. Install them as root (apt-get install --no-install-recommends ${need[*]}) and run this again." >&2; exit 1; fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "e2e-setup: cannot install ${need[*]}: no apt-get (this script expects Debian or Ubuntu). Install Chromium at /usr/bin/chromium, ripgrep and the Kerberos headers, then run this again." >&2; exit 1
  fi
  if ! "${sudo[@]}" apt-get update -qq || ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"; then
    echo "e2e-setup: apt-get could not install ${need[*]} (see above)." >&2; exit 1
  fi
fi
if [ -x .e2e/node_modules/.bin/code-server ]; then
  echo "code-server already installed in .e2e/"
  exit 0
fi
echo "e2e-setup: installing code-server 4.100.3 (VS Code 1.100.3 for the browser) from npm into .e2e/ (about 2 minutes, 300 MB)"
mkdir -p .e2e
tmp=$(mktemp -d)
# @vscode/ripgrep would download rg from GitHub: give it Debian's rg in its cache instead.
cache="$tmp/vscode-ripgrep-cache-1.15.11"
mkdir -p "$cache"
cp "$(command -v rg)" "$tmp/rg"
tar -C "$tmp" -czf "$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" rg
cat > .e2e/package.json <<'JSON'
{ "name": "weft-e2e", "private": true, "allowScripts": { "code-server": true, "argon2": true } }
JSON
if ! (cd .e2e && TMPDIR="$tmp" npm_config_unsafe_perm=true npm_config_yes=true npm install --no-audit --no-fund code-server@4.100.3); then
  rm -rf "$tmp"
  echo "e2e-setup: npm could not install code-server into .e2e/ (see above; it needs the npm registry and a C++ toolchain for its native modules)." >&2; exit 1
fi
rm -rf "$tmp"
echo "code-server installed in .e2e/"
