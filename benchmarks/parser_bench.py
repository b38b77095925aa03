"""Parser benchmark (not a test): prints figures and compares them with the targets.

    python benchmarks/parser_bench.py [--repeat 200] [--runs 5]

Measures, on this machine:
- import time of ``bot.parsing`` in a fresh interpreter (median of several runs), and of
  ``bot.parsing`` plus dateparser (what ``warm_up()`` imports);
- the first ``parse_command`` in a fresh process, without and after ``warm_up()``;
- the median and p99 time per command over the shared corpus, repeated many times in a
  warm process (and over the dateparser fallback path separately);
- the corpus score (cases that resolve exactly as expected, or fail as expected);
- the same over the table of new phrasings (tests/parsing/test_more_shapes.py);
- for comparison (figures only), dateparser's ``search_dates`` over the corpus: its time
  per command and how many cases it gets exactly right (two dates found → a span, one →
  that day, none where a refusal is expected).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "fixtures" / "commands.jsonl"

TARGETS_MS = {"median": 1.0, "p99": 5.0, "import": 500.0, "first": 300.0}

_FRESH_IMPORT = """
import time
t0 = time.perf_counter()
import bot.parsing
t1 = time.perf_counter()
print((t1 - t0) * 1000)
"""

_FRESH_IMPORT_WITH_DATEPARSER = """
import time
t0 = time.perf_counter()
import bot.parsing
import dateparser.date
t1 = time.perf_counter()
print((t1 - t0) * 1000)
"""

_FRESH_FIRST_PARSE = """
import json, sys, time
from datetime import date
t0 = time.perf_counter()
from bot.parsing import parse_command, warm_up
t1 = time.perf_counter()
warm = sys.argv[1] == "warm"
if warm:
    warm_up()
t2 = time.perf_counter()
parse_command(sys.argv[2], today=date(2026, 11, 28))
t3 = time.perf_counter()
print(json.dumps({"import": (t1 - t0) * 1000, "warm_up": (t2 - t1) * 1000,
                  "first": (t3 - t2) * 1000, "total": (t3 - t0) * 1000}))
