#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Compiles, and runs, every C and Swift code block of PageKit's documentation.

    Tests/docs/check-snippets.py --prefix PREFIX [--repo PATH] [FILE.md ...]

Without files it reads README.md, docs/*.md and the articles of the DocC
catalog (Sources/PageKit/PageKit.docc/*.md) under the repository (by default
the one this script lives in).

Which blocks, and what is done with them, is set by the fence's info string:

    ```c              a C program, or C statements
    ```swift          Swift code, the body of a main.swift
    ```c fragment     not compiled: a piece of a program (also ```swift fragment)
    ```c no-run       compiled, not run (also ```swift no-run)

Any other language (sh, text, none) is left alone.

C blocks are compiled against the installed copy under PREFIX, found with
pkg-config (PREFIX/lib/pkgconfig, PREFIX/lib/*/pkgconfig, PREFIX/share/pkgconfig),
with -std=c11 -Wall -Wextra -Werror. A block with a main function is a
complete program; any other block is taken as statements and wrapped in
int main(void) { ... return 0; }, its #include lines kept at the top (and
<pagekit/mach.h> included when it has none). Each program is then run with
the installed shared library, and must exit with status 0.

Swift blocks each become the main.swift of an executable target of one
throwaway package that depends on PageKit by path; the package is built
once, and each executable is run and must exit with status 0. A block that
imports BasicContainers also gets swift-collections (EXTRA_MODULES below).

Compiler errors are reported against the Markdown file and line. The last
line is "snippets: N passed, N failed, N skipped"; the exit status is 1 when
any block failed.

Environment: CC (default cc), SWIFT (default swift on PATH, else
/opt/swift/usr/bin/swift), SNIPPET_TIMEOUT seconds per run (default 60).
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
MAIN = re.compile(r"\bint\s+main\s*\(")
MARKERS = {"fragment", "no-run"}


class Block:
    def __init__(self, path, line, language, markers, text):
        self.path = path
        self.line = line  # the line of the first code line, 1-based
        self.language = language
        self.markers = markers
        self.text = text

    @property
    def where(self):
        return f"{self.path}:{self.line}"


def blocks_of(path, display):
    """The fenced code blocks of one Markdown file."""
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    found = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        fence = opening.group("fence")
        words = opening.group("info").split()
        language = words[0].lower() if words else ""
        markers = set(words[1:])
        unknown = markers - MARKERS
        if language in ("c", "swift") and unknown:
            raise SystemExit(f"{display}:{index + 1}: unknown marker(s) {sorted(unknown)}; known: {sorted(MARKERS)}")
        body = []
        first = index + 2
        index += 1
        while index < len(lines):
            closing = lines[index].strip()
            if closing.startswith(fence[0] * len(fence)) and closing.strip(fence[0]) == "":
                break
            body.append(lines[index])
            index += 1
        found.append(Block(display, first, language, markers, "\n".join(body) + "\n"))
        index += 1
    return found


def pkg_config_path(prefix):
    candidates = [os.path.join(prefix, "lib", "pkgconfig"), os.path.join(prefix, "share", "pkgconfig")]
    candidates += sorted(glob.glob(os.path.join(prefix, "lib", "*", "pkgconfig")))
    existing = [path for path in candidates if os.path.isdir(path)]
    inherited = os.environ.get("PKG_CONFIG_PATH")
    return ":".join(existing + ([inherited] if inherited else []))


def run(command, env=None, timeout=None, cwd=None):
    return subprocess.run(command, env=env, timeout=timeout, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)


def c_source(block):
    """The block as a C translation unit, and the line offset of its body."""
    if MAIN.search(block.text):
        return block.text, 0, False
    directives, statements = [], []
    for line in block.text.split("\n"):
        (directives if line.lstrip().startswith("#") else statements).append(line)
    if not any(line.lstrip().startswith("#include") for line in directives):
        directives.insert(0, "#include <pagekit/mach.h>")
    head = "\n".join(directives) + "\nint main(void)\n{\n"
    return head + "\n".join(statements) + "\nreturn 0;\n}\n", len(directives) + 3, True


