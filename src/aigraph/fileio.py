"""Safe output writing: atomic files, a staging folder switched into place, and one build per folder.

* `atomic_write_bytes` writes a temporary file beside the target, fsyncs it and `os.replace`s it: a reader
  never sees a half-written file and a failed write keeps the old one.
* `Staging` collects a build's outputs in `OUT/.staging-<pid>/` and moves them into `OUT/` one `os.replace`
  per file only once all were written; on any failure (or Ctrl-C) it is removed and `OUT/` is untouched.
* `BuildLock` holds `OUT/.lock` with `fcntl.flock` while a build runs: a second build into the same folder
  fails at once naming the holder's pid, and the lock dies with its process (even on `kill -9`), so a
  crashed build never blocks the next one. The next build also removes the crashed one's staging folder.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from aigraph.errors import BuildError, BuildLocked

log = logging.getLogger(__name__)

LOCK_FILE = ".lock"
STAGING_PREFIX = ".staging-"


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, fsync it, then `os.replace` it into place."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary, shareable files
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class BuildLock:
    """Exclusive use of an output folder for one build (`OUT/.lock`, see the module docstring)."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        self.path = self.out_dir / LOCK_FILE
        self._fd: int | None = None

    def __enter__(self) -> BuildLock:
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise BuildError(f"cannot use {self.out_dir} as the output folder ({exc.strerror}): pass a folder "
                             "you can write to with --out") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "pid unknown"
            os.close(fd)
            raise BuildLocked(f"another aigraph build ({holder}) is writing to {self.out_dir}; wait for it to "
                              "finish, or build into another folder with --out") from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)  # the file stays: unlinking it would let two builds lock different files
            self._fd = None


def remove_leftovers(out_dir: Path, names: Iterable[str]) -> list[Path]:
    """Remove staging folders and temporary files that a killed build left in `out_dir` (hold the lock)."""
    removed = []
    for path in sorted(out_dir.glob(f"{STAGING_PREFIX}*")):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    for name in names:
        for path in sorted(out_dir.glob(f".{name}.*.tmp")):
            path.unlink(missing_ok=True)
            removed.append(path)
    for path in removed:
        log.info("removed %s, left by an interrupted build", path)
    return removed


class Staging:
    """A private folder for a build's outputs, moved into `out_dir` by `commit`, removed on exit."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        self.dir = self.out_dir / f"{STAGING_PREFIX}{os.getpid()}"

    def __enter__(self) -> Staging:
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        return self

    def commit(self, names: Iterable[str]) -> list[Path]:
        """Move every staged file into `out_dir`, once each target is known to be replaceable."""
        names = list(names)
        for name in names:
            if not (self.dir / name).is_file():
                raise BuildError(f"{name} was not written; this is a bug in aigraph, please report it")
            target = self.out_dir / name
            if target.is_dir() and not target.is_symlink():
                raise BuildError(f"cannot replace {target}: it is a folder; move it away and build again")
        placed = []
        for name in names:
            os.replace(self.dir / name, self.out_dir / name)
            placed.append(self.out_dir / name)
        _fsync_dir(self.out_dir)
        return placed

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
