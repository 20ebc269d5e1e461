"""Evidence files a unit sends with a report, kept under the data folder.

A file comes from outside (a coordinator's disk now, a unit's upload later), so
nothing about it is trusted. A file on disk must be a regular file (a symlink or a device is
refused, and the check is made on the open file, not the name, so it cannot be
swapped in between), no larger than ``MAX_FILE_BYTES`` (a sparse 2 GB file is
refused, not copied); an upload must be of a document, image or archive type
and is counted as it streams in. Each is stored under a folder of its own with a random
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
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_FILES = 20
# What a unit may upload from its page: documents, sheets, scans and archives; nothing a
# browser would run (html, svg, js) even though stored files are only ever downloaded.
UPLOAD_TYPES = frozenset({"pdf", "ofd", "doc", "docx", "wps", "xls", "xlsx", "et", "ppt",
                          "pptx", "txt", "csv", "jpg", "jpeg", "png", "gif", "bmp", "tif",
                          "tiff", "zip", "rar", "7z"})


@dataclass
class Upload:
    """A file sent from a browser: a name (never trusted) and its bytes."""

    name: str
    stream: BinaryIO
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


def _open(path: Path, max_bytes: int = MAX_FILE_BYTES) -> int:
    """A read-only descriptor of a regular file; refuses links, devices and big files."""
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        reason = "是符号链接，不作为附件" if exc.errno == 40 else (exc.strerror or str(exc))
        raise EvidenceError(f"附件 {path} 无法读取：{reason}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise EvidenceError(f"附件 {path} 不是普通文件")
    os.set_blocking(fd, True)
    if info.st_size > max_bytes:
        os.close(fd)
        raise EvidenceError(f"附件 {path} 有 {info.st_size / 1024 / 1024:.0f} MB，超过上限 "
                            f"{max_bytes / 1024 / 1024:g} MB")
    return fd


def _check_upload(up: Upload, limit: int) -> None:
    suffix = safe_name(up.name).rpartition(".")[2].lower() if "." in up.name else ""
    if suffix not in UPLOAD_TYPES:
        raise EvidenceError(f"附件 {safe_name(up.name)} 的类型不能上传；可上传："
                            f"{'、'.join(sorted(UPLOAD_TYPES))}")
    if limit <= 0:
        raise EvidenceError("上传附件的上限为 0：本系统不收附件")


def store(files: list[Path | Upload], root: Path, plan_key: str, *,
          max_bytes: int = MAX_FILE_BYTES) -> list[str]:
    """Copy the files under ``root/plan_key/<random>/``; the stored paths, relative to root."""
    if len(files) > MAX_FILES:
        raise EvidenceError(f"一次最多 {MAX_FILES} 个附件（给了 {len(files)} 个）")
    opened: list[tuple[str, BinaryIO]] = []
    written: list[Path] = []
    what = ""
    try:
        for f in files:  # every file is checked before any is copied
            if isinstance(f, Upload):
                _check_upload(f, max_bytes)
                opened.append((f.name, f.stream))
            else:
                opened.append((f.name, os.fdopen(_open(f, max_bytes), "rb")))
        for name, src in opened:
            what = safe_name(name)
            folder = root / plan_key / uuid.uuid4().hex
            folder.mkdir(parents=True)
            written.append(folder)
            target = folder / what
            part = folder / (target.name + ".part")
            with part.open("xb") as dst:
                copied = 0
                while chunk := src.read(1024 * 1024):
                    copied += len(chunk)
                    if copied > max_bytes:  # it grew while being copied, or an upload
                        raise EvidenceError(f"附件 {what} 超过上限 "
                                            f"{max_bytes / 1024 / 1024:g} MB")
                    dst.write(chunk)
            os.replace(part, target)
    except OSError as exc:
        _remove(written)
        raise EvidenceError(f"附件 {what} 保存失败：{exc.strerror or exc}") from None
    except EvidenceError:
        _remove(written)
        raise
    finally:
        for (_, src), f in zip(opened, files, strict=False):
            if not isinstance(f, Upload):
                src.close()
    return [str(p.relative_to(root)) for folder in written for p in folder.iterdir()]


def _remove(folders: list[Path]) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
