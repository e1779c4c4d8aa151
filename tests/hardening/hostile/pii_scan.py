"""The security suite's PII scanner: looks for one user's personal data and identifiers in every place the
mesh keeps or emits anything.

Places (each a `Place` with what was read and what was found):
- every SQLite file under the mesh home, table by table, every column of every row (text decoded, blobs raw,
  JSON documents as stored), plus the raw bytes of the file and of its `-wal` (what a copy of the disk holds);
- every other file under the home (raw bytes), logs included;
- every service's log file (`RunningService.log_file`; also under the home, but reported on its own);
- the trace export: every span the collector received (its serialized form: name, attributes, events, links,
  status, all of it);
- every service's Prometheus endpoint (`GET /metrics`).

A needle is one value in the spellings it can take (an e-mail in any case, a phone as typed, in E.164 and as
bare national digits, ...). Matching is case-insensitive on bytes, so UTF-8 text and blobs are treated alike.
"""

from __future__ import annotations

import sqlite3
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

SQLITE_MAGIC = b"SQLite format 3\x00"
MAX_FILE_BYTES = 256 * 1024 * 1024
"""Files larger than this are read in chunks (with an overlap, so no needle is cut in two)."""
_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class Needle:
    """One thing to look for.

    Attributes:
        kind: `pii` (raw personal data), `id` (the user id, vault tokens), `ref` (opaque ids of the user's
            records: orders, sessions, hand-offs) or `secret` (the vault's bytes of the user: wrapped data key,
            blind-index hashes, ciphertexts); the suite decides where each may appear.
        label: what it is, for the report (never the value itself).
        spellings: the byte strings any of which counts as a hit (matched case-insensitively).
    """

    kind: str
    label: str
    spellings: tuple[bytes, ...]

    def found_in(self, haystack: bytes) -> bool:
        """Whether any spelling occurs in `haystack` (already lower-cased)."""
        return any(s in haystack for s in self.spellings)


def needle(kind: str, label: str, *values: str) -> Needle:
    """A needle from its spellings (empty or duplicate ones dropped)."""
    spellings = tuple(dict.fromkeys(v.lower().encode() for v in values if v))
    if not spellings:
        raise ValueError(f"{label}: no spelling")
    return Needle(kind, label, spellings)


def phone_spellings(typed: str) -> tuple[str, ...]:
    """A phone number as typed, in E.164, and as its national significant digits (the last 10)."""
    digits = "".join(c for c in typed if c.isdigit())
    return typed, f"+{digits}", digits[-10:]


@dataclass
class Hit:
    """A needle found at a location (e.g. `audit_log.subject_id`, `line 12`, `span vault/Detokenize`)."""

    needle: Needle
    location: str


@dataclass
class Place:
    """One scanned place: what it is, how much of it was read, what was found."""

    group: str
    name: str
    scanned: str = ""
    hits: list[Hit] = field(default_factory=list)
    error: str = ""

    def kinds(self) -> set[str]:
        return {h.needle.kind for h in self.hits}

    def labels(self, kind: str | None = None) -> list[str]:
        """The distinct labels found (of one kind, or all)."""
        return sorted({h.needle.label for h in self.hits if kind is None or h.needle.kind == kind})

    def where(self, limit: int = 4) -> str:
        """A short 'label@location' list of the hits, for the report."""
        seen = sorted({f"{h.needle.label}@{h.location}" for h in self.hits})
        more = f" (+{len(seen) - limit})" if len(seen) > limit else ""
        return ", ".join(seen[:limit]) + more


def match(needles: Iterable[Needle], haystack: bytes, location: str) -> list[Hit]:
    lowered = haystack.lower()
    return [Hit(n, location) for n in needles if n.found_in(lowered)]


def _cell_bytes(value: object) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8", "surrogatepass")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def scan_sqlite_tables(path: Path, needles: list[Needle]) -> tuple[str, list[Hit]]:
    """Every row of every table of a SQLite file, read-only; hits are `table.column`."""
    hits: list[Hit] = []
    rows = tables = 0
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in names:
            tables += 1
            cursor = db.execute(f"SELECT * FROM {_quote(table)}")
            columns = [d[0] for d in cursor.description]
            found: set[tuple[str, str]] = set()
            for row in cursor:
                rows += 1
                for column, value in zip(columns, row, strict=True):
                    data = _cell_bytes(value)
                    if not data:
                        continue
                    for hit in match(needles, data, f"{table}.{column}"):
                        key = (hit.needle.label, hit.location)
                        if key not in found:
                            found.add(key)
                            hits.append(hit)
    finally:
        db.close()
    return f"{tables} tables, {rows} rows", hits


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        tail = b""
        while True:
            block = handle.read(_CHUNK)
            if not block:
                return
            yield tail + block
            tail = block[-256:]


