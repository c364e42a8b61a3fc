#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds a tiny Linux 6.1 from Debian's linux-source-6.1 with
# CONFIG_ANON_VMA_NAME=y, so the naming path runs for real, and copies the
# bzImage to $1. About 4 minutes on 2 cores; the result is kept.
set -euo pipefail
output=$(realpath -m "$1")
[ -f "$output" ] && exit 0
need=()
for package in linux-source-6.1 flex bison libelf-dev bc build-essential; do
    dpkg -s "$package" >/dev/null 2>&1 || need+=("$package")
done
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
work=$(dirname "$output")/linux-6.1-tiny
if [ ! -d "$work" ]; then
    mkdir -p "$work.tmp"
    tar -xf /usr/src/linux-source-6.1.tar.xz -C "$work.tmp" --strip-components=1
    mv "$work.tmp" "$work"
fi
cd "$work"
make -s tinyconfig
./scripts/config -e 64BIT -e PRINTK -e TTY -e SERIAL_8250 -e SERIAL_8250_CONSOLE -e BLK_DEV_INITRD \
    -e RD_GZIP -e BINFMT_ELF -e PROC_FS -e SYSFS -e ANON_VMA_NAME -e ADVISE_SYSCALLS -e FUTEX \
    -e MULTIUSER -e PROC_PAGE_MONITOR -e SWAP -e TRANSPARENT_HUGEPAGE -e SHMEM -e MEMFD_CREATE \
    -e SECRETMEM -e TMPFS
make -s olddefconfig
grep -q '^CONFIG_ANON_VMA_NAME=y' .config
make -s -j"$(nproc)" bzImage
cp arch/x86/boot/bzImage "$output"
