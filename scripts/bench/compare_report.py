#!/usr/bin/env python3
"""Tables and gnuplot script from scripts/bench/compare.sh's raw JSON.

  compare_report.py OUT COMMIT "CONCS" BIG_MIB   writes OUT/summary.md, OUT/deploy.md, OUT/plot.gp
  compare_report.py --write-docs OUT DOCS        puts them between the markers in DOCS/benchmarks.md
                                                 and DOCS/deploy.md
"""
import datetime
import json
import os
import re
import sys

NAMES = {
    "embedded": "mwupload embedded (SQLite + disk)",
    "cluster-1": "mwupload 1 replica (PG + Garage + nginx)",
    "cluster-3": "mwupload 3 replicas (PG + Garage + nginx)",
    "mediawiki": "MediaWiki 1.39 (nginx + php-fpm)",
}
ORDER = ["embedded", "cluster-1", "cluster-3", "mediawiki"]
BEGIN, END = "<!-- compare.sh: begin -->", "<!-- compare.sh: end -->"


def load(out, name):
    try:
        return json.load(open(os.path.join(out, name)))
    except (OSError, ValueError):
        return None


def ok(d):
    return d and not d.get("failed") and d["uploads"]["succeeded"] > 0


def big_cell(d, mib, direct=None):
    if not ok(d):
        err = (d or {}).get("first_error") or "failed"
        return f"failed ({str(err)[:60]})"
    secs = d["latency_ms"]["upload"]["max"] / 1000
    cell = f"{mib / secs:.0f} MiB/s ({secs:.2f} s)"
    if direct:
        cell += f", {mib / secs / direct:.2f}× direct"
    return cell


def small_cell(d):
    if not ok(d):
        return "failed"
    l = d["latency_ms"]["upload"]
    fails = d["uploads"]["failed"]
    return f"{d['throughput']['uploads_per_sec']:.0f}/s, p50 {l['p50']:.1f} ms, p99 {l['p99']:.1f} ms" + (
        f" ({fails} failed)" if fails else "")


