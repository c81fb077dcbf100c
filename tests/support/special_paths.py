"""Things that sit where a reader expects a regular file: pipes, folders, sockets and
links to them. Every reader of the fuzz suite is checked against these."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path


def fifo(path: Path) -> None:
    os.mkfifo(path)


def folder(path: Path) -> None:
    path.mkdir()


def unix_socket(path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))  # the name stays after the socket closes
    server.close()


def link_to_device(path: Path) -> None:
    path.symlink_to("/dev/zero")


def link_to_fifo(path: Path) -> None:
    os.mkfifo(path.with_name("pipe"))
    path.symlink_to(path.with_name("pipe"))


def link_loop(path: Path) -> None:
    path.symlink_to(path)


SPECIAL_PATHS: dict[str, Callable[[Path], None]] = {
    "fifo": fifo, "folder": folder, "socket": unix_socket, "link to /dev/zero": link_to_device,
    "link to a fifo": link_to_fifo, "link loop": link_loop}
