#!/usr/bin/env bash
# Installs Debian's chromium (headless rendering of the HTML reports in the tests) when missing.
set -euo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
echo "installing chromium with apt-get (the report tests render pages headless)" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null || { echo "error: chromium still not found after installing" >&2; exit 1; }