def scan_bytes_of(path: Path, needles: list[Needle], location: str = "bytes") -> tuple[int, list[Hit]]:
    """The raw bytes of a file (in overlapping chunks); hits are `location`."""
    size = path.stat().st_size
    found: dict[str, Hit] = {}
    for chunk in _chunks(path):
        for hit in match(needles, chunk, location):
            found.setdefault(hit.needle.label, hit)
    return size, list(found.values())


def scan_text_lines(path: Path, needles: list[Needle]) -> tuple[str, list[Hit]]:
    """A text file (a log) line by line; hits are `line N`."""
    hits: list[Hit] = []
    lines = 0
    seen: set[str] = set()
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            lines = number
            for hit in match(needles, line, f"line {number}"):
                if hit.needle.label not in seen:  # the first line of each needle is enough to report
                    seen.add(hit.needle.label)
                    hits.append(hit)
    return f"{lines} lines", hits


def is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(16) == SQLITE_MAGIC
    except OSError:
        return False


def scan_home(home: Path, needles: list[Needle], *, skip: Iterable[Path] = ()) -> list[Place]:
    """Every file under the mesh home: SQLite files by table and as raw bytes (with their WAL), the rest raw.

    `skip`: files scanned elsewhere (the services' logs), left out here.
    """
    skipped = {p.resolve() for p in skip}
    places: list[Place] = []
    for path in sorted(p for p in home.rglob("*") if p.is_file()):
        if path.resolve() in skipped:
            continue
        relative = str(path.relative_to(home))
        if path.name.endswith(("-wal", "-shm", "-journal")) and is_sqlite(path.with_name(path.name.rsplit("-", 1)[0])):
            place = Place("file", relative)
            try:
                size, place.hits = scan_bytes_of(path, needles)
                place.scanned = f"{size} bytes (raw)"
            except OSError as exc:
                place.error = str(exc)
            places.append(place)
            continue
        if is_sqlite(path):
            place = Place("sqlite", relative)
            try:
                place.scanned, place.hits = scan_sqlite_tables(path, needles)
            except sqlite3.Error as exc:
                place.error = f"{type(exc).__name__}: {exc}"
            raw = Place("file", f"{relative} (raw pages)")
            try:
                size, raw.hits = scan_bytes_of(path, needles)
                raw.scanned = f"{size} bytes (raw)"
            except OSError as exc:
                raw.error = str(exc)
            places += [place, raw]
            continue
        place = Place("file", relative)
        try:
            size, place.hits = scan_bytes_of(path, needles)
            place.scanned = f"{size} bytes"
        except OSError as exc:
            place.error = str(exc)
        places.append(place)
    return places


def scan_logs(logs: dict[str, Path], needles: list[Needle]) -> list[Place]:
    """Each service's log file, line by line."""
    places = []
    for service, path in sorted(logs.items()):
        place = Place("log", service)
        try:
            place.scanned, place.hits = scan_text_lines(path, needles)
        except OSError as exc:
            place.error = str(exc)
        places.append(place)
    return places


def scan_spans(spans: Iterable[tuple[str, bytes, str]], needles: list[Needle]) -> list[Place]:
    """The trace export, one place per sending service: (service, serialized span, span name) each."""
    by_service: dict[str, Place] = {}
    counts: dict[str, int] = {}
    seen: set[tuple[str, str, str]] = set()
    for service, data, name in spans:
        place = by_service.setdefault(service, Place("trace", service or "?"))
        counts[service] = counts.get(service, 0) + 1
        for hit in match(needles, data, f"span {name}"):
            key = (service, hit.needle.label, hit.location)
            if key not in seen:
                seen.add(key)
                place.hits.append(hit)
    for service, place in by_service.items():
        place.scanned = f"{counts[service]} spans"
    return [by_service[s] for s in sorted(by_service)]


def fetch_metrics(port: int, timeout_s: float = 5.0) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=timeout_s) as answer:
        data: bytes = answer.read()
        return data


def scan_metrics(ports: dict[str, int], needles: list[Needle]) -> list[Place]:
    """Each service's /metrics page, line by line."""
    places = []
    for service, port in sorted(ports.items()):
        place = Place("metrics", service)
        try:
            page = fetch_metrics(port)
        except OSError as exc:
            place.error = f"{type(exc).__name__}: {exc}"
            places.append(place)
            continue
        lines = page.splitlines()
        place.scanned = f"{len(lines)} lines"
        seen: set[str] = set()
        for number, line in enumerate(lines, 1):
            for hit in match(needles, line, line.split(b"{", 1)[0].split(b" ", 1)[0].decode(errors="replace")
                              or f"line {number}"):
                if hit.needle.label not in seen:
                    seen.add(hit.needle.label)
                    place.hits.append(hit)
        places.append(place)
    return places

