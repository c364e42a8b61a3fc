#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds a tiny arm64 Linux 6.1 from Debian's linux-source-6.1 with PAGES
# (4, 16 or 64) KiB pages and CONFIG_ANON_VMA_NAME=y, cross-compiled with
# Debian's gcc-aarch64-linux-gnu, and copies its Image to $2. The three
# page sizes share one unpacked source tree and build out of it (O=).
# usage: arm64-kernel.sh PAGES OUTPUT
set -euo pipefail
pages=$1
output=$(realpath -m "$2")
[ -f "$output" ] && exit 0
need=()
for package in linux-source-6.1 flex bison bc build-essential gcc-aarch64-linux-gnu; do
    dpkg -s "$package" >/dev/null 2>&1 || need+=("$package")
done
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
kernels=$(dirname "$output")
source=$kernels/linux-6.1-source
if [ ! -d "$source" ]; then
    mkdir -p "$source.tmp"
    tar -xf /usr/src/linux-source-6.1.tar.xz -C "$source.tmp" --strip-components=1
    mv "$source.tmp" "$source"
fi
build=$kernels/arm64-${pages}k
mkdir -p "$build"
make="make -s -C $source O=$build ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-"
$make tinyconfig
"$source/scripts/config" --file "$build/.config" \
    -d ARM64_4K_PAGES -d ARM64_16K_PAGES -d ARM64_64K_PAGES -e "ARM64_${pages}K_PAGES" \
    -e PRINTK -e TTY -e SERIAL_AMBA_PL011 -e SERIAL_AMBA_PL011_CONSOLE -e BLK_DEV_INITRD \
    -e RD_GZIP -e BINFMT_ELF -e PROC_FS -e SYSFS -e ANON_VMA_NAME -e ADVISE_SYSCALLS -e FUTEX \
    -e MULTIUSER -e PROC_PAGE_MONITOR -e SWAP -e TRANSPARENT_HUGEPAGE -e SHMEM -e MEMFD_CREATE \
    -e SECRETMEM -e TMPFS -e POSIX_TIMERS -e CROSS_MEMORY_ATTACH
$make olddefconfig
grep -q "^CONFIG_ARM64_${pages}K_PAGES=y" "$build/.config"
grep -q '^CONFIG_ANON_VMA_NAME=y' "$build/.config"
$make -j"$(nproc)" Image
cp "$build/arch/arm64/boot/Image" "$output"
