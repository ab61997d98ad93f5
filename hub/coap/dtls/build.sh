#!/usr/bin/env bash
# Builds the DTLS-PSK relay of the hub's CoAP endpoint into build/dtls/ (git-ignored); does nothing when it is up to date.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
src="$root/hub/coap/dtls/relay.c"
out="$root/build/dtls/coap-dtls-relay"
if [[ -x "$out" && "$out" -nt "$src" ]]; then exit 0; fi
if [[ ! -f /usr/include/openssl/ssl.h ]]; then
  echo "hub/coap/dtls/build.sh: OpenSSL headers missing; install them with: apt-get install -y libssl-dev" >&2
  exit 1
fi
mkdir -p "$(dirname "$out")"
gcc -O2 -Wall -Wextra -o "$out.tmp" "$src" -lssl -lcrypto
mv "$out.tmp" "$out"
echo "built $out"
