#!/usr/bin/env bash
# Installs the system libraries Persona builds against (OpenBLAS with CBLAS,
# LAPACKE, zlib, zstd and snappy for compressed files and Parquet, pkg-config) with apt-get when
# they are missing.
set -euo pipefail
have() {
    pkg-config --exists openblas 2>/dev/null && [ -e /usr/include/lapacke.h ] \
        && pkg-config --exists zlib 2>/dev/null && pkg-config --exists libzstd 2>/dev/null && pkg-config --exists snappy 2>/dev/null \
        && { [ -e /usr/include/x86_64-linux-gnu/cblas.h ] || [ -e /usr/include/aarch64-linux-gnu/cblas.h ] || [ -e /usr/include/cblas.h ]; }
}
if have; then exit 0; fi
echo "installing libopenblas-dev liblapacke-dev zlib1g-dev libzstd-dev libsnappy-dev pkg-config with apt-get" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq libopenblas-dev liblapacke-dev zlib1g-dev libzstd-dev libsnappy-dev pkg-config >/dev/null
have || { echo "error: OpenBLAS/LAPACKE, zlib, zstd or snappy still not found after installing; check pkg-config openblas zlib libzstd snappy" >&2; exit 1; }
