"""The state of the code a run proved something on: a digest of the files that can change
a test's result and of the environment it ran in, and a manifest to say what changed.

Counted: the files under the run's root that are code (``codefiles.py``: the test files,
the source and configuration, tracked or not, ignored files, tool output, editor files
and documentation left out), every file the run collected (a doctest ``README.rst``),
and the interpreter and installed distributions (``environment.py``). Not counted: the
tracker and the state folder (nor any other folder holding our results).

The digest is ``<files>-<environment>`` (16 and 8 hex digits): a judge that cannot look
at the run's environment (on another machine) compares the files' part alone.

Each state folder keeps, in ``code/``:

- ``<digest>.json``: the manifest of each of the last 8 states a run ran on, to name what
  changed;
- ``run.json``: what the last run digested: its root, the files it counted because it
  collected them, where its environment is. A judge digests the same, wherever it runs
  (``tasktracker gate`` beside a tracker kept outside the project);
- ``hashes.json``: the hashes of files git did not give (``codefiles.HashCache``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from pytest_tasktracker.rules import codeprint, environment
from pytest_tasktracker.rules.codecache import code_files, digest_of
from pytest_tasktracker.settings import Settings
from pytest_tasktracker.slotted import Slotted
from pytest_tasktracker.tracker.fileio import write_locked

FOLDER = "code"  # in the state folder
RECORD = "run.json"
KEPT_STATES = 8
_HEX = frozenset("0123456789abcdef")


def is_digest(text: str) -> bool:
    """Whether ``text`` is a code state's digest, as ``[0-9a-f]{16}(?:-[0-9a-f]{8})?``
    matches it whole: 16 hex digits, and 8 more after a dash."""
    size = len(text)
    if size == 25 and text[16] == "-":
        text = text[:16] + text[17:]
    elif size != 16:
        return False
    return _HEX.issuperset(text)


class CodeState(Slotted):
    __slots__ = ("digest", "files", "root", "also")

    def __init__(
        self,
        digest: str,
        files: Mapping[str, str],
        root: Path | None = None,
        also: tuple[str, ...] = (),
    ) -> None:
        self.digest = digest
        self.files = files  # path relative to the root -> content hash; the environment
        self.root = root  # the folder digested
        self.also = also  # files counted because a run collected them

    def changed_since(self, old: Mapping[str, str]) -> list[str]:
        """The files added, removed or changed between ``old`` and this state, sorted."""
        paths = set(old) | set(self.files)
        return sorted(path for path in paths if old.get(path) != self.files.get(path))


def code_state(
    root: Path,
    excluded: Sequence[Path] = (),
    *,
    also: Iterable[str] = (),
    records: Path | None = None,
    installed: Mapping[str, str] | None = None,
) -> CodeState:
    """The code state under ``root``, leaving out ``excluded`` files and folders, with
    ``also`` (files relative to ``root``, where they exist) and the environment's entries
    ``installed`` (None: not known, the digest is the files' alone); ``records``: the
    folder of the records that spare work (``codecache.py``), None for none."""
    listing = code_files(root, _relative(excluded, root), set(also), records)
    if installed is None:
        return CodeState(listing.digest, listing.files, root, listing.also)
    digest = f"{listing.digest}-{digest_of(installed)[:8]}"
    return CodeState(digest, _With(listing.files, installed), root, listing.also)


def _relative(paths: Iterable[Path], root: Path) -> list[str]:
    """``paths`` relative to ``root`` (those on another drive left out)."""
    found = []
    for path in paths:
        try:
            found.append(Path(os.path.relpath(path, root)).as_posix())
        except ValueError:
            continue
    return found


class _With(Mapping[str, str]):
    """The files, and the environment's entries beside them (names no file has)."""

    def __init__(self, files: Mapping[str, str], more: Mapping[str, str]) -> None:
        self.files, self.more = files, more

    def __getitem__(self, path: str) -> str:
        return self.more[path] if path in self.more else self.files[path]

    def __iter__(self) -> Iterator[str]:
        yield from self.files
        yield from self.more

    def __len__(self) -> int:
        return len(self.files) + len(self.more)


class _Record(Slotted):
    __slots__ = ("root", "also", "where", "outputs")

    def __init__(
        self,
        root: Path | None,
        also: tuple[str, ...],
        where: environment.Where | None,
        outputs: tuple[str, ...] = (),
    ) -> None:
        self.root = root
        self.also = also
        self.where = where
        self.outputs = outputs  # files the run wrote its reports to: not code


def _read_record(state_folder: Path) -> _Record:
    """What the last run recorded; a missing or hand-broken file records nothing."""
    try:
        data = json.loads((state_folder / FOLDER / RECORD).read_bytes())
        # relative to the state folder (a project moved or copied with its state folder
        # keeps its root); an absolute path from an older record is taken as it is
        found = data["root"]
        root = Path(os.path.normpath(state_folder / found)) if isinstance(found, str) else None
        also = tuple(str(path) for path in data["also"])
        outputs = tuple(str(path) for path in data.get("outputs") or ())
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return _Record(None, (), None)
    return _Record(root, also, environment.Where.from_json(data.get("environment")), outputs)


def for_run(
    settings: Settings,
    collected: Iterable[str],
    rootdir: Path | None,
    outputs: Sequence[Path] = (),
) -> CodeState:
    """The code a run ran on: its root's, with the files it ``collected`` (relative to
    pytest's ``rootdir``) and the environment it runs in, without the files it writes
    its reports to (``outputs``: --junitxml, --tracker-attest, ...). What it digested is
    recorded for the judges, and its manifest kept."""
    root = settings.code_root
    earlier = _read_record(settings.state)
    if rootdir is not None and rootdir != root:
        collected = _moved(collected, rootdir, root)
    also = set(collected)
    if earlier.root == root:  # the files earlier runs collected are still counted
        also.update(earlier.also)
    entries, where = environment.here(root)
    state = code_state(
        root,
        [settings.tracker, settings.state, *outputs],
        also=also,
        records=settings.state / FOLDER,
        installed=entries,
    )
    written = tuple(sorted(_moved((str(path) for path in outputs), root, root)))
    record = _Record(root, state.also, where, written)
    if record != earlier:
        _write_record(settings.state, record)
    remember(settings.state, state)
    return state


def _moved(paths: Iterable[str], base: Path, root: Path) -> list[str]:
    """``paths`` relative to ``base``, relative to ``root`` (those inside it)."""
    moved = (Path(os.path.relpath(base / path, root)).as_posix() for path in paths)
    return [path for path in moved if not path.startswith("../")]


def _write_record(state_folder: Path, record: _Record) -> None:
    data = {
        "root": os.path.relpath(record.root, state_folder) if record.root else None,
        "also": list(record.also),
        "environment": record.where.as_json() if record.where else None,
        **({"outputs": list(record.outputs)} if record.outputs else {}),
    }
    text = json.dumps(data, indent=1)
    write_locked(state_folder / FOLDER / RECORD, text.encode("utf-8", "surrogateescape"))


def for_judge(settings: Settings, excluded: Sequence[Path] = ()) -> CodeState:
    """The code as it is now, as the last run digested it: its root (when that folder is
    still there; else the project's), the files it collected, its environment (when
    this is the machine it ran on); without ``excluded`` (an attestation being read)."""
    record, root, left_out, also = _judged(settings)
    installed = environment.again(record.where) if record.where is not None else None
    return code_state(
        root,
        [*left_out, *excluded],
        also=also,
        records=settings.state / FOLDER,
        installed=installed,
    )


def _judged(settings: Settings) -> tuple[_Record, Path, list[Path], tuple[str, ...]]:
    """What a judge digests: the last run's record, the root, what is never counted
    (the tracker, the state folder, the run's report files) and the files the run
    collected though not code by their name."""
    record = _read_record(settings.state)
    root = judged_root(settings, record)
    ran_here = root == record.root
    outputs = [root / path for path in record.outputs] if ran_here else []
    return (
        record,
        root,
        [settings.tracker, settings.state, *outputs],
        record.also if ran_here else (),
    )


def judge_print(settings: Settings) -> list[object] | None:
    """The fingerprint (``codeprint``) of the code ``for_judge`` digests, with what it
    was taken on: unchanged, the digest is unchanged. None when it cannot be taken."""
    record, root, left_out, collected = _judged(settings)
    skip = _relative(left_out, root)
    also = sorted(collected)
    where = record.where.as_json() if record.where is not None else None
    records = str(settings.state / FOLDER)
    found = codeprint.fingerprint(str(root), skip, also, where, records)
    if found is None:
        return None
    return [[str(root), skip, also, where, records], found]


def judged_root(settings: Settings, record: _Record | None = None) -> Path:
    """The folder ``for_judge`` digests: the last run's root when that folder is still
    there, else the project's."""
    record = record or _read_record(settings.state)
    if record.root is not None and record.root.is_dir():
        return record.root
    return settings.code_root


def remember(state_folder: Path, state: CodeState) -> None:
    """Keep ``state``'s manifest (the most recent few) to name what changes later."""
    folder = state_folder / FOLDER
    path = folder / f"{state.digest}.json"
    try:
        os.utime(path)  # known: the newest again
    except FileNotFoundError:
        text = json.dumps(dict(state.files), separators=(",", ":"))
        write_locked(path, text.encode("utf-8", "surrogateescape"))  # makes the folder
    kept = sorted(_manifest_files(folder), key=_modified, reverse=True)
    for old in kept[KEPT_STATES:]:
        old.unlink(missing_ok=True)
    (state_folder / "code.json").unlink(missing_ok=True)  # the single file of 0.1


def _manifest_files(folder: Path) -> list[Path]:
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return [folder / name for name in names if is_digest(name.removesuffix(".json"))]


def _modified(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


class Manifests(Mapping[str, Mapping[str, str]]):
    """The remembered manifests by digest, each read when asked for (a judge needs one
    only for stale evidence); a missing or hand-broken file is none."""

    def __init__(self, state_folder: Path) -> None:
        self.folder = state_folder / FOLDER

    def __getitem__(self, digest: str) -> Mapping[str, str]:
        if not is_digest(digest):
            raise KeyError(digest)
        try:
            data = json.loads((self.folder / f"{digest}.json").read_bytes())
        except (OSError, ValueError):
            raise KeyError(digest) from None
        if not isinstance(data, dict):
            raise KeyError(digest)
        return {str(path): str(value) for path, value in data.items()}

    def __iter__(self) -> Iterator[str]:
        return iter(path.name.removesuffix(".json") for path in _manifest_files(self.folder))

    def __len__(self) -> int:
        return len(_manifest_files(self.folder))


def manifests(state_folder: Path) -> Manifests:
    return Manifests(state_folder)
