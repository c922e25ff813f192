#!/usr/bin/env bash
# Installs every Debian 12 package the build, tests, benchmarks and fuzzers need.
# Idempotent: safe to run again; apt-get skips what is already installed.
set -euo pipefail

packages=(
  build-essential g++ clang cmake ninja-build pkg-config git
  libclang-rt-14-dev        # libFuzzer and sanitizer runtimes for clang
  librapidcheck-dev         # property-based testing
  libboost-context-dev      # fibers for the deterministic scheduler
  liburing-dev              # UringDisk
  libxxhash-dev             # XXH3 checksums
  libgtest-dev libgmock-dev # unit tests
  libfmt-dev                # formatting
  librocksdb-dev            # bench/: the peer of store_vs_rocksdb
  libcli11-dev              # shardcheck: subcommands, flags and usage errors
  nlohmann-json3-dev        # shardcheck: --json reports and recorded histories
  chromium                  # tests/checker/report_browser_test.sh, bench/report_render.sh
  libxml2-utils             # xmllint: the JUnit XML schema check
)

if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=sudo
else
  sudo_cmd=
fi

export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -qq
$sudo_cmd apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "install-deps: ok"
