#!/usr/bin/env bash
# CI only: install the X virtual framebuffer and the X libraries Qt's xcb plugin needs,
# so the end-to-end window test (marker xvfb) runs instead of skipping. Does nothing
# when they are present, or when not root (a developer machine: the test skips).
set -euo pipefail
packages=(xvfb libxcb-icccm4 libxcb-keysyms1)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "install_xvfb: missing ${missing[*]}; not root or no apt-get, the xvfb test will skip" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
