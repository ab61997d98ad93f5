#!/usr/bin/env bash
# Installs the official Python device SDK, unmodified, into a venv at .cache/python-sdk (git-ignored), for
# test/sdk/python-sdk.test.ts. Idempotent: a venv that already imports the SDK is left as it is.
#
# tencent-iot-device 1.0.0 requires pycrypto 2.6.1, which no longer builds on Python >= 3.11 (it includes
# longintrepr.h, moved in 3.11). The SDK uses only `Crypto.Cipher.AES` from it (hub/utils/codec.py), which
# pycryptodome provides under the same module name, so the SDK is installed without its declared dependencies
# and given paho-mqtt at the version it pins plus pycryptodome.
set -euo pipefail
cd "$(dirname "$0")/../../.."
venv=.cache/python-sdk
python=${PYTHON:-python3}

if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import hub.hub, paho.mqtt, Crypto.Cipher.AES' 2>/dev/null; then
  echo "python SDK: ready in $venv"
  exit 0
fi
if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "python SDK: installing python3-venv"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-venv >/dev/null
  else
    echo "python SDK: $python cannot create a venv; install python3-venv (Debian/Ubuntu) and run this again" >&2
    exit 1
  fi
fi
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$python" -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check --no-deps \
  tencent-iot-device==1.0.0 paho-mqtt==1.5.1 pycryptodome==4.5.0
"$venv/bin/python" -c 'import hub.hub, paho.mqtt, Crypto.Cipher.AES'
echo "python SDK: installed in $venv"
