#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""pagekit vmmap against a stopped process, as a user would check it.

A `pagekit demo-process` makes one PageKit region of each kind (tagged,
named, volatile, reclaimed, maximum lowered) and stops. Then:
- `pagekit vmmap PID --json` shows each with its tag, XNU's tag name, name,
  maximum protection and purgeable state;
- every mapping's size, resident, dirty, swapped and lazily freed bytes add
  up to what `pmap -XX PID` says for it, and the totals to smaps_rollup;
- the options filter, sort and format as documented;
- bad arguments, a missing process and a user who may not read the process
  get clear refusals.

Usage: check_vmmap.py PATH-TO-pagekit
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

PAGEKIT = sys.argv[1]
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print(f"FAIL {what}")


def run(*arguments, user=None):
    command = [PAGEKIT, *arguments]
    if user is not None:
        command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", "--", *command]
    return subprocess.run(command, capture_output=True, text=True)


def wait_until_stopped(pid):
    for _ in range(500):
        with open(f"/proc/{pid}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "T":
                return
        time.sleep(0.01)
    raise SystemExit(f"demo process {pid} never stopped")


def pmap_rows(pid):
    """pmap -XX: one dict per mapping, keyed by its header's columns."""
    lines = subprocess.run(["pmap", "-XX", str(pid)], capture_output=True, text=True, check=True).stdout.splitlines()
    header = lines[1].split()
    rows = []
    for line in lines[2:]:
        fields = line.split()
        if len(fields) < len(header) - 1 or not all(c in "0123456789abcdef" for c in fields[0]):
            continue
        rows.append(dict(zip(header, fields)))
    return rows


def rollup(pid):
    totals = {}
    with open(f"/proc/{pid}/smaps_rollup") as file:
        for line in file:
            key, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                totals[key] = int(value.split()[0]) * 1024
    return totals


demo = subprocess.Popen([PAGEKIT, "demo-process"], stdout=subprocess.PIPE, text=True)
try:
    made = json.loads(demo.stdout.readline())
    pid = made["pid"]
    wait_until_stopped(pid)

    result = run("vmmap", str(pid), "--json")
    check(result.returncode == 0, f"vmmap --json exits 0 (stderr: {result.stderr.strip()})")
    report = json.loads(result.stdout)
    check(report["pid"] == pid and report["usesPageKit"], "the report names the process and read its table")
    at = {region["start"]: region for region in report["regions"]}
    page = report["pageSize"]

    tagged = at.get(made["tagged"], {})
    check(tagged.get("tag") == 242 and tagged.get("tagName") == "application specific 3", "tagged region's tag")
    check(tagged.get("name") == "pagekit-tag-242" and tagged.get("kind") == "pagekit", "tagged region's name")
    check(tagged.get("size") == 4 * page and tagged.get("resident") == 4 * page, "tagged region's sizes")
    named = at.get(made["named"], {})
    check(named.get("name") == "lookup table" and named.get("tagName") == "MALLOC_TINY", "named region")
    volatile = at.get(made["volatile"], {})
    check(volatile.get("purgeableState") == "volatile" and volatile.get("name") == "cache", "volatile region")
    check(volatile.get("lazyFree") == 8 * page and volatile.get("dirty") == 0, "volatile pages are lazily freed")
    reclaimed = at.get(made["reclaimed"], {})
    if made["reclaimedForReal"]:
        check(reclaimed.get("purgeableState") == "empty", "reclaimed region is empty")
    else:
        print("skip the reclaimed region's EMPTY state: MADV_PAGEOUT left its pages in place")
    lowered = at.get(made["lowered"], {})
    check(lowered.get("maximumProtection") == "r--" and lowered.get("protection") == "r--", "lowered maximum")
    check(any(region["kind"] == "pagekit-internal" for region in report["regions"]), "PageKit's own memory shown")

    # Every mapping pmap shows is covered exactly by the report's rows.
    rows = pmap_rows(pid)
    check(len(rows) > 10, f"pmap -XX lists the process's mappings ({len(rows)} parsed)")
    for row in rows:
        start = int(row["Address"], 16)
        end = start + int(row["Size"]) * 1024
        inside = [region for region in report["regions"] if start <= region["start"] < end]
        label = f"mapping {row['Address']} ({row.get('Mapping', '')})"
        check(sum(region["size"] for region in inside) == end - start, f"{label}: size")
        for ours, theirs in (("resident", ["Rss"]), ("swapped", ["Swap"]), ("lazyFree", ["LazyFree"]),
                             ("dirty", ["Private_Dirty", "Shared_Dirty"])):
            expected = sum(int(row[key]) * 1024 for key in theirs)
            check(sum(region[ours] for region in inside) == expected, f"{label}: {ours}")
    totals = rollup(pid)
    check(report["totals"]["resident"] == totals["Rss"], "resident total equals smaps_rollup")
    check(report["totals"]["dirty"] == totals["Private_Dirty"] + totals["Shared_Dirty"], "dirty total")
    check(report["totals"]["swapped"] == totals["Swap"], "swapped total")
    check(report["totals"]["lazyFree"] == totals["LazyFree"], "lazily freed total")
    check(report["purgeable"]["volatile"] == 8 * page, "purgeable totals")

    # Options.
    text = run("vmmap", str(pid)).stdout
    check("REGION TYPE" in text and "application specific 3" in text and "lookup table" in text, "table output")
    check("Footprint:" in text and "Purgeable memory:" in text, "summary lines")
    summary = run("vmmap", str(pid), "--summary").stdout
    check("START - END" not in summary and "TOTAL" in summary, "--summary shows only the summary")
    only = json.loads(run("vmmap", str(pid), "--json", "--tag", "242").stdout)["regions"]
    check([region["start"] for region in only] == [made["tagged"]], "--tag filters")
    only = json.loads(run("vmmap", str(pid), "--json", "--name", "lookup").stdout)["regions"]
    check([region["start"] for region in only] == [made["named"]], "--name filters")
    by_size = json.loads(run("vmmap", str(pid), "--json", "--sort", "size").stdout)["regions"]
    check([r["size"] for r in by_size] == sorted((r["size"] for r in by_size), reverse=True), "--sort size")
    exact = run("vmmap", str(pid), "--bytes", "--tag", "242").stdout
    check(str(4 * page) in exact, "--bytes prints exact sizes")
    check(run("vmmap", "--self").returncode == 0, "--self")

    # Refusals.
    for arguments, status, message in (
        (["vmmap", "abc"], 64, ""),
        (["vmmap", "--", "-5"], 64, "positive"),
        (["vmmap"], 64, "--self"),
        (["vmmap", str(pid), "--tag", "300"], 64, "0 to 255"),
        (["vmmap", "2147483647"], 1, "no process 2147483647"),
    ):
        result = run(*arguments)
        check(result.returncode == status and message in result.stderr,
              f"{' '.join(arguments)}: exit {result.returncode}, {result.stderr.strip()!r}")
    if os.geteuid() == 0:
        # A copy the stranger can execute: the checkout may lie under a
        # directory only root can enter (/root).
        stranger_dir = tempfile.mkdtemp()
        os.chmod(stranger_dir, 0o755)
        PAGEKIT = shutil.copy(PAGEKIT, stranger_dir)
        os.chmod(PAGEKIT, 0o755)
        result = run("vmmap", str(pid), user=65534)
        PAGEKIT = sys.argv[1]
        shutil.rmtree(stranger_dir)
        check(result.returncode == 1 and "permission denied" in result.stderr,
              f"a stranger is refused: exit {result.returncode}, {result.stderr.strip()!r}")
    else:
        print("skip the stranger's refusal: needs root to run as another user")
finally:
    demo.kill()
    demo.wait()

print(f"vmmap: {len(failures)} failed" if failures else "vmmap: every check passed")
sys.exit(1 if failures else 0)
