#!/usr/bin/env python3
"""ctest bench_smoke: runs `bench --smoke --json=PATH` and checks the report.

Usage: bench_smoke.py BENCH_BINARY JSON_PATH
Fails if the bench crashes or rejects its options (exit status other than
0, or 1 = "a measurement failed, report written"), the JSON does not parse,
a section is missing or empty, a row lacks a field, a section or scenario
stopped with an error, or there is no configuration recommendation. Rows
whose measurement failed (the library returned an error, e.g. a node link
dropped) are printed as warnings: they are findings of the benchmark, not
defects of it.
"""
import json
import os
import shutil
import subprocess
import tempfile
import sys

SECTIONS = ["baselines", "latency", "throughput", "bandwidth", "memory",
            "configs"]
ROW_KEYS = ["name", "where", "unit", "median", "min", "max", "count",
            "baseline", "baseline_value", "ratio", "target", "met", "note",
            "error"]


def main():
    bench, path = sys.argv[1], sys.argv[2]
    # The bench's nodes and client run over TLS, as a cluster does by
    # default: one throw-away identity for all of them.
    certs = tempfile.mkdtemp(prefix="workers-bench-certs-")
    make_certs = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              "..", "scripts", "make-certs.sh")
    subprocess.run(["bash", make_certs, certs, "bench"], check=True,
                   stdout=subprocess.DEVNULL)
    tls = ["--openssl.certificate=" + os.path.join(certs, "bench.pem"),
           "--openssl.key=" + os.path.join(certs, "bench.key"),
           "--openssl.cafile=" + os.path.join(certs, "ca.pem")]
    try:
        run = subprocess.run([bench, "--smoke", "--json=" + path] + tls,
                             timeout=300, stdout=subprocess.PIPE, text=True)
    finally:
        shutil.rmtree(certs, ignore_errors=True)
    print(run.stdout)
    if run.returncode not in (0, 1):
        sys.exit("bench exited with status %d" % run.returncode)
    with open(path) as f:
        report = json.load(f)
    problems = []
    warnings = []
    if report.get("schema") != "libworkers-bench/1":
        problems.append("unexpected schema %r" % report.get("schema"))
    if report["machine"].get("caf_version") != "0.17.6":
        problems.append("CAF version %r" % report["machine"].get("caf_version"))
    for key in ["scheduler.policy", "scheduler.max-threads",
                "middleman.workers"]:
        if key not in report["config"]:
            problems.append("config lacks " + key)
    for section in SECTIONS:
        rows = report["sections"].get(section)
        if not rows:
            problems.append("section %s missing or empty" % section)
            continue
        for row in rows:
            missing = [k for k in ROW_KEYS if k not in row]
            if missing:
                problems.append("%s row %r lacks %s" % (section, row.get("name"),
                                                        missing))
            if row.get("error"):
                warnings.append("%s row %r (%s) failed: %s"
                                % (section, row["name"], row["where"],
                                   row["error"]))
            elif row.get("median") is None:
                problems.append("%s row %r (%s) has no median"
                                % (section, row["name"], row["where"]))
    if report.get("errors"):
        problems.append("errors: %s" % report["errors"])
    if not report.get("recommendation"):
        problems.append("no configuration recommendation")
    for w in warnings:
        print("warning: " + w)
    if run.returncode == 1 and not warnings:
        problems.append("bench exited with status 1 but no row failed")
    if problems:
        sys.exit("\n".join(problems))
    print("bench_smoke: %d rows in %d sections, JSON ok"
          % (report["summary"]["rows"], len(SECTIONS)))


if __name__ == "__main__":
    main()
