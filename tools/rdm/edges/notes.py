"""Execution records in git: notes under `refs/notes/rdm` on RDMs' merge commits.

The audit chain lives beside the history it describes, in the repository
itself, so that it survives CI's artifact expiry and is read with plain git
(`git log --notes=rdm`). This edge reads and appends notes through gitpython;
encoding and decoding the records is `rdm.model.records`'s job.

It never rewrites a record: `append` reads the note a commit has, adds the new
records after the old ones and writes the whole note again (a git note is one
blob per commit). Pushing the notes ref is the caller's job (`push`), since
only the rollout job may write to the remote.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from rdm.model.problems import ExternalError
from rdm.model.records import (
    MAX_NOTE_BYTES,
    NOTES_REF,
    ExecutionRecord,
    note_text,
    parse_note,
    record_json,
)

_SHA = re.compile(r"[0-9a-f]{40}")


def _repo(root: Path) -> object:
    import git  # gitpython: the git edges alone import it

    try:
        return git.Repo(root, search_parent_directories=False)
    except (git.exc.InvalidGitRepositoryError, git.exc.NoSuchPathError) as exc:
        raise ExternalError(f"{root} is not a git repository") from exc


def _check_sha(commit: str) -> str:
    if not _SHA.fullmatch(commit):
        raise ExternalError(f"not a full commit id: {commit[:60]!r}")
    return commit


def read(root: Path, commit: str) -> tuple[list[ExecutionRecord], list[str]]:
    """The records attached to `commit` (none when it has no note)."""
    import git

    repo = _repo(root)
    try:
        # As bytes: a note that is not UTF-8 is the parser's to report; decoded by
        # gitpython it came back with surrogates that str.encode refused (a crash).
        raw = repo.git.notes(  # type: ignore[attr-defined]
            "--ref", NOTES_REF, "show", _check_sha(commit), stdout_as_string=False
        )
    except git.exc.GitCommandError:
        return [], []  # no note on that commit
    return parse_note(bytes(raw))


def read_all(root: Path) -> dict[str, tuple[list[ExecutionRecord], list[str]]]:
    """Every annotated commit -> its records and messages.

    The note blobs are read through gitpython's object database, one `git
    cat-file --batch` process for all of them: a `git notes show` per note cost a
    process each (about 7 ms of CPU: 14 s for 2,000 RDMs).
    """
    import git

    repo = _repo(root)
    try:
        listing = repo.git.notes("--ref", NOTES_REF, "list")  # type: ignore[attr-defined]
    except git.exc.GitCommandError:
        return {}  # no notes ref yet
    found: dict[str, tuple[list[ExecutionRecord], list[str]]] = {}
    for line in str(listing).splitlines():
        parts = line.split()
        if len(parts) != 2 or not (_SHA.fullmatch(parts[0]) and _SHA.fullmatch(parts[1])):
            continue
        blob, commit = parts
        try:
            # The size first (cat-file --batch-check): a stream opened on the batch
            # process must be read whole before the next one, or the pipe stalls.
            if repo.odb.info(bytes.fromhex(blob)).size > MAX_NOTE_BYTES:  # type: ignore[attr-defined]
                # the same words as parse_note, which never sees a note this size here
                found[commit] = parse_note(b" " * (MAX_NOTE_BYTES + 1))
                continue
            raw = repo.odb.stream(bytes.fromhex(blob)).read()  # type: ignore[attr-defined]
        except (ValueError, OSError, git.exc.GitError) as exc:
            found[commit] = ([], [f"the note cannot be read: {str(exc)[:120]}"])
            continue
        found[commit] = parse_note(raw)
    return found


def append(root: Path, commit: str, records: Sequence[ExecutionRecord]) -> None:
    """Add `records` after the ones `commit` already has. A note that cannot be read
    whole is never overwritten: that is an ExternalError for a person to look at."""
    import git

    old, errors = read(root, commit)
    if errors:
        # Never overwrite what we cannot read: a person must look at it.
        raise ExternalError(
            f"the note on {commit[:12]} under {NOTES_REF} cannot be read ({errors[0]}); "
            "not overwriting it"
        )
    repo = _repo(root)
    # Through a file, not -m: a note for a thousand topologies passes the 128 KiB
    # that one command-line argument may hold.
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".json") as handle:
        handle.write(note_text([*old, *records]))
        handle.flush()
        try:
            repo.git.notes(  # type: ignore[attr-defined]
                "--ref", NOTES_REF, "add", "-f", "-F", handle.name, _check_sha(commit)
            )
        except git.exc.GitCommandError as exc:
            detail = " ".join(str(exc.stderr or exc).split())[:300]
            raise ExternalError(f"cannot write the note on {commit[:12]}: {detail}") from exc


def push(root: Path, remote: str = "origin") -> None:
    """Push the notes ref; a rejected push (someone else wrote) is an ExternalError."""
    import git

    repo = _repo(root)
    try:
        repo.git.push(remote, f"{NOTES_REF}:{NOTES_REF}")  # type: ignore[attr-defined]
    except git.exc.GitCommandError as exc:
        detail = " ".join(str(exc.stderr or exc).split())[:300]
        raise ExternalError(f"cannot push {NOTES_REF} to {remote}: {detail}") from exc


def fetch(root: Path, remote: str = "origin") -> None:
    import git

    repo = _repo(root)
    try:
        repo.git.fetch(remote, f"+{NOTES_REF}:{NOTES_REF}")  # type: ignore[attr-defined]
    except git.exc.GitCommandError as exc:
        detail = " ".join(str(exc.stderr or exc).split())[:300]
        raise ExternalError(f"cannot fetch {NOTES_REF} from {remote}: {detail}") from exc


INCOMING_REF = "refs/notes/rdm-incoming"


def push_merging(root: Path, remote: str = "origin", attempts: int = 5) -> int:
    """Push the notes ref; when another run pushed first (a rejected push), take the
    remote's notes, add back the records of ours it lacks, and push again.

    A notes ref is a history of its own: two shards that append to the same
    merge commit's note diverge, and neither push is a fast-forward. Records
    are only ever appended, so merging is a union per commit: the remote's
    records, then ours that it does not hold (compared whole). Returns how many
    times the remote had moved; an `ExternalError` after `attempts`.
    """
    import git

    repo = _repo(root)
    for attempt in range(attempts):
        try:
            push(root, remote)
            return attempt
        except ExternalError as exc:
            last = exc
        ours = {commit: records for commit, (records, _) in read_all(root).items()}
        try:
            repo.git.fetch(remote, f"+{NOTES_REF}:{INCOMING_REF}")  # type: ignore[attr-defined]
            repo.git.update_ref(NOTES_REF, INCOMING_REF)  # type: ignore[attr-defined]
        except git.exc.GitCommandError as exc:
            detail = " ".join(str(exc.stderr or exc).split())[:300]
            raise ExternalError(f"cannot merge {NOTES_REF} with {remote}'s: {detail}") from exc
        for commit, records in ours.items():
            theirs, _ = read(root, commit)
            held = [record_json(r) for r in theirs]
            missing = [r for r in records if record_json(r) not in held]
            if missing:
                append(root, commit, missing)
    raise ExternalError(f"{NOTES_REF} could not be pushed after {attempts} tries: {last}")


def commits_with_notes(root: Path) -> Iterable[str]:
    return read_all(root).keys()
