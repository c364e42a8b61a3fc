#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes a gzip'd newc cpio archive whose /init is the given program.

The archive holds /init, empty /proc and /tmp directories and a /dev/console
node (the kernel opens it for init's standard streams before any devtmpfs is
mounted). Written here because Debian's base image has no cpio tool.

Each NAME=PATH after the output adds the file PATH as /NAME (executable),
or, when PATH is a directory, its files under /NAME/.

usage: make_initramfs.py PROGRAM OUTPUT.cpio.gz [NAME=PATH ...]
"""
import os
import gzip
import stat
import sys


def entry(name, mode, data=b"", rdev=(0, 0), ino=[0]):
    ino[0] += 1
    name_bytes = name.encode() + b"\0"
    fields = [ino[0], mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_bytes), 0]
    header = b"070701" + b"".join(b"%08x" % field for field in fields)
    record = header + name_bytes
    record += b"\0" * (-len(record) % 4)
    record += data
    record += b"\0" * (-len(record) % 4)
    return record


def main():
    program, output = sys.argv[1], sys.argv[2]
    with open(program, "rb") as file:
        init = file.read()
    extras = []
    for extra in sys.argv[3:]:
        name, path = extra.split("=", 1)
        if os.path.isdir(path):
            extras.append(entry(name, stat.S_IFDIR | 0o755))
            for file_name in sorted(os.listdir(path)):
                with open(os.path.join(path, file_name), "rb") as file:
                    extras.append(entry(name + "/" + file_name, stat.S_IFREG | 0o644, file.read()))
        else:
            with open(path, "rb") as file:
                extras.append(entry(name, stat.S_IFREG | 0o755, file.read()))
    archive = b"".join([
        entry("dev", stat.S_IFDIR | 0o755),
        entry("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1)),
        entry("proc", stat.S_IFDIR | 0o555),
        entry("tmp", stat.S_IFDIR | 0o1777),
        entry("init", stat.S_IFREG | 0o755, init),
    ] + extras + [entry("TRAILER!!!", 0)])
    with gzip.open(output, "wb") as file:
        file.write(archive)


if __name__ == "__main__":
    main()
