#!/usr/bin/env bash
# Builds dockershim and runs the whole test suite (unit, integration, e2e) with CTest.
#   test/run-tests.sh              normal build in build/
#   test/run-tests.sh --sanitize   AddressSanitizer + UBSan build in build-asan/, with the fault
#                                  points and the crash tests (ctest label faults)
#   extra arguments after -- go to ctest (e.g. -- -L unit)
# e2e tests need root: they start a private dockerd, a registry and the daemon under test.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build
cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize)
      build=build-asan
      # The sanitizer build is a test build: it also carries the fault points of the crash
      # tests (e2e_faults), which no package may contain.
      cmake_args=(-DCMAKE_BUILD_TYPE=Debug -DDOCKERSHIM_SANITIZE=ON -DDOCKERSHIM_FAULT_POINTS=ON)
      ;;
    --) shift; ctest_args=("$@"); break ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

bash packaging/install-deps.sh
jobs=$(( $(nproc) < 2 ? 1 : 2 ))
cmake -S . -B "$build" "${cmake_args[@]}" >/dev/null
cmake --build "$build" -j"$jobs"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/test/lsan.supp:print_suppressions=0}
cd "$build"
ctest --output-on-failure "${ctest_args[@]}"