"""

# phrases that the grammar does not know and dateparser resolves
FALLBACK_TEXTS = [
    "backfill transfer 1 for 36 hours ago",
    "backfill Facebook Ads 3 hours ago",
    "backfill 1 on 24 hours ago",
]


def _python(code: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip()


def _load_corpus() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    except OSError:
        return "unknown"


def _verdict(value: float, target: float) -> str:
    return "ok" if value <= target else "OVER TARGET"


def corpus_score(cases: list[dict[str, Any]]) -> tuple[int, list[str]]:
    from bot.errors import CommandError
    from bot.parsing import parse_command

    passed, failures = 0, []
    for case in cases:
        today = date.fromisoformat(case["today"])
        try:
            got = parse_command(case["text"], today=today).to_json()
        except CommandError as exc:
            if case.get("error"):
                passed += 1
            else:
                failures.append(f"{case['text']!r}: unexpected error {exc.user_message}")
            continue
        if case.get("error"):
            failures.append(f"{case['text']!r}: expected an error, got {got}")
            continue
        keys = ("transfer_id", "transfer_name", "range_start", "range_end", "clamped")
        diff = {k: (case[k], got.get(k)) for k in keys if k in case and got.get(k) != case[k]}
        if diff:
            failures.append(f"{case['text']!r}: {diff}")
        else:
            passed += 1
    return passed, failures


def per_command_times(
    texts: list[tuple[str, date]], repeat: int, cpu: list[float] | None = None
) -> list[float]:
    """Wall-clock ms per command; with ``cpu``, also this thread's CPU ms per command
    (which waiting for a core on a loaded machine does not inflate)."""
    from bot.errors import CommandError
    from bot.parsing import parse_command

    times: list[float] = []
    clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    for _ in range(repeat):
        for text, today in texts:
            start, cpu_start = clock(), cpu_clock()
            with contextlib.suppress(CommandError):
                parse_command(text, today=today)
            times.append((clock() - start) / 1e6)
            if cpu is not None:
                cpu.append((cpu_clock() - cpu_start) / 1e6)
    return times


def _table_texts() -> list[tuple[str, date]]:
    """The new phrasings of tests/parsing/test_more_shapes.py, as the test sends them."""
    from tests.parsing import test_more_shapes as table

    phrases = [p for p, *_ in table.RESOLVED] + [p for p, _ in table.REFUSED]
    return [(table._command(p), table.TODAY) for p in phrases]


def search_dates_peer(cases: list[dict[str, Any]]) -> tuple[list[float], int]:
    """dateparser's ``search_dates`` on each whole command: time, and exact answers."""
    from datetime import datetime

    from dateparser.search import search_dates

    times: list[float] = []
    right = 0
    for case in cases:
        today = date.fromisoformat(case["today"])
        base = datetime(today.year, today.month, today.day, 12)
        start = time.perf_counter_ns()
        try:
            found = search_dates(
                case["text"],
                languages=["en"],
                settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past"},
            )
        except Exception:  # a peer's failure is a wrong answer, not a crash
            found = None
        times.append((time.perf_counter_ns() - start) / 1e6)
        days = [d.date() for _, d in found or []]
        if case.get("error"):
            right += not days
        elif len(days) in {1, 2}:
            got = (days[0].isoformat(), days[-1].isoformat())
            right += got == (case["range_start"], case["range_end"])
    return times, right


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="passes over the corpus")
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per cold figure")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))

    cases = _load_corpus()
    print(f"parser benchmark · python {sys.version.split()[0]} · corpus {CORPUS}")
    print()

    imports = [float(_python(_FRESH_IMPORT)) for _ in range(args.runs)]
    imports_dp = [float(_python(_FRESH_IMPORT_WITH_DATEPARSER)) for _ in range(args.runs)]
    import_ms = statistics.median(imports)
    print("cold start (fresh interpreter each run, median of", args.runs, "runs)")
    print(
        f"  import bot.parsing                    {import_ms:8.1f} ms "
        f"(min {min(imports):.1f})  target ≤ {TARGETS_MS['import']:.0f}  "
        f"{_verdict(import_ms, TARGETS_MS['import'])}"
    )
    print(
        f"  import bot.parsing + dateparser       {statistics.median(imports_dp):8.1f} ms "
        f"(min {min(imports_dp):.1f})  target ≤ {TARGETS_MS['import']:.0f}  "
        f"{_verdict(statistics.median(imports_dp), TARGETS_MS['import'])}"
    )

    first_text = cases[0]["text"]
    for label, mode, text in (
        ("first parse, no warm-up", "cold", first_text),
        ("first parse after warm_up()", "warm", first_text),
        ("first fallback parse, no warm-up", "cold", FALLBACK_TEXTS[0]),
        ("first fallback parse after warm_up()", "warm", FALLBACK_TEXTS[0]),
    ):
        runs = [json.loads(_python(_FRESH_FIRST_PARSE, mode, text)) for _ in range(args.runs)]
        first = statistics.median(r["first"] for r in runs)
        total = statistics.median(r["total"] for r in runs)
        extra = ""
        if mode == "warm":
            extra = f", warm_up() {statistics.median(r['warm_up'] for r in runs):.1f} ms"
        print(
            f"  {label:37} {first:8.2f} ms (import+first {total:.1f} ms{extra})  "
            f"target ≤ {TARGETS_MS['first']:.0f}  {_verdict(total, TARGETS_MS['first'])}"
        )
    print()

    from bot.parsing import warm_up

    warm_up()
    texts = [(c["text"], date.fromisoformat(c["today"])) for c in cases]
    per_command_times(texts, 3)  # let caches settle before measuring
    cpu_times: list[float] = []
    times = per_command_times(texts, args.repeat, cpu_times)
    median, p99 = statistics.median(times), _percentile(times, 0.99)
    print(f"per command over the corpus ({len(texts)} commands × {args.repeat} = {len(times)})")
    print(
        f"  median {median:.3f} ms  target ≤ {TARGETS_MS['median']:.0f}  "
        f"{_verdict(median, TARGETS_MS['median'])}"
    )
    p99_target = TARGETS_MS["p99"]
    print(f"  p99    {p99:.3f} ms  target ≤ {p99_target:.0f}  {_verdict(p99, p99_target)}")
    print(f"  mean {statistics.fmean(times):.3f} ms  max {max(times):.3f} ms")
    print(
        f"  CPU time per command: median {statistics.median(cpu_times):.3f} ms, "
        f"p99 {_percentile(cpu_times, 0.99):.3f} ms (load average {_load()})"
    )
    fallback_texts = [(t, date(2026, 11, 28)) for t in FALLBACK_TEXTS]
    fb_times = per_command_times(fallback_texts, max(10, args.repeat // 4))
    print(
        f"  dateparser fallback path: median {statistics.median(fb_times):.3f} ms, "
        f"p99 {_percentile(fb_times, 0.99):.3f} ms"
    )
    print()

    table = _table_texts()
    table_cpu: list[float] = []
    table_times = per_command_times(table, max(10, args.repeat // 4), table_cpu)
    print(
        f"per command over the new phrasings ({len(table)} commands): "
        f"median {statistics.median(table_times):.3f} ms, "
        f"p99 {_percentile(table_times, 0.99):.3f} ms; CPU median "
        f"{statistics.median(table_cpu):.3f} ms, p99 {_percentile(table_cpu, 0.99):.3f} ms"
    )
    print()

    passed, failures = corpus_score(cases)
    print(f"corpus score {passed}/{len(cases)}")
    for failure in failures:
        print("  FAIL", failure)

    try:
        peer_times, peer_right = search_dates_peer(cases)
    except ImportError:
        print("dateparser.search is not installed: no peer column")
        return 0
    print()
    print("peer, for comparison (figures, not targets)")
    print(
        f"  dateparser search_dates: median {statistics.median(peer_times):.3f} ms, "
        f"p99 {_percentile(peer_times, 0.99):.3f} ms, exact on {peer_right}/{len(cases)} "
        "corpus cases"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
