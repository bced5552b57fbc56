#!/usr/bin/env bash
# The two commands of the README's quickstart, on a fresh Debian 12 machine:
#   ./run.sh demo   installs what is missing, then runs `invitegraph demo`
#   ./run.sh test   installs what is missing, then runs every test (ctest, ASan/UBSan and
#                   TSan builds, pytest, mypy over the Python examples) and builds the
#                   docs with warnings as errors
# Both are idempotent: already-installed packages are skipped.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
export CMAKE_BUILD_PARALLEL_LEVEL=$JOBS

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# openjdk-17-jre-headless: the Java runtime PySpark needs (tests/python/test_spark.py).
# redis-server libhiredis-dev: the Redis state store (RecommenderConfig::state =
# "redis://..."): its C client to build, and a server its tests start on loopback.
# doxygen: the C++ API reference of the docs (docs/conf.py runs it over the headers).
APT_PACKAGES=(g++ cmake ninja-build pkg-config libeigen3-dev libboost-graph-dev libabsl-dev
              catch2 nlohmann-json3-dev libbenchmark-dev libxxhash-dev libcpp-httplib-dev
              clang libfuzzer-14-dev openjdk-17-jre-headless doxygen
              redis-server libhiredis-dev)

python_is_system() { [ "$(command -v python3)" = /usr/bin/python3 ]; }

install_apt() {
  local want=("${APT_PACKAGES[@]}") missing=()
  if python_is_system; then want+=(python3-dev python3-venv python3-pip); fi
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "apt-get install ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# The Python to install into: an active virtualenv, else python3 unless the OS marks it
# externally managed (PEP 668), in which case ./.venv.
choose_python() {
  if [ -n "${VIRTUAL_ENV:-}" ]; then PY="$VIRTUAL_ENV/bin/python"; return; fi
  if python3 - <<'PY'
import os, sys, sysconfig
sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_paths()["stdlib"], "EXTERNALLY-MANAGED")) else 1)
PY
  then
    [ -x .venv/bin/python ] || { say "creating .venv (system Python is externally managed)"; python3 -m venv .venv; }
    PY=$ROOT/.venv/bin/python
  else
    PY=python3
  fi
}

install_python() {
  local extras=$1
  say "pip install .$extras"
  "$PY" -m pip install -q --disable-pip-version-check "$ROOT$extras"
}

case "${1:-}" in
  demo)
    install_apt
    choose_python
    install_python ""
    shift
    say "invitegraph demo $*"
    "$PY" -m invitegraph.cli demo "$@"
    ;;
  test)
    install_apt
    choose_python
    say "C++ build and ctest (build-ci/)"
    cmake -S . -B build-ci -G Ninja -DCMAKE_BUILD_TYPE=Release -DINVITEGRAPH_BUILD_TESTS=ON \
      -DINVITEGRAPH_BUILD_EXAMPLES=ON -DINVITEGRAPH_BUILD_BENCHMARKS=ON -DINVITEGRAPH_INSTALL=ON \
      -DCMAKE_INSTALL_PREFIX="$ROOT/build-ci/install" >/dev/null
    cmake --build build-ci
    ctest --test-dir build-ci --output-on-failure -j "$JOBS"
    say "install the CMake package and link a consumer with find_package(invitegraph)"
    cmake --install build-ci >/dev/null
    cmake -S tests/cmake_consumer -B build-ci/consumer -G Ninja \
      -DCMAKE_PREFIX_PATH="$ROOT/build-ci/install" >/dev/null
    cmake --build build-ci/consumer
    ./build-ci/consumer/consumer
    # Clang, ASan + UBSan on every module: the C++ suite (less SANITIZE_EXCLUDE) and each
    # libFuzzer target for FUZZ_SECONDS from its seed corpus (docs/hardening.md).
    # Excluded by default, the two heaviest cases (build-ci/ ran them above): Eigen fits that
    # take 3-6 s in Release but 75-100 s under ASan at -O1 (the other fit tests still run).
    SANITIZE_EXCLUDE_DEFAULT="^(fits are bit-identical for any thread count|example_cpp_fit_ranker)$"
    say "ASan+UBSan build and ctest, C++ tests and fuzzers (build-asan/)"
    cmake -S . -B build-asan -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
      -DINVITEGRAPH_BUILD_TESTS=ON -DINVITEGRAPH_BUILD_FUZZERS=ON -DINVITEGRAPH_INSTALL=OFF \
      -DINVITEGRAPH_FUZZ_SECONDS="${FUZZ_SECONDS:-20}" >/dev/null
    cmake --build build-asan
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1} \
      UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
      ctest --test-dir build-asan --output-on-failure -j "$JOBS" -E "${SANITIZE_EXCLUDE:-$SANITIZE_EXCLUDE_DEFAULT}"
    # Clang, ThreadSanitizer on every module, running the [concurrency] tests only (threads
    # racing hot swaps, reservations and recorded outcomes against requests), alone in a
    # small executable (INVITEGRAPH_CONCURRENCY_TESTS_ONLY): the stage compiles src/ and
    # the few test files holding them. Where the kernel's ASLR would defeat clang 14's
    # TSan, the tests run under `setarch -R` (tests/CMakeLists.txt). --no-tests=error: a
    # binary that cannot start lists no tests, which must fail, not pass.
    say "ThreadSanitizer build and ctest, [concurrency] tests (build-tsan/)"
    cmake -S . -B build-tsan -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
      -DINVITEGRAPH_SANITIZERS=thread -DINVITEGRAPH_BUILD_TESTS=ON \
      -DINVITEGRAPH_CONCURRENCY_TESTS_ONLY=ON -DINVITEGRAPH_INSTALL=OFF >/dev/null
    cmake --build build-tsan
    TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1} \
      ctest --test-dir build-tsan --output-on-failure --no-tests=error
    install_python "[test,docs]"
    say "pytest"
    (cd tests/python && "$PY" -m pytest -q -c "$ROOT/pyproject.toml" --rootdir "$ROOT" .)
    # The examples type-check against the package's annotations and _core.pyi
    # (pyproject.toml's [tool.mypy]).
    say "mypy examples/python"
    "$PY" -m mypy examples/python
    # The manual (docs/): Sphinx over the Markdown pages, autodoc over the package just
    # installed into $PY, breathe over Doxygen XML of include/invitegraph. Any warning
    # (a broken link, a docstring docutils cannot parse, a header Doxygen cannot read)
    # fails the stage. Built from scratch each time into build-ci/docs/.
    say "docs: sphinx-build -W (build-ci/docs/)"
    rm -rf build-ci/docs
    INVITEGRAPH_DOXYGEN_OUT="$ROOT/build-ci/docs/doxygen" \
      "$PY" -m sphinx -W --keep-going -q -b html docs build-ci/docs/html
    ;;
  *)
    echo "usage: $0 demo [demo options] | test" >&2
    exit 2
    ;;
esac
