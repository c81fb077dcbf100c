"""Whether the process that is streaming a reply into the database is still alive.

A reply is stored as 'streaming' while it arrives. If its process dies (kill -9, a crash,
a power cut) nobody will finish it, so the next process to open the database marks it
incomplete; but a reply that another *live* process (the window beside a CLI run, or a
CLI run beside the window) is still streaming must be left alone.

Each writing process holds an exclusive OS lock on its own file in a folder beside the
database, named by a token that the streaming rows carry. The OS drops the lock when the
process ends, however it ends, so a lock that can be taken means its writer is gone. A
process id alone would not do: ids are reused, and checking one is not portable. The
token is new for every process, so a dead writer can never look alive again.

Locks are ``flock`` locks on POSIX (one per open file, not per process) and ``msvcrt``
byte locks on Windows. Both would let a process take its own lock a second time through
another file, so a process never tests its own tokens: it knows them (``_HELD``).
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterable
from pathlib import Path

_HELD: set[str] = set()  # the tokens of this process's own locks
_FLAGS = os.O_RDWR | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)


def _try_lock(fd: int) -> bool:
    """Take the exclusive lock on ``fd`` without waiting; False when another holds it."""
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class WriterLocks:
    """The lock folder of one database: this process's own lock, and the others' state."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._token: str | None = None
        self._fd: int | None = None

    def token(self) -> str:
        """This process's token, taking its lock on first use (only writers of streaming
        replies need one, so a plain `history` leaves no file behind)."""
        if self._token is None:
            self._token, self._fd = self._take()
        return self._token

    def _take(self) -> tuple[str, int]:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        token = f"{os.getpid()}-{secrets.token_hex(6)}"
        # Locked under a hidden name, then renamed: a file under a token's name is always
        # locked while its writer lives, so nobody can find it free and delete it first.
        # (Windows cannot rename an open file; there, deleting a locked one fails instead.)
        final = self.folder / token
        pending = final if sys.platform == "win32" else self.folder / f".{token}"
        fd = os.open(pending, _FLAGS | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            if not _try_lock(fd):
                raise OSError(f"could not lock {pending}")
            if pending != final:
                os.replace(pending, final)
        except BaseException:
            os.close(fd)
            pending.unlink(missing_ok=True)
            raise
        _HELD.add(token)
        return token, fd

    def dead(self, tokens: Iterable[str]) -> list[str]:
        """The tokens whose writer process has ended."""
        return [token for token in tokens if not self._alive(token)]

    def _alive(self, token: str) -> bool:
        if token in _HELD:
            return True
        if not token or token.startswith(".") or "/" in token or "\\" in token:
            return False  # not a name this module writes: nobody holds it
        try:
            fd = os.open(self.folder / token, _FLAGS)
        except FileNotFoundError:
            return False  # its writer ended and someone already cleared its file
        except OSError:
            return True  # unreadable: assume alive rather than cut off someone's reply
        try:
            return not _try_lock(fd)
        finally:
            os.close(fd)  # drops the lock this test may have taken

    def sweep(self) -> None:
        """Delete the files of writers that have ended (hidden ones are being created)."""
        try:
            names = [n for n in os.listdir(self.folder) if not n.startswith(".") and n not in _HELD]
        except OSError:
            return
        for name in names:
            path = self.folder / name
            try:
                fd = os.open(path, _FLAGS)
            except OSError:
                continue
            try:
                # Deleted while we hold its lock: a writer never re-locks an old file.
                if _try_lock(fd):
                    path.unlink(missing_ok=True)
            except OSError:
                pass  # Windows: still open elsewhere; the next sweep tries again
            finally:
                os.close(fd)

    def release(self) -> None:
        """Give up this process's lock (the store is closing); harmless twice."""
        if self._fd is None or self._token is None:
            return
        # Closed first (Windows deletes no open file). Someone may now find the lock free
        # and mark this process's streaming replies incomplete: right, nobody finishes them.
        os.close(self._fd)
        _HELD.discard(self._token)
        try:
            (self.folder / self._token).unlink(missing_ok=True)
        except OSError:
            pass  # a sweep removes it later
        self._fd = None
        self._token = None
