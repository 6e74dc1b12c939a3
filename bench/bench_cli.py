"""Start-up of the fast CLI commands (issue #14): ``casedesk workdays`` and ``deadlines``.

Each command is run as a subprocess of the installed ``casedesk`` script (the one beside this
interpreter, as a script calling it thousands of times would), with ``python -c pass`` on the same
interpreter as the baseline in the same run: the baseline is the interpreter's own start-up, the
floor no command can go under. The runs are interleaved (one of each, then again) so a change in
the machine's load falls on every line alike, after one untimed warm-up of each. Every run's exit
status and output are checked, so an error is never timed as a fast answer.

Each line prints the median and p90 wall time and the median's ratio to the baseline's. The target
is a median under 300 ms for each command. Figures vary with the machine's load: compare lines of
one run, never with a threshold in a test (tests/cli/test_start_up.py checks what is imported).
Run: ``.venv/bin/python bench/bench_cli.py [--runs N]``. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

CASEDESK = str(Path(sys.executable).parent / "casedesk")
TARGET_MS = 300


@dataclass
class Command:
    """One command line to time, and a check of what it printed."""

    label: str
    argv: list[str]
    ok: Callable[[str], bool]
    timings: list[float] = field(default_factory=list)

    def run(self) -> float:
        """Run once; return the wall time in seconds, failing loudly on a wrong answer."""
        t0 = time.perf_counter()
        done = subprocess.run(self.argv, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - t0
        if done.returncode != 0 or not self.ok(done.stdout):
            sys.exit(f"{self.label}: exit {done.returncode}\n{done.stdout}{done.stderr}")
        return elapsed


COMMANDS = [
    Command("python -c pass (baseline)", [sys.executable, "-c", "pass"], lambda out: out == ""),
    Command(
        "workdays add",
        [CASEDESK, "workdays", "add", "2026-12-21", "5", "--nation", "england"],
        lambda out: out == "2026-12-30\n",
    ),
    Command(
        "workdays count",
        [CASEDESK, "workdays", "count", "2026-12-21", "2027-01-08", "--nation", "england"],
        lambda out: out == "11\n",
    ),
    Command(
        "deadlines --json",
        [CASEDESK, "deadlines", "--protocol", "surrey", "--event", "decision=2026-12-21", "--json"],
        lambda out: json.loads(out)[0]["due"] == "2026-12-30",
    ),
]


def run(n: int) -> None:
    """Time every command ``n`` times, interleaved, and print the figures."""
    for command in COMMANDS:
        command.run()  # warm-up: bytecode and the page cache, untimed
    for _ in range(n):
        for command in COMMANDS:
            command.timings.append(command.run())
    base = statistics.median(COMMANDS[0].timings)
    print(f"casedesk start-up, {n} runs each, interleaved ({CASEDESK})")
    for command in COMMANDS:
        report(command.label, command.timings, base)
    worst = max(statistics.median(c.timings) for c in COMMANDS[1:]) * 1000
    verdict = "under" if worst < TARGET_MS else "OVER"
    print(f"  slowest command median {worst:.0f} ms: {verdict} the {TARGET_MS} ms target")


def report(label: str, timings: list[float], base: float) -> None:
    """Print the median and p90 of ``timings`` (seconds) in ms, and the median over ``base``."""
    median = statistics.median(timings)
    p90 = statistics.quantiles(timings, n=10, method="inclusive")[8]
    ratio = median / base
    print(
        f"  {label:<26} median {median * 1000:7.1f} ms   p90 {p90 * 1000:7.1f} ms   x{ratio:5.1f}"
    )


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each command")
    run(max(parser.parse_args().runs, 2))


if __name__ == "__main__":
    main()
