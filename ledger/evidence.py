"""Evidence files a unit sends with a report, kept under the data folder.

A file comes from outside (a coordinator's disk now, a unit's upload later), so
nothing about it is trusted: it must be a regular file (a symlink or a device is
refused, and the check is made on the open file, not the name, so it cannot be
swapped in between), no larger than ``MAX_FILE_BYTES`` (a sparse 2 GB file is
refused, not copied), and it is stored under a folder of its own with a random
name, its own name cleaned. The copy is written to a temporary name and
renamed, and a failure removes what was written: a report either has all its
files or is not recorded.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import uuid
from pathlib import Path

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_FILES = 20
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


class EvidenceError(ValueError):
    """A file that cannot be kept as evidence; the message names it and says why."""


def safe_name(name: str) -> str:
    """A file name with no path, control or reserved characters, at most 100 long."""
    cleaned = _UNSAFE.sub("_", Path(name).name).strip(" .") or "附件"
    stem, dot, suffix = cleaned.rpartition(".")
    if dot and len(suffix) <= 10:
        return stem[:100 - len(suffix) - 1] + "." + suffix
    return cleaned[:100]


def _open(path: Path) -> int:
    """A read-only descriptor of a regular file; refuses links, devices and big files."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        reason = "是符号链接，不作为附件" if exc.errno == 40 else (exc.strerror or str(exc))
        raise EvidenceError(f"附件 {path} 无法读取：{reason}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise EvidenceError(f"附件 {path} 不是普通文件")
    if info.st_size > MAX_FILE_BYTES:
        os.close(fd)
        raise EvidenceError(f"附件 {path} 有 {info.st_size / 1024 / 1024:.0f} MB，超过上限 "
                            f"{MAX_FILE_BYTES // 1024 // 1024} MB")
    return fd


def store(paths: list[Path], root: Path, plan_key: str) -> list[str]:
    """Copy the files under ``root/plan_key/<random>/``; the stored paths, relative to root."""
    if len(paths) > MAX_FILES:
        raise EvidenceError(f"一次最多 {MAX_FILES} 个附件（给了 {len(paths)} 个）")
    opened: list[tuple[Path, int]] = []
    written: list[Path] = []
    try:
        for path in paths:  # every file is checked before any is copied
            opened.append((path, _open(path)))
        for path, fd in opened:
            folder = root / plan_key / uuid.uuid4().hex
            folder.mkdir(parents=True)
            written.append(folder)
            target = folder / safe_name(path.name)
            part = folder / (target.name + ".part")
            with os.fdopen(fd, "rb", closefd=False) as src, part.open("xb") as dst:
                copied = 0
                while chunk := src.read(1024 * 1024):
                    copied += len(chunk)
                    if copied > MAX_FILE_BYTES:  # it grew while being copied
                        raise EvidenceError(f"附件 {path} 超过上限 "
                                            f"{MAX_FILE_BYTES // 1024 // 1024} MB")
                    dst.write(chunk)
            os.replace(part, target)
    except OSError as exc:
        _remove(written)
        raise EvidenceError(f"附件 {path} 复制失败：{exc.strerror or exc}") from None
    except EvidenceError:
        _remove(written)
        raise
    finally:
        for _, fd in opened:
            os.close(fd)
    return [str(p.relative_to(root)) for folder in written for p in folder.iterdir()]


def _remove(folders: list[Path]) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
