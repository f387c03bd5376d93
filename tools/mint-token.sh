#!/bin/sh
# mint-token.sh: what a store's backend does to let one shopper call.
# Prints a JWT (RFC 7519), HS256-signed with the store's secret, naming the
# store (iss), the destinations allowed (dest), a single-use id (jti) and
# an expiry (exp). Any language's JWT library does the same; this needs
# only openssl.
#   usage: SECRET=... tools/mint-token.sh STORE_ID TTL_SECONDS DEST [DEST...]
#   e.g.   SECRET=$(cat /etc/storegw/demo.secret) tools/mint-token.sh demo 120 +4930123
set -eu
[ $# -ge 3 ] || { echo "usage: SECRET=... $0 STORE_ID TTL_SECONDS DEST..." >&2; exit 2; }
: "${SECRET:?set SECRET to the store's signing secret}"
store=$1 ttl=$2
shift 2
b64u() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
dest=""
for d in "$@"; do dest="$dest${dest:+,}\"$d\""; done
now=$(date +%s)
header=$(printf '{"alg":"HS256","typ":"JWT"}' | b64u)
payload=$(printf '{"iss":"%s","iat":%d,"exp":%d,"jti":"%s","dest":[%s]}' \
	"$store" "$now" "$((now + ttl))" "$(openssl rand -hex 16)" "$dest" | b64u)
sig=$(printf '%s.%s' "$header" "$payload" |
	openssl dgst -sha256 -hmac "$SECRET" -binary | b64u)
printf '%s.%s.%s\n' "$header" "$payload" "$sig"
