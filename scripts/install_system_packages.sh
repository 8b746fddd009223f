#!/usr/bin/env bash
# Install the system libraries the tests need and pip cannot bring: the X
# virtual framebuffer and the X libraries Qt's xcb plugin needs (so the end-to-end
# window test, marker xvfb, runs instead of skipping) and cairo (CairoSVG renders the
# benchmark icons). Does nothing when they are present, or when not root.
set -euo pipefail
packages=(xvfb libxcb-icccm4 libxcb-keysyms1 libcairo2)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "install_system_packages: missing ${missing[*]}; not root or no apt-get, tests that need them will skip or fail" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