def report(out, commit, concs, big):
    big = int(big)
    concs = [int(c) for c in concs.split()]
    limits = load(out, "limits.json")
    targets = [t for t in ORDER if os.path.exists(os.path.join(out, f"{t}-memory.json"))]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Run {now}, commit `{commit}`, `scripts/bench/compare.sh` (release build, `mwupload bench`: fresh random "
        f"PNG per upload, SHA-1 verified; {os.cpu_count()} cores shared with the other work of the machine; the "
        "load average after each workload is in the raw JSON).",
        "",
        "**The machine's limits, same run:** "
        + (f"sha1sum {limits['sha1sum_mib_s']:.0f} MiB/s, disk write + fsync {limits['disk_write_fsync_mib_s']:.0f} MiB/s "
           f"(dd conv=fsync, {big} MiB), {limits['fsyncs_per_s']:.0f} small fsyncs/s (4 KiB write + fsync), "
           f"loopback TCP {limits['loopback_mib_s']:.0f} MiB/s; load average {' '.join(limits['load'])} at the start."
           if limits else "not measured."),
        "",
        "| workload | " + " | ".join(NAMES[t] for t in targets) + " |",
        "|---|" + "---|" * len(targets),
    ]
    directs = {t: load(out, f"{t}-direct.json") for t in targets}
    dspeed = {t: (big / (d["latency_ms"]["upload"]["max"] / 1000) if ok(d) else None) for t, d in directs.items()}
    row = lambda label, cells: lines.append(f"| {label} | " + " | ".join(cells) + " |")
    row(f"direct {big} MiB", [big_cell(directs[t], big) for t in targets])
    row(f"chunked {big} MiB, 5 MiB chunks", [big_cell(load(out, f"{t}-chunked.json"), big, dspeed[t]) for t in targets])
    for c in concs:
        row(f"10 KiB uploads, {c} client{'s' if c > 1 else ''}", [small_cell(load(out, f"{t}-small-c{c}.json")) for t in targets])
    mem = {t: load(out, f"{t}-memory.json") for t in targets}
    row("server peak memory (VmHWM)", [
        f"{mem[t]['peak_rss_mib']:.0f} MiB" + (" (sum over the php-fpm pool)" if t == "mediawiki" else
                                              " (largest replica)" if t.startswith("cluster") else "")
        for t in targets])
    if limits:
        lines += ["", "Against the limits: " + "; ".join(
            f"{NAMES[t].split(' (')[0]} direct = {dspeed[t] / limits['sha1sum_mib_s']:.2f}× sha1sum"
            for t in targets if dspeed.get(t)) + "."]
    lines += ["", "![10 KiB uploads per second by concurrency](plots/small-throughput.png)",
              "![10 KiB upload latency percentiles by concurrency](plots/small-latency.png)"]
    open(os.path.join(out, "summary.md"), "w").write("\n".join(lines) + "\n")

    # docs/deploy.md: embedded vs 1 vs 3 replicas (issue 11).
    dt = [t for t in ["embedded", "cluster-1", "cluster-3"] if t in targets]
    dl = [f"Run {now}, commit `{commit}`, by `scripts/bench/compare.sh` (all in one run, one 2-core machine: "
          "client, PostgreSQL, Garage, nginx and the replicas share it).", "",
          "| workload | " + " | ".join(NAMES[t] for t in dt) + " |", "|---|" + "---|" * len(dt)]
    dl.append(f"| direct {big} MiB | " + " | ".join(big_cell(directs[t], big) for t in dt) + " |")
    dl.append(f"| chunked {big} MiB, 5 MiB chunks | " + " | ".join(
        big_cell(load(out, f"{t}-chunked.json"), big, dspeed[t]) for t in dt) + " |")
    dl.append("| 10 KiB uploads, 32 clients | " + " | ".join(small_cell(load(out, f"{t}-small-c32.json")) for t in dt) + " |")
    dl.append("| server peak memory | " + " | ".join(f"{mem[t]['peak_rss_mib']:.0f} MiB" for t in dt) + " |")
    open(os.path.join(out, "deploy.md"), "w").write("\n".join(dl) + "\n")

    # gnuplot: one data file per target (concurrency, uploads/s, p50, p90, p99).
    for t in targets:
        with open(os.path.join(out, f"{t}.dat"), "w") as f:
            for c in concs:
                d = load(out, f"{t}-small-c{c}.json")
                if ok(d):
                    l = d["latency_ms"]["upload"]
                    f.write(f"{c} {d['throughput']['uploads_per_sec']} {l['p50']} {l['p90']} {l['p99']}\n")
    plots = [(t, NAMES[t]) for t in targets]
    gp = [
        'set terminal pngcairo size 900,600 font ",10"' if os.system("gnuplot -e 'set terminal pngcairo' 2>/dev/null") == 0
        else 'set terminal png size 900,600',
        "set key below", "set grid", "set logscale x 2", f"set xtics ({', '.join(str(c) for c in concs)})",
        "set xlabel 'concurrent clients'",
        f"set output '{out}/plots/small-throughput.png'",
        "set title '10 KiB uploads per second (higher is better)'", "set ylabel 'uploads/s'", "set logscale y",
        "plot " + ", ".join(f"'{out}/{t}.dat' using 1:2 with linespoints lw 2 title '{n}'" for t, n in plots),
        f"set output '{out}/plots/small-latency.png'",
        "set title '10 KiB upload latency: p50 (solid) and p99 (dashed), ms (lower is better)'", "set ylabel 'ms'",
        "plot " + ", ".join(
            f"'{out}/{t}.dat' using 1:3 with linespoints lw 2 lc {i + 1} title '{n} p50', "
            f"'{out}/{t}.dat' using 1:5 with linespoints lw 2 dt 2 lc {i + 1} title '{n} p99'"
            for i, (t, n) in enumerate(plots)),
    ]
    open(os.path.join(out, "plot.gp"), "w").write("\n".join(gp) + "\n")


def replace_between(path, body):
    text = open(path).read()
    block = f"{BEGIN}\n{body}{END}"
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    else:
        raise SystemExit(f"{path}: markers {BEGIN} … {END} missing")
    open(path, "w").write(text)


if __name__ == "__main__":
    if sys.argv[1] == "--write-docs":
        out, docs = sys.argv[2], sys.argv[3]
        replace_between(os.path.join(docs, "benchmarks.md"), open(os.path.join(out, "summary.md")).read())
        replace_between(os.path.join(docs, "deploy.md"), open(os.path.join(out, "deploy.md")).read())
    else:
        report(*sys.argv[1:5])