def relocate(output, generated, block, offset):
    """Compiler messages about the generated file, pointed at the Markdown."""
    def replace(match):
        line = int(match.group(1)) - offset
        return f"{block.path}:{block.line + line - 1}:" if line >= 1 else f"{block.where} (wrapper):"
    return re.sub(re.escape(generated) + r":(\d+):", replace, output)


def run_built(block, program, timeout, work, env=None):
    """The result for a block that compiled: run unless marked no-run."""
    if "no-run" in block.markers:
        return (block, None, "compiled")
    try:
        ran = run([program], env=env, timeout=timeout, cwd=work)
    except subprocess.TimeoutExpired:
        return (block, f"did not finish in {timeout} s", "")
    if ran.returncode != 0:
        return (block, f"exited with status {ran.returncode}", ran.stdout)
    return (block, None, "compiled and ran")


def check_c(blocks, prefix, work, timeout):
    env = dict(os.environ, PKG_CONFIG_PATH=pkg_config_path(prefix))
    flags = run(["pkg-config", "--cflags", "--libs", "pagekit-mach"], env=env)
    if flags.returncode != 0:
        raise SystemExit(f"pkg-config cannot find pagekit under {prefix}:\n{flags.stdout}")
    libdir = run(["pkg-config", "--variable=libdir", "pagekit"], env=env).stdout.strip()
    cc = os.environ.get("CC", "cc")
    results = []
    for number, block in enumerate(blocks, 1):
        source, offset, wrapped = c_source(block)
        path = os.path.join(work, f"snippet_{number}.c")
        program = os.path.join(work, f"snippet_{number}")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(source)
        command = [cc, "-std=c11", "-Wall", "-Wextra", "-Werror"]
        if wrapped:
            command += ["-Wno-unused-variable", "-Wno-unused-but-set-variable"]
        command += [path, "-o", program] + flags.stdout.split()
        compiled = run(command)
        if compiled.returncode != 0:
            results.append((block, "does not compile", relocate(compiled.stdout, path, block, offset)))
            continue
        run_env = dict(os.environ, LD_LIBRARY_PATH=":".join(filter(None, [libdir, os.environ.get("LD_LIBRARY_PATH")])))
        results.append(run_built(block, program, timeout, work, run_env))
    return results


SWIFT_PACKAGE = """// swift-tools-version:6.1
// Generated by Tests/docs/check-snippets.py: one executable per Swift block.
import PackageDescription

let package = Package(
    name: "Snippets",
    dependencies: [{dependencies}],
    targets: [
{targets}
    ]
)
"""

SWIFT_TARGET = """        .executableTarget(
            name: "{name}",
            dependencies: [{products}],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),"""

# Modules a snippet may import besides PageKit (and what PageKit brings
# along), with the package that provides each.
EXTRA_MODULES = {
    "BasicContainers": ("https://github.com/apple/swift-collections", "1.6.0", "swift-collections"),
}
IMPORT = re.compile(r"^\s*import\s+(\w+)", re.MULTILINE)


def swift_command():
    configured = os.environ.get("SWIFT")
    if configured:
        return configured
    return shutil.which("swift") or "/opt/swift/usr/bin/swift"


