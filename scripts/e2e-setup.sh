#!/usr/bin/env bash
# Installs what the real-VS-Code tests need, offline (see ../shared/ENVIRONMENT.md):
# Debian's chromium, ripgrep and Kerberos headers, then code-server 4.100.3 from npm into
# .e2e/ (ignored by git). Idempotent: skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
need=()
for p in chromium ripgrep libkrb5-dev; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
if [ -x .e2e/node_modules/.bin/code-server ]; then
  echo "code-server already installed in .e2e/"
  exit 0
fi
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
(cd .e2e && TMPDIR="$tmp" npm_config_unsafe_perm=true npm_config_yes=true npm install --no-audit --no-fund code-server@4.100.3)
rm -rf "$tmp"
echo "code-server installed in .e2e/"
