#!/bin/bash
# make demo: the whole store experience on loopback, stopped by Ctrl-C.
#
#   storegw     the gateway with the demo store      http://127.0.0.1:8080/
#               (etc/demo/storegw.conf), showroom registrar 127.0.0.1:5070
#   storegw-hub alice, bob and carol: synthetic cameras and tones (its
#               built-in config), registered with the gateway
#   kamailio    the IMS core's stand-in (tests/integration/kamailio/ims.cfg)
#   baresip     dave's mobile phone, AMR-WB + H.264 only, +4930124
#   demo-order-server.py  prints each order the gateway delivers
#
# usage: tools/demo.sh            (SG_BUILDDIR: the build folder, default
#                                  ./build, as `make demo` sets it)
# Ports (environment, defaults in brackets): SG_DEMO_HTTP_PORT [8080],
# SG_DEMO_SHOWROOM_PORT [5070], SG_DEMO_KAMAILIO_PORT [5060],
# SG_DEMO_SIP_PORT [5062] (the gateway's IMS side), SG_DEMO_ORDER_PORT
# [8090], SG_DEMO_HUB_PORT [8091] (hub status API), SG_DEMO_DAVE_PORT
# [5080] (baresip SIP; +1 is taken by its TLS), SG_DEMO_DAVE_CTRL_PORT
# [5090] (baresip ctrl_tcp). SG_DEMO_DIR: the run folder (configs, logs,
# the order outbox; default a new /tmp/storegw-demo.XXXXXX).
# SG_DEMO_CONF: the gateway config to start from (default
# etc/demo/storegw.conf). SG_DEMO_PARTIAL=1 starts what is there when kamailio, baresip or the
# hub are missing (otherwise that is an error naming what to install).
#
# Ctrl-C or SIGTERM: every process started here is ended by its PID;
# exit 0. A piece that fails to start: its log tail, everything stopped,
# exit 1.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${SG_BUILDDIR:-$top/build}
http_port=${SG_DEMO_HTTP_PORT:-8080}
showroom_port=${SG_DEMO_SHOWROOM_PORT:-5070}
kam_port=${SG_DEMO_KAMAILIO_PORT:-5060}
sip_port=${SG_DEMO_SIP_PORT:-5062}
order_port=${SG_DEMO_ORDER_PORT:-8090}
hub_port=${SG_DEMO_HUB_PORT:-8091}
dave_port=${SG_DEMO_DAVE_PORT:-5080}
dave_ctrl=${SG_DEMO_DAVE_CTRL_PORT:-5090}
partial=${SG_DEMO_PARTIAL:-0}

storegw=$build/gw/storegw
hub=$build/hub/storegw-hub
kamailio=${SG_KAMAILIO:-/usr/sbin/kamailio}
baresip=${SG_BARESIP:-/usr/bin/baresip}
kcfg=$top/tests/integration/kamailio/ims.cfg
conf=${SG_DEMO_CONF:-$top/etc/demo/storegw.conf}

say() { echo "demo: $*"; }

# ---- what is there -----------------------------------------------------------
missing=()
if [ ! -x "$storegw" ]; then
	echo "demo: $storegw is not built: run 'make' (or ./quickstart.sh run)" >&2
	exit 1
fi
if ! command -v python3 >/dev/null; then
	echo "demo: python3 is needed for the demo order server: apt-get install python3" >&2
	exit 1
