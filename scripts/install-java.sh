#!/usr/bin/env bash
# Installs Java 17 (Debian's openjdk-17-jre-headless) with apt-get when no Java
# 17 or newer is on the PATH: Spark runs on it.
set -euo pipefail
major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }
if command -v java >/dev/null 2>&1 && [ "$(major)" -ge 17 ] 2>/dev/null; then exit 0; fi
echo "installing openjdk-17-jre-headless with apt-get (Spark needs Java 17)" >&2
SUDO=""; if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null
command -v java >/dev/null 2>&1 && [ "$(major)" -ge 17 ] || { echo "error: Java 17 still not found after installing openjdk-17-jre-headless" >&2; exit 1; }
