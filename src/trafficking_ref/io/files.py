"""Writing files safely: atomically (temporary file + rename), owner-only when private."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path


class OutputExists(Exception):
    """The output file exists and overwriting was not allowed."""


def write_bytes_atomic(path: Path, data: bytes, *, overwrite: bool = False,
                       private: bool = True) -> None:
    """Write ``data`` to ``path`` so that no reader ever sees a partial file.

    The file is created with mode 0600 when ``private`` (anything about a person). Raises
    :class:`OutputExists` when the file exists and ``overwrite`` is false, ``OSError`` when the
    location cannot be written (also when its directory does not exist: none is created). On
    any failure (a full disk, Ctrl-C) the temporary file is removed.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExists(str(path))
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():  # a mistyped path never grows a new directory tree
        raise FileNotFoundError(errno.ENOENT, f"the directory '{directory}' does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=directory)
    try:
        os.fchmod(fd, 0o600 if private else 0o644 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if not overwrite:
            # Refuse to replace a file that appeared meanwhile.
            os.link(tmp, path)
            os.unlink(tmp)
        else:
            os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_text_atomic(path: Path, text: str, *, overwrite: bool = False,
                      private: bool = True) -> None:
    write_bytes_atomic(path, text.encode("utf-8"), overwrite=overwrite, private=private)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
