#!/usr/bin/env bash
# Installs the Debian and PyPI packages the tests need (idempotent; skips what is present).
set -euo pipefail
cd "$(dirname "$0")/.."
APT_PACKAGES="postgresql-15 chromium chromium-driver zbar-tools wrk nginx-light openssl"
missing=""
for package in $APT_PACKAGES; do
    dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
done
if [ -n "$missing" ]; then
    echo "== installing Debian packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq $missing >/dev/null
fi
if ! python3 -c "import argon2, nacl, pyotp, selenium, aiosmtpd, zxcvbn, requests, pytest, PIL, pexpect, webauthn, fido2, cryptography, cbor2" 2>/dev/null; then
    echo "== installing Python packages"
    python3 -m pip install -q -r e2e/requirements.txt
fi
