"""The reliability report's plumbing: each hardening suite records its measured table as JSON, and
`python -m tests.hardening.report --write` renders every recorded table into `docs/reliability.md` (between the
generated-section markers, leaving the prose around them alone).

`SHOPMESH_HARDENING=full` runs the full-length versions (`scripts/hardening` sets it); unset, the suites run
their short CI versions. Results go to `$SHOPMESH_RELIABILITY_DIR` (default `var/reliability/`), one file per
suite, so a short CI run never rewrites the committed report: only `--write` does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REPORT = REPO / "docs" / "reliability.md"
BEGIN = "<!-- BEGIN measured tables (python -m tests.hardening.report --write) -->"
END = "<!-- END measured tables -->"
SUITES = ("chaos", "rolling_restart", "hot_swap", "fuzz", "security", "soak")
"""Render order of the suites' tables."""


def full_length() -> bool:
    """Whether this run is the full-length one (`SHOPMESH_HARDENING=full`) rather than CI's short one."""
    return os.environ.get("SHOPMESH_HARDENING", "").lower() == "full"


def results_dir() -> Path:
    """Where suites write their tables."""
    return Path(os.environ.get("SHOPMESH_RELIABILITY_DIR", str(REPO / "var" / "reliability")))


@dataclass
class Table:
    """One measured table of the report.

    Args:
        title: the section heading.
        columns: column headings.
        rows: one list of cells per row (numbers are rendered as given).
        notes: lines printed under the table (what was run, what a figure means, defects found).
    """

    title: str
    columns: list[str]
    rows: list[list[object]]
    notes: list[str] = field(default_factory=list)


def record(suite: str, *tables: Table) -> Path:
    """Writes the suite's tables to `results_dir()/<suite>.json` with how and when they were measured."""
    if suite not in SUITES:
        raise ValueError(f"unknown suite {suite!r}; one of {SUITES}")
    out = results_dir()
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{suite}.json"
    payload = {
        "suite": suite,
        "mode": "full" if full_length() else "short (CI)",
        "measured_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "tables": [asdict(table) for table in tables],
    }
    path.write_text(json.dumps(payload, indent=2, default=str))
    return path


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def render(directory: Path) -> str:
    """Markdown of every recorded suite's tables, in SUITES order (suites with no results are listed as such)."""
    parts: list[str] = []
    for suite in SUITES:
        path = directory / f"{suite}.json"
        if not path.exists():
            parts.append(f"### {suite}\n\n_not measured in this run_\n")
            continue
        payload = json.loads(path.read_text())
        for table in payload["tables"]:
            lines = [f"### {table['title']}", "",
                     f"_{payload['mode']} run, {payload['measured_at']}, {payload['machine']}_", "",
                     "| " + " | ".join(table["columns"]) + " |",
                     "|" + "---|" * len(table["columns"])]
            lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in table["rows"]]
            if table["notes"]:
                lines.append("")
                lines += [f"- {note}" for note in table["notes"]]
            parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def write_report(directory: Path, report: Path = REPORT) -> None:
    """Replaces the generated section of `report` with the tables under `directory`."""
    text = report.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{report} lacks the generated-section markers")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    report.write_text(f"{head}{BEGIN}\n\n{render(directory)}\n{END}{tail}")


def main(argv: list[str] | None = None) -> int:
    """`--write`: render into docs/reliability.md; without it, print the rendering."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="replace the tables in docs/reliability.md")
    parser.add_argument("--dir", type=Path, default=results_dir(), help="the recorded results")
    args = parser.parse_args(argv)
    if args.write:
        write_report(args.dir)
    else:
        sys.stdout.write(render(args.dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
