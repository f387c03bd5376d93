#!/bin/bash
# storegw quick start on Debian 12, as root:
#   ./quickstart.sh run    install what it needs, build, run `make demo`:
#                          the gateway with the demo store on
#                          http://127.0.0.1:8080/, the hub's reps, Kamailio,
#                          a phone rep (baresip) and an order server
#                          (tools/demo.sh); the gateway alone with its
#                          built-in defaults when a piece is missing
#   ./quickstart.sh test   install what it needs, build, run every test:
#                          unit, include check, integration (headless
#                          Chromium), the same under ASan+UBSan, fuzzers,
#                          and the benchmarks (figures only)
set -euo pipefail
cd "$(dirname "$0")"
top=$(pwd)
mode=${1:-}
case "$mode" in run|test) ;; *) echo "usage: $0 run|test" >&2; exit 2 ;; esac

# ---- Debian packages ---------------------------------------------------
build_pkgs="autoconf automake libtool pkg-config make gcc clang
 libclang-rt-14-dev libre-dev libsofia-sip-ua-dev libsrtp2-dev libopus-dev
 libvpx-dev libopenh264-dev libopencore-amrnb-dev libopencore-amrwb-dev
 libvo-amrwbenc-dev libspeexdsp-dev libspandsp-dev libconfig-dev libssl-dev
 zlib1g-dev libsqlite3-dev libasound2-dev"
test_pkgs="chromium kamailio baresip baresip-ffmpeg iproute2 iptables"
demo_pkgs="kamailio baresip baresip-ffmpeg python3"
need=""
pkgs="$build_pkgs"
[ "$mode" = test ] && pkgs="$pkgs $test_pkgs"
[ "$mode" = run ] && pkgs="$pkgs $demo_pkgs"
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		need="$need $p"
done
if [ "$mode" = test ] && ! command -v node >/dev/null; then
	need="$need nodejs npm"
fi
if [ -n "$need" ]; then
	echo "== installing:$need"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $need
fi

# ---- build ---------------------------------------------------------------
jobs=$(nproc)
configure() { # dir, configure args...
	local dir=$1; shift
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ]; then
		(cd "$dir" && "$top/configure" -q "$@")
	fi
}
[ -x configure ] || autoreconf -fi >/dev/null
configure build --enable-werror
make -C build -j"$jobs" >/dev/null

if [ "$mode" = run ]; then
	missing=""
	for f in build/hub/storegw-hub /usr/sbin/kamailio /usr/bin/baresip; do
		[ -x "$f" ] || missing="$missing $f"
	done
	if [ -z "$missing" ]; then
		exec make -C build -s demo
	fi
	echo "== no$missing: the gateway alone (not make demo)"
	cd build
	# no config file here: the built-in defaults (etc/storegw.conf lists them)
	exec ./gw/storegw
fi

# ---- tests ---------------------------------------------------------------
out="$top/build/test-output"
rm -rf "$out"; mkdir -p "$out"
passed=0; failed=0
count() { # log file: add its closing "N passed, N failed"
	local line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -1 || true)
	if [ -z "$line" ]; then failed=$((failed + 1)); return; fi
	passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
	failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
}
step() { # name, log, command...
	local name=$1 log=$2; shift 2
	echo "== $name"
	if "$@" >"$log" 2>&1; then rc=0; else rc=$?; fi
	grep -E '^  (ok|FAIL)|passed, [0-9]+ failed|^    ' "$log" || true
	[ $rc -eq 0 ] || { echo "   (exit $rc; log: $log)"; tail -40 "$log"; }
	count "$log"
	[ $rc -eq 0 ] || failed=$((failed + 1))
}

(cd tests/integration && npm ci --no-audit --no-fund >/dev/null)

includes() { tests/check-includes.sh && echo "1 passed, 0 failed"; }
step "include direction" "$out/includes.log" includes
# check programs (unit runner, SIP test peers) without running anything
make -C build -j"$jobs" check TESTS= >/dev/null
step "unit tests" "$out/unit.log" build/tests/unit/runner
SG_TEST_OUT="$out/it" SG_BUILDDIR="$top/build" \
	step "integration tests (Chromium)" "$out/integration.log" \
	tests/integration/run.sh

echo "== building with AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)"
configure build-asan CC=clang --enable-werror --enable-sanitizers
make -C build-asan -j"$jobs" >/dev/null
make -C build-asan -j"$jobs" check TESTS= >/dev/null
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
step "unit tests (ASan+UBSan)" "$out/unit-asan.log" build-asan/tests/unit/runner
SG_TEST_OUT="$out/it-asan" SG_BUILDDIR="$top/build-asan" \
	step "integration tests (ASan+UBSan)" "$out/integration-asan.log" \
	tests/integration/run.sh
step "asan log check" "$out/asan-scan.log" tests/scan-sanitizer-logs.sh \
	"$out/it-asan"

step "fuzzers" "$out/fuzz.log" tests/fuzz/run.sh "${SG_FUZZ_SECONDS:-20}"

echo "== benchmarks (figures, not pass/fail)"
make -C build -j"$jobs" bench 2>&1 | grep -v '^make' || echo "   benchmark failed to run"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
