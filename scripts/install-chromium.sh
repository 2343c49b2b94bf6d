#!/usr/bin/env bash
# Installs Debian's Chromium for the block explorer's browser test. Playwright's own browser
# download is not reachable here, so playwright-core drives the system Chromium (/usr/bin/chromium).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "chromium is missing: install it (apt-get install chromium) or run this script as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium
