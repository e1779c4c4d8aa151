"""The model registry: which version of each artifact family is promoted, its history, promote and rollback.

A family is one folder of version folders (`<models>/artifacts/ranker-<catalog>/<n>/`, an encoder's
`<models>/artifacts/<name>/<n>/`, a retrieval snapshot's `<indexes>/<catalog>/<n>/` holding the learned index
with the user tower it was trained with). Its promoted version is the one line of `<family>/PROMOTED` (the
format retrieval snapshots already use), replaced atomically: a serving process that polls it sees the old
or the new version, never half a file. `<family>/registry.json` keeps every promotion and rollback, so a
rollback goes back to the version promoted before the current one. A version is promoted only after the
family's own check (the loader a service would run: manifest, payload sha256, feature schema) accepts it.

Serving processes read only the pointer; this module, the CLI and the retraining gate write it under one
file lock per family.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from shopmesh.models.manifest import ArtifactManifest, ManifestError, read_manifest, utc_now

POINTER_FILE = "PROMOTED"
HISTORY_FILE = "registry.json"
LOCK_FILE = ".registry.lock"
ACTIONS = ("promote", "rollback", "external")
"""History actions; "external" records a pointer someone else wrote (e.g. `shopmesh build index --promote`)."""

Check = Callable[[Path], object]
"""Verifies a version folder the way its serving process would load it; raises when it must not be served."""


class RegistryError(Exception):
    """A promote or rollback was refused (unknown version, failed check, nothing to roll back to)."""


@dataclass(frozen=True)
class Family:
    """One artifact family.

    Attributes:
        name: What the CLI calls it: "ranker-movielens", "minilm-l6-v2", "retrieval-movielens".
        kind: What its versions are, for people ("ranker", "text encoder", "user tower + learned index").
        folder: The folder holding the version folders, the pointer and the history.
        check: The serving loader's verification of a version folder (raises ManifestError or a load error).
        manifest: Reads the manifest a listing summarises (default: the version folder's manifest.json).
        serving: Who serves the promoted version and how it gets there, for people.
    """

    name: str
    kind: str
    folder: Path
    check: Check
    manifest: Callable[[Path], ArtifactManifest] = read_manifest
    serving: str = ""


@dataclass(frozen=True)
class Event:
    """One history entry: which version became promoted, when, by what action, and why."""

    time: str
    action: str
    version: str
    previous: str | None
    reason: str = ""


@dataclass(frozen=True)
class VersionInfo:
    """One version folder as a listing shows it."""

    version: str
    manifest: ArtifactManifest | None
    error: str
    promoted: bool


def _sort_key(version: str) -> tuple[int, int, str]:
    return (0, int(version), "") if version.isdigit() else (1, 0, version)


def version_names(folder: Path) -> list[str]:
    """Version folder names of a family, integers in numeric order first (hidden and temp folders skipped)."""
    if not folder.is_dir():
        return []
    names = [p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return sorted(names, key=_sort_key)


def read_pointer(folder: Path) -> str | None:
    """The promoted version named by `<folder>/PROMOTED`, or None when there is no pointer."""
    try:
        return (folder / POINTER_FILE).read_text().strip() or None
    except FileNotFoundError:
        return None


def history(folder: Path) -> list[Event]:
    """The family's promotion history, oldest first (empty when none was recorded)."""
    try:
        data = json.loads((folder / HISTORY_FILE).read_text())
    except FileNotFoundError:
        return []
    except json.JSONDecodeError as exc:
        raise RegistryError(f"{folder / HISTORY_FILE} is not JSON: {exc}") from exc
    return [Event(**e) for e in data.get("history", [])]


def promotion_stack(events: list[Event]) -> list[str]:
    """Versions a rollback would return to, newest last: promotions push, rollbacks pop."""
    stack: list[str] = []
    for event in events:
        if event.action == "rollback":
            if stack:
                stack.pop()
            if not stack or stack[-1] != event.version:
                stack.append(event.version)
        elif not stack or stack[-1] != event.version:
            stack.append(event.version)
    return stack


def fallback_versions(folder: Path) -> list[str]:
    """Versions promoted before the current one, newest first: what a server may keep serving when the
    pointer names a version it cannot load and it has nothing loaded yet."""
    try:
        stack = promotion_stack(history(folder))
    except RegistryError:
        return []
    if stack and stack[-1] == read_pointer(folder):
        stack = stack[:-1]
    return list(reversed(stack))


def list_versions(family: Family) -> list[VersionInfo]:
    """Every version folder with its manifest (or why it cannot be read) and which one is promoted."""
    promoted = read_pointer(family.folder)
    out = []
    for version in version_names(family.folder):
        try:
            manifest: ArtifactManifest | None = family.manifest(family.folder / version)
            error = ""
        except (ManifestError, OSError) as exc:
            manifest, error = None, str(exc)
        out.append(VersionInfo(version, manifest, error, version == promoted))
    return out


def check_version(family: Family, version: str) -> None:
    """Runs the family's check on a version; raises RegistryError with the loader's reason when it fails."""
    folder = family.folder / version
    if not version or not folder.is_dir() or version.startswith("."):
        raise RegistryError(f"{family.name} has no version {version!r} (versions: "
                            f"{', '.join(version_names(family.folder)) or 'none'})")
    try:
        family.check(folder)
    except Exception as exc:  # any refusal of the loader (its own types too, e.g. a rejected snapshot) refuses
        raise RegistryError(f"{family.name} {version} does not check out: {exc}") from exc


def promote(family: Family, version: str, *, reason: str = "", clock: Callable[[], str] = utc_now) -> Event:
    """Checks a version and points the family at it (a no-op event when it is already promoted).

    Raises:
        RegistryError: the version does not exist or fails the family's check; the pointer is unchanged.
    """
    check_version(family, version)
    with _locked(family.folder):
        events = _reconciled(family.folder, clock)
        current = read_pointer(family.folder)
        if current == version:
            return Event(clock(), "promote", version, current, "already promoted")
        event = Event(clock(), "promote", version, current, reason)
        _commit(family.folder, [*events, event], version)
    return event


def rollback(family: Family, *, reason: str = "", clock: Callable[[], str] = utc_now) -> Event:
    """Points the family back at the version promoted before the current one.

    Raises:
        RegistryError: no earlier promotion is recorded, or that version no longer checks out.
    """
    with _locked(family.folder):
        events = _reconciled(family.folder, clock)
        stack = promotion_stack(events)
        if len(stack) < 2:
            raise RegistryError(f"{family.name}: no earlier promoted version to roll back to "
                                f"(history: {', '.join(stack) or 'empty'})")
        target, current = stack[-2], stack[-1]
        check_version(family, target)
        event = Event(clock(), "rollback", target, current, reason)
        _commit(family.folder, [*events, event], target)
    return event


def _reconciled(folder: Path, clock: Callable[[], str]) -> list[Event]:
    """The history, plus an "external" entry when the pointer was moved by something other than this module."""
    events = history(folder)
    pointer = read_pointer(folder)
    stack = promotion_stack(events)
    if pointer is not None and (not stack or stack[-1] != pointer):
        events.append(Event(clock(), "external", pointer, stack[-1] if stack else None,
                            "pointer written outside the registry"))
    return events


def _commit(folder: Path, events: list[Event], version: str) -> None:
    """History first, then the pointer: a crash between leaves a pointer the next call reconciles."""
    _atomic_write(folder / HISTORY_FILE, json.dumps(
        {"family": folder.name, "history": [asdict(e) for e in events]}, indent=1) + "\n")
    _atomic_write(folder / POINTER_FILE, version + "\n")


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One writer per family at a time (a CronJob's retrain and a person's rollback)."""
    if not folder.is_dir():
        raise RegistryError(f"no artifact family folder {folder}")
    with (folder / LOCK_FILE).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def summary(info: VersionInfo) -> dict[str, Any]:
    """The facts a listing prints of one version."""
    m = info.manifest
    if m is None:
        return {"version": info.version, "promoted": info.promoted, "error": info.error}
    out: dict[str, Any] = {"version": info.version, "promoted": info.promoted, "name": m.name, "kind": m.kind,
                           "created": m.create_time, "schema": m.schema_id, "sha256": m.sha256[:12]}
    if m.training_data_end:
        out["data_end"] = m.training_data_end
    if m.vector_space:
        out["space"] = f"{m.vector_space}@{m.vector_space_version}"
    if "paired_user_tower_version" in m.extra:
        out["user_tower"] = m.extra["paired_user_tower_version"]
    if "ndcg10" in m.metrics:
        out["ndcg10"] = round(m.metrics["ndcg10"], 4)
    return out