def check_swift(blocks, repo, work, timeout):
    if not blocks:
        return []
    package = os.path.join(work, "swift")
    names = [f"snippet_{number}" for number in range(1, len(blocks) + 1)]
    identity = os.path.basename(os.path.normpath(repo)).lower()
    dependencies = [f'.package(path: "{os.path.abspath(repo)}")']
    used = set()
    targets = []
    for name, block in zip(names, blocks):
        products = [f'.product(name: "PageKit", package: "{identity}")']
        for module in IMPORT.findall(block.text):
            if module in EXTRA_MODULES:
                url, version, package_identity = EXTRA_MODULES[module]
                products.append(f'.product(name: "{module}", package: "{package_identity}")')
                if url not in used:
                    used.add(url)
                    dependencies.append(f'.package(url: "{url}", from: "{version}")')
        targets.append(SWIFT_TARGET.format(name=name, products=", ".join(products)))
    os.makedirs(package)
    with open(os.path.join(package, "Package.swift"), "w", encoding="utf-8") as handle:
        handle.write(SWIFT_PACKAGE.format(dependencies=", ".join(dependencies), targets="\n".join(targets)))
    for name, block in zip(names, blocks):
        os.makedirs(os.path.join(package, "Sources", name))
        with open(os.path.join(package, "Sources", name, "main.swift"), "w", encoding="utf-8") as handle:
            handle.write(block.text)
    swift = swift_command()
    built = run([swift, "build", "--package-path", package])
    failed_names = set()
    output = built.stdout
    for name, block in zip(names, blocks):
        generated = os.path.join(package, "Sources", name, "main.swift")
        if generated in output:
            failed_names.add(name)
            output = relocate(output, generated, block, 0)
    if built.returncode != 0 and not failed_names:
        raise SystemExit(f"the snippet package did not build:\n{output}")
    binaries = run([swift, "build", "--package-path", package, "--show-bin-path"]).stdout.strip()
    results = []
    for name, block in zip(names, blocks):
        if built.returncode != 0 and name in failed_names:
            messages = "\n".join(line for line in output.split("\n") if block.path in line or "error" in line)
            results.append((block, "does not compile", messages))
            continue
        if built.returncode != 0:
            # Another block broke the build: build this one on its own.
            alone = run([swift, "build", "--package-path", package, "--product", name])
            if alone.returncode != 0:
                generated = os.path.join(package, "Sources", name, "main.swift")
                results.append((block, "does not compile", relocate(alone.stdout, generated, block, 0)))
                continue
        results.append(run_built(block, os.path.join(binaries, name), timeout, work))
    return results


def default_files(repo):
    files = [os.path.join(repo, "README.md")]
    files += sorted(glob.glob(os.path.join(repo, "docs", "*.md")))
    files += sorted(glob.glob(os.path.join(repo, "Sources", "PageKit", "PageKit.docc", "*.md")))
    return [path for path in files if os.path.isfile(path)]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description="Compile and run the C and Swift blocks of PageKit's documentation.")
    parser.add_argument("--prefix", required=True, help="where PageKit is installed (make install PREFIX=...)")
    parser.add_argument("--repo", default=os.path.dirname(os.path.dirname(here)), help="the PageKit repository")
    parser.add_argument("--no-swift", action="store_true", help="leave out the Swift blocks")
    parser.add_argument("files", nargs="*", help="Markdown files (default: README.md, docs/*.md, the DocC articles)")
    arguments = parser.parse_args()
    repo = os.path.abspath(arguments.repo)
    files = arguments.files or default_files(repo)
    timeout = int(os.environ.get("SNIPPET_TIMEOUT", "60"))

    blocks = []
    for path in files:
        absolute = os.path.abspath(path)
        display = os.path.relpath(absolute, repo) if absolute.startswith(repo + os.sep) else path
        blocks += blocks_of(path, display)
    c_blocks = [block for block in blocks if block.language == "c" and "fragment" not in block.markers]
    swift_blocks = [block for block in blocks if block.language == "swift" and "fragment" not in block.markers]
    skipped = sum(1 for block in blocks if block.language in ("c", "swift") and "fragment" in block.markers)
    if arguments.no_swift:
        skipped += len(swift_blocks)
        swift_blocks = []

    with tempfile.TemporaryDirectory(prefix="pagekit-snippets.") as work:
        results = check_c(c_blocks, os.path.abspath(arguments.prefix), work, timeout)
        results += check_swift(swift_blocks, repo, work, timeout)

    failed = 0
    for block, failure, detail in results:
        if failure is None:
            print(f"ok      {block.where} ({block.language}, {detail})")
            continue
        failed += 1
        print(f"FAILED  {block.where} ({block.language}): {failure}")
        for line in detail.rstrip().split("\n"):
            if line:
                print(f"        {line}")
    print(f"snippets: {len(results) - failed} passed, {failed} failed, {skipped} skipped")
    if not results:
        print("no code blocks found: nothing was checked")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
