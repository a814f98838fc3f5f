"""Writing output files atomically: a temporary file in the same folder, then a rename."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from corridors.errors import UsageError


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | Path, content: bytes) -> Path:
    """Write ``content`` to ``path`` so that readers see the old file or the whole new one.

    Parameters
    ----------
    path
        Destination file; its folder must exist.
    content
        The bytes.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    UsageError
        If the folder does not exist or cannot be written.

    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"cannot write {path}: folder {folder} does not exist")
    clean_leftovers(folder)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.name}.", suffix=TEMP_SUFFIX, dir=folder)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.chmod(tmp, _file_mode(path))
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


#: Temporary files are named ``.corridors-tmp-<target>.<random>.tmp`` beside their target.
TEMP_PREFIX = ".corridors-tmp-"
TEMP_SUFFIX = ".tmp"
#: A temporary file older than this (seconds) belongs to a write that was killed.
STALE_AFTER_S = 600.0


def clean_leftovers(folder: str | Path, older_than_s: float = STALE_AFTER_S) -> list[Path]:
    """Remove temporary files that killed writes left in ``folder``.

    A write in progress renames its temporary file within seconds; one that is still there
    after ``older_than_s`` was left by a process that died mid-write.

    Parameters
    ----------
    folder
        The folder to tidy.
    older_than_s
        Age (by modification time) from which a temporary file counts as left over.

    Returns
    -------
    list of pathlib.Path
        The files removed.

    """
    removed = []
    now = time.time()
    try:
        candidates = list(Path(folder).glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"))
    except OSError:
        return removed
    for tmp in candidates:
        try:
            if now - tmp.stat().st_mtime >= older_than_s:
                tmp.unlink()
                removed.append(tmp)
        except OSError:
            continue
    return removed


def _file_mode(path: Path) -> int:
    """The mode a new file would get (0666 less the umask), or the existing file's mode."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def write_json(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` as indented JSON, atomically."""
    return atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")
