#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Boots KERNEL under qemu (TCG) with the static C suite as /init, and passes
# when the suite reports no failure; the console is kept in LOG. ARCH is
# x86_64 (the default) or arm64 (qemu's virt machine, with every page size
# the CPU model offers).
# Further NAME=PATH arguments add files to the initramfs (the suite runs
# /fuzz over /corpus when it finds them).
# usage: run-kernel.sh KERNEL SUITE NAME LOG [ARCH [NAME=PATH ...]]
set -euo pipefail
kernel=$1 suite=$2 name=$3 log=$4 arch=${5:-x86_64}
shift $(($# < 5 ? $# : 5))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$(dirname "$0")/make_initramfs.py" "$suite" "$work/initramfs.cpio.gz" "$@"
if [ "$arch" = arm64 ]; then
    qemu=(qemu-system-aarch64 -machine virt -cpu max)
    console=ttyAMA0
else
    qemu=(qemu-system-x86_64 -machine q35 -cpu max)
    console=ttyS0
fi
started=$(date +%s)
timeout 900 "${qemu[@]}" -m 1024 -smp 2 -nographic -no-reboot \
    -kernel "$kernel" -initrd "$work/initramfs.cpio.gz" \
    -append "console=$console panic=-1 oops=panic loglevel=3" 2>&1 | tr -d '\r' > "$log" || true
echo "$name: booted and ran in $(($(date +%s) - started)) s"
grep -E '(pagekit c-suite as|^c-suite:|^FAIL|^skip|^fuzz:|^    )' "$log" | sed 's/^.*pagekit c-suite as/pagekit c-suite as/' || true
if grep -q '^c-suite: [0-9]* passed, 0 failed' "$log"; then
    echo "$name: the C suite passed"
else
    echo "$name: the C suite did not pass; the console is in $log:" >&2
    tail -40 "$log" >&2
    exit 1
fi
