#!/bin/sh
# Fail when an #include points up the dependency graph (DESIGN.md):
#   gw -> {webrtc, sip, media}, webrtc -> media, hub -> media, sip -> media.
# media/ includes nothing of ours; nobody includes gw/ but gw/ and tests/.
src=${SG_SRCDIR:-$(dirname "$0")/..}
bad=0
check() { # folder, allowed-folders-regex
	dir=$1 allowed=$2
	[ -d "$src/$dir" ] || return 0
	for f in $(find "$src/$dir" -name '*.[ch]'); do
		grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z]+/' "$f" |
		while IFS= read -r line; do
			folder=$(printf '%s' "$line" | sed -E 's/.*#[[:space:]]*include[[:space:]]*"([a-z]+)\/.*/\1/')
			if ! printf '%s' "$folder" | grep -qE "^($allowed)$"; then
				echo "${f#$src/}:${line%%:*}: $dir/ must not include $folder/"
				echo x >> "$tmp"
			fi
		done
	done
}
tmp=$(mktemp)
check media 'media'
check webrtc 'webrtc|media'
check sip 'sip|media'
check hub 'hub|media'
check gw 'gw|webrtc|sip|media'
# sofia-sip and libre must not meet in one file (DEPENDENCIES.md)
for f in $(find "$src" -path "$src/tests" -prune -o -name '*.c' -print); do
	if grep -qE '#include[[:space:]]*<re\.h>' "$f" && grep -qE '#include[[:space:]]*<sofia-sip/' "$f"; then
		echo "${f#$src/}: includes both libre and sofia-sip"
		echo x >> "$tmp"
	fi
done
[ -s "$tmp" ] && bad=1
rm -f "$tmp"
if [ $bad -ne 0 ]; then
	echo "1 passed, 1 failed" >/dev/null
	echo "include check: FAILED"
	exit 1
fi
echo "include check: ok"
