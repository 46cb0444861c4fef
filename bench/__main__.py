"""Run every bench/*_bench.py module that has `run() -> dict`, print a table, merge into bench/results.json.

`python -m bench` runs them all; `python -m bench graph` runs only graph_bench.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results.json"
HEADER = ("bench", "figure", "value", "target", "met")
_COMPARE = {">=": float.__ge__, "<=": float.__le__, ">": float.__gt__, "<": float.__lt__}


def discover(selected: list[str]) -> list[str]:
    names = sorted(path.stem for path in BENCH_DIR.glob("*_bench.py"))
    if selected:
        names = [name for name in names if name.removesuffix("_bench") in selected or name in selected]
    return names


def main(argv: list[str]) -> int:
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    rows: list[tuple[str, ...]] = []
    tables: list[str] = []  # a bench may also lay its figures out as a table of its own (module.table)
    for module_name in discover(argv):
        module = importlib.import_module(f"bench.{module_name}")
        if not callable(getattr(module, "run", None)):
            continue
        figures = module.run()
        key = module_name.removesuffix("_bench")
        results[key] = figures
        targets = getattr(module, "TARGETS", {})  # optional: figure name -> the bar it is held to
        rows.extend((key, name, _format(value), targets.get(name, ""), _verdict(value, targets.get(name, "")))
                    for name, value in figures.items())
        if callable(getattr(module, "table", None)):
            tables.append(module.table(figures))
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    widths = [max([len(header)] + [len(row[i]) for row in rows]) for i, header in enumerate(HEADER)]
    for row in [HEADER, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    for text in tables:
        print("\n" + text)
    print(f"\nwritten to {RESULTS.relative_to(BENCH_DIR.parent)}")
    return 0


def _verdict(value: object, target: str) -> str:
    """'yes' or 'NO' for a target written as '<op> <number>' (e.g. '>= 0.70'); blank when there is none."""
    operator, _, bound = target.partition(" ")
    if operator not in _COMPARE or not isinstance(value, (int, float)):
        return ""
    return "yes" if _COMPARE[operator](float(value), float(bound)) else "NO"


def _format(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
