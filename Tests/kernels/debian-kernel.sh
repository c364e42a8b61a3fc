#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fetches Debian's stock Linux 6.1 (the cloud flavour: built for virtual
# machines, serial console built in) and extracts its vmlinuz to $1.
# Nothing is installed on this machine: the package is only unpacked.
set -euo pipefail
output=$1
[ -f "$output" ] && exit 0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
image=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-6\.1/ {print $2; exit}')
if [ -z "$image" ]; then
    apt-get update -qq
    image=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-6\.1/ {print $2; exit}')
fi
(cd "$work" && apt-get download "$image" >/dev/null 2>&1)
dpkg-deb -x "$work"/*.deb "$work/root"
mkdir -p "$(dirname "$output")"
cp "$work"/root/boot/vmlinuz-* "$output"
echo "debian kernel: $image"