fi
[ -x "$hub" ] || missing+=("the hub daemon $hub is not built: run 'make' in $build (the hub is issue 5)")
[ -x "$kamailio" ] || missing+=("kamailio is not installed: apt-get install kamailio")
[ -x "$baresip" ] || missing+=("baresip is not installed: apt-get install baresip baresip-ffmpeg")
if [ ${#missing[@]} -gt 0 ]; then
	for m in "${missing[@]}"; do echo "demo: $m" >&2; done
	if [ "$partial" != 1 ]; then
		echo "demo: (SG_DEMO_PARTIAL=1 starts the rest without them)" >&2
		exit 1
	fi
	say "starting without the pieces above (SG_DEMO_PARTIAL=1)"
fi

run=${SG_DEMO_DIR:-$(mktemp -d /tmp/storegw-demo.XXXXXX)}
mkdir -p "$run" || exit 1

# ---- start and stop, by PID --------------------------------------------------
pids=()
names=()
stopping=0

gone() { # pid, tenths of a second: true once it has exited
	local t
	for ((t = 0; t < $2; t++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	! kill -0 "$1" 2>/dev/null
}

# Last started first, one at a time, so that the phone and the hub can
# un-REGISTER while Kamailio and the gateway still answer. A second
# SIGTERM ends baresip's wait for its un-REGISTER; then SIGKILL.
stop_all() {
	local i pid
	stopping=1
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		pid=${pids[$i]}
		kill -TERM "$pid" 2>/dev/null || continue
		gone "$pid" 50 && continue
		kill -TERM "$pid" 2>/dev/null
		gone "$pid" 30 && continue
		say "${names[$i]} (pid $pid) did not stop: killed"
		kill -KILL "$pid" 2>/dev/null
	done
	wait 2>/dev/null
}

on_signal() {
	echo
	say "stopping"
	stop_all
	say "stopped (logs in $run)"
	exit 0
}
trap on_signal INT TERM

fail() { # name, message: show its log, stop the rest
	say "$1: $2"
	[ -f "$run/$1.log" ] && tail -n 30 "$run/$1.log" | sed 's/^/    /'
	stop_all
	say "stopped (logs in $run)"
	exit 1
}

start() { # name, command...: in the background, output to run/name.log
	local name=$1; shift
	"$@" >"$run/$name.log" 2>&1 </dev/null &
	pids+=($!)
	names+=("$name")
}

alive() { # name: its process still runs
	local i
	for ((i = 0; i < ${#names[@]}; i++)); do
		[ "${names[$i]}" = "$1" ] && { kill -0 "${pids[$i]}" 2>/dev/null; return; }
	done
	return 1
}

wait_for() { # name, seconds, test command...
	local name=$1 secs=$2 t; shift 2
	for ((t = 0; t < secs * 10; t++)); do
		"$@" && return 0
		alive "$name" || fail "$name" "exited while starting"
		sleep 0.1
	done
	fail "$name" "not ready after ${secs} s"
}

tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
log_has() { grep -qE "$2" "$run/$1.log" 2>/dev/null; }

# ---- the order server ---------------------------------------------------------
# its lines go to the terminal too: each order is printed as it arrives
python3 -u "$top/tools/demo-order-server.py" --listen "127.0.0.1:$order_port" \
	--log "$run/orders.log" </dev/null &
pids+=($!)
names+=(orders)
wait_for orders 10 tcp_open "$order_port"

# ---- Kamailio: the IMS core --------------------------------------------------
if [ -x "$kamailio" ]; then
	mkdir -p "$run/kamailio"
	start kamailio "$kamailio" -f "$kcfg" -DD -E -Y "$run/kamailio" \
		-P "$run/kamailio/kamailio.pid" -w "$run/kamailio" \
		-A "SIPPORT=$kam_port"
	wait_for kamailio 10 log_has kamailio 'Listening on|udp_server'
fi

# ---- the gateway ---------------------------------------------------------------
sed -e "s/127\.0\.0\.1:8080\"/127.0.0.1:$http_port\"/" \
    -e "s/127\.0\.0\.1:5070\"/127.0.0.1:$showroom_port\"/" \
    -e "s/sip:127\.0\.0\.1:5060\"/sip:127.0.0.1:$kam_port\"/" \
    -e "s/127\.0\.0\.1:5062\"/127.0.0.1:$sip_port\"/" \
    -e "s#127\.0\.0\.1:8090/#127.0.0.1:$order_port/#" \
    "$conf" >"$run/storegw.conf"
if ! err=$("$storegw" --check-config "$run/storegw.conf" 2>&1); then
	say "the demo config is refused by this storegw: $err"
	stop_all
	exit 1
fi
(cd "$run" && exec "$storegw" -c "$run/storegw.conf") >"$run/storegw.log" 2>&1 </dev/null &
pids+=($!)
names+=(storegw)
wait_for storegw 15 tcp_open "$http_port"
if [ -x "$kamailio" ]; then
	wait_for storegw 15 log_has storegw 'IMS registration OK'
fi

# ---- dave: a mobile phone with AMR-WB and H.264 only --------------------------
if [ -x "$baresip" ] && [ -x "$kamailio" ]; then
	d=$run/dave
	mkdir -p "$d"
	cat >"$d/config" <<-EOF
	poll_method epoll
	sip_listen 127.0.0.1:$dave_port
	net_interface 127.0.0.1
	audio_source ausine,440
	audio_player aubridge,nil
	audio_alert aubridge,nil
	ausrc_srate 48000
	ausrc_channels 2
	video_source fakevideo,nil
	video_display fakevideo,nil
	video_size 640x480
	video_fps 15
	ctrl_tcp_listen 127.0.0.1:$dave_ctrl
	module_path /usr/lib/baresip/modules
	module amr.so
	module avcodec.so
	module ausine.so
	module aubridge.so
	module fakevideo.so
	module ctrl_tcp.so
	module menu.so
	module contact.so
	module_app account.so
	EOF
	echo "<sip:+4930124@ims.test>;auth_user=+4930124;auth_pass=+4930124pw;outbound=\"sip:127.0.0.1:$kam_port\";regint=600;answermode=auto;audio_codecs=AMR-WB/16000/1;video_codecs=H264" >"$d/accounts"
	: >"$d/contacts"
	start dave "$baresip" -f "$d"
	wait_for dave 15 log_has dave 'registered successfully|200 OK'
fi

# ---- the hub: alice, bob and carol ----------------------------------------------
if [ -x "$hub" ]; then
	if ! "$hub" --print-default-config >"$run/hub.default.conf" 2>"$run/hub.log"; then
		fail hub "storegw-hub --print-default-config failed"
	fi
	sed -e "s#sip:127\.0\.0\.1:5070\"#sip:127.0.0.1:$showroom_port\"#" \
	    -e "s/127\.0\.0\.1:8091\"/127.0.0.1:$hub_port\"/" \
	    "$run/hub.default.conf" >"$run/storegw-hub.conf"
	(cd "$run" && exec "$hub" -c "$run/storegw-hub.conf") >"$run/hub.log" 2>&1 </dev/null &
	pids+=($!)
	names+=(hub)
	wait_for hub 15 tcp_open "$hub_port"
fi

say "running; logs in $run"
say "reps: alice, bob, carol (hub$([ -x "$hub" ] || echo ': not running')), dave on +4930124 ($([ -x "$baresip" ] && [ -x "$kamailio" ] && echo 'baresip via Kamailio' || echo 'not running'))"
say "orders go to http://127.0.0.1:$order_port/orders and are printed here"
echo "storegw demo: open http://127.0.0.1:$http_port/   (Ctrl-C stops everything)"

# ---- until a signal, or until a piece dies ------------------------------------------
while :; do
	for ((i = 0; i < ${#pids[@]}; i++)); do
		if ! kill -0 "${pids[$i]}" 2>/dev/null && [ $stopping = 0 ]; then
			fail "${names[$i]}" "stopped unexpectedly"
		fi
	done
	sleep 1 &
	wait $! 2>/dev/null
done
