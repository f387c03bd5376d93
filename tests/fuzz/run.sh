#!/bin/sh
# Build every libFuzzer target with clang (ASan+UBSan) and run each for a
# bounded time on a copy of its seed corpus. Closing line: N passed, N failed.
secs=${1:-30}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${SG_FUZZ_OUT:-$top/build/fuzz}
mkdir -p "$out"
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
 -DHAVE_INTTYPES_H -DHAVE_STDBOOL_H -DUSE_OPENSSL -D_GNU_SOURCE -I$top -I/usr/include/re
 $(pkg-config --cflags opus 2>/dev/null)"
LIBS="-lre -lsrtp2 -lssl -lcrypto -lz -lpthread -ldl -lm"
# media/acodec.c (the sdpmap target asks it which codecs it has)
CODECS="-lopus -lopencore-amrnb -lopencore-amrwb -lvo-amrwbenc -lspandsp"
MEDIA="media/log.c media/time.c"

# target: sources it links (besides its own file)
targets="
sdp:media/sdp.c webrtc/jsep.c $MEDIA
rtp:media/demux.c media/rtp.c media/rtcp.c media/rtpstats.c media/srtp.c media/srtp_libre.c media/srtp_libsrtp2.c $MEDIA
api:webrtc/apicheck.c webrtc/wsguard.c webrtc/conf.c $MEDIA
token:gw/token.c gw/dialplan.c gw/store.c gw/iprate.c gw/repconf.c $MEDIA
dtmf:media/dtmf.c media/relay.c media/rtpleg.c media/demux.c media/rtp.c media/rtcp.c media/rtpstats.c media/srtp.c media/srtp_libre.c media/srtp_libsrtp2.c $MEDIA
aka:sip/milenage.c sip/aka.c $MEDIA
vpkt:media/vpkt.c $MEDIA
amr:media/amr.c $MEDIA
order:gw/order.c gw/token.c gw/dialplan.c gw/store.c gw/iprate.c gw/repconf.c $MEDIA
reptarget:gw/router.c $MEDIA
register:gw/showroom.c $MEDIA
hubswitch:hub/switchmsg.c $MEDIA
sdpmap:gw/sdpmap.c media/sdp.c media/acodec.c media/amr.c $MEDIA
"
rm -f "$out/results"
echo "$targets" | while IFS=: read -r name srcs; do
	[ -n "$name" ] || continue
	bin="$out/fuzz_$name"
	srcpaths=""
	for s in $srcs; do srcpaths="$srcpaths $top/$s"; done
	libs=$LIBS
	case "$srcs" in *media/acodec.c*) libs="$LIBS $CODECS" ;; esac
	# shellcheck disable=SC2086
	if ! clang $CFLAGS -o "$bin" "$here/fuzz_$name.c" $srcpaths $libs \
		>"$out/build_$name.log" 2>&1; then
		echo "  FAIL fuzz_$name: does not build"; cat "$out/build_$name.log"
		echo fail >> "$out/results"; continue
	fi
	corpus="$out/corpus_$name"
	rm -rf "$corpus"; mkdir -p "$corpus"
	cp "$here/corpus/$name/"* "$corpus/" 2>/dev/null || true
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 "$corpus" >"$out/run_$name.log" 2>&1; then
		execs=$(grep -aE 'stat::number_of_executed_units' "$out/run_$name.log" | awk '{print $2}')
		echo "  ok   fuzz_$name (${secs}s, ${execs:-?} inputs)"
		echo ok >> "$out/results"
	else
		echo "  FAIL fuzz_$name: crash, see $out/run_$name.log"
		grep -A30 -E 'ERROR:|runtime error' "$out/run_$name.log" | head -40
		echo fail >> "$out/results"
	fi
done
passed=$(grep -c '^ok' "$out/results" 2>/dev/null || true)
failed=$(grep -c '^fail' "$out/results" 2>/dev/null || true)
passed=${passed:-0}; failed=${failed:-0}
rm -f "$out/results"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
