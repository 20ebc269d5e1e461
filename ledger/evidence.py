"""Evidence files a unit sends with a report, kept under the data folder.

A file comes from outside (a coordinator's disk, a unit's upload), so nothing
about it is trusted. A file on disk must be a regular file on a real file system:
not under /proc, /sys or /dev nor on a pseudo file system mounted elsewhere (an
operator's ``/proc/self/environ`` holds secrets), reached through no symlink (each
folder of the path is opened without following links, then the file, so nothing
can be swapped in between), opened without blocking (a FIFO is refused, not
waited on), no larger than ``MAX_FILE_BYTES`` (a sparse 2 GB file is refused,
not copied). An upload must be of a document, image or archive type and is
counted as it streams in. Each is stored under a folder of its own with a random
name, its own name cleaned of path, control and bidi characters (a U+202E would
show ``exe.pdf`` as ``fdp.exe``). The copy is written to a temporary name and
renamed, and a failure removes what was written: a report either has all its
files or is not recorded.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_FILES = 20
# What a unit may upload from its page: documents, sheets, scans and archives; nothing a
# browser would run (html, svg, js) even though stored files are only ever downloaded.
UPLOAD_TYPES = frozenset(
    {
        "pdf",
        "ofd",
        "doc",
        "docx",
        "wps",
        "xls",
        "xlsx",
        "et",
        "ppt",
        "pptx",
        "txt",
        "csv",
        "jpg",
        "jpeg",
        "png",
        "gif",
        "bmp",
        "tif",
        "tiff",
        "zip",
        "rar",
        "7z",
    }
)


@dataclass
class Upload:
    """A file sent from a browser: a name (never trusted) and its bytes."""

    name: str
    stream: BinaryIO


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
SYSTEM_FOLDERS = ("/proc", "/sys", "/dev")
PSEUDO_FILE_SYSTEMS = frozenset(
    {
        "proc",
        "sysfs",
        "devtmpfs",
        "devpts",
        "debugfs",
        "securityfs",
        "tracefs",
        "configfs",
        "cgroup",
        "cgroup2",
        "bpf",
        "pstore",
        "efivarfs",
        "fusectl",
        "mqueue",
        "hugetlbfs",
        "binfmt_misc",
        "autofs",
        "rpc_pipefs",
        "nsfs",
    }
)


class EvidenceError(ValueError):
    """A file that cannot be kept as evidence; the message names it and says why."""


def _shown(ch: str) -> bool:
    """Not a control, format (bidi overrides, zero-width), private or line-separator
    character: what a name shows is what it is."""
    return unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp")


def safe_name(name: str) -> str:
    """A file name with no path, control, bidi or reserved characters, at most 100 long."""
    plain = "".join(ch for ch in unicodedata.normalize("NFC", name) if _shown(ch))
    cleaned = _UNSAFE.sub("_", Path(plain.replace("\\", "/")).name).strip(" .") or "附件"
    stem, dot, suffix = cleaned.rpartition(".")
    if dot and len(suffix) <= 10:
        return stem[: 100 - len(suffix) - 1] + "." + suffix
    return cleaned[:100]


def _open(path: Path, max_bytes: int = MAX_FILE_BYTES) -> int:
    """A read-only descriptor of a regular file on a real file system; refuses links
    (in any folder of the path), devices, FIFOs, system files and big files."""
    absolute = os.path.abspath(path)
    for folder in SYSTEM_FOLDERS:
        if absolute == folder or absolute.startswith(folder + "/"):
            raise EvidenceError(f"附件 {path} 位于系统目录 {folder}，不是文件，不作为附件")
    fd = _open_no_links(Path(absolute), path)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise EvidenceError(f"附件 {path} 不是普通文件（是设备、管道或目录），不作为附件")
        kind = _file_system(info.st_dev)
        if kind in PSEUDO_FILE_SYSTEMS:
            raise EvidenceError(f"附件 {path} 位于 {kind} 虚拟文件系统，不是真实文件，不作为附件")
        if info.st_size > max_bytes:
            raise EvidenceError(
                f"附件 {path} 有 {info.st_size / 1024 / 1024:.0f} MB，超过上限 "
                f"{max_bytes / 1024 / 1024:g} MB"
            )
    except EvidenceError:
        os.close(fd)
        raise
    return fd


def _open_no_links(absolute: Path, given: Path) -> int:
    """Open each folder of the path, then the file, without following a symlink and
    without waiting on a FIFO."""
    parts = absolute.parts
    fd = os.open(parts[0], os.O_RDONLY | os.O_DIRECTORY)
    for i, name in enumerate(parts[1:], start=1):
        last = i == len(parts) - 1
        flags = os.O_RDONLY | os.O_NOFOLLOW | (os.O_NONBLOCK if last else os.O_DIRECTORY)
        try:
            opened = os.open(name, flags, dir_fd=fd)
        except OSError as exc:
            link = exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK) and stat.S_ISLNK(
                os.lstat(name, dir_fd=fd).st_mode
            )
            os.close(fd)
            if link:
                raise EvidenceError(
                    f"附件 {given} 无法读取：{Path(*parts[: i + 1])} 是符号链接，不作为附件"
                    + ("" if last else "（路径中的文件夹不能是符号链接，请给出实际路径）")
                ) from None
            why = {
                errno.ENOENT: "文件不存在",
                errno.EACCES: "没有读取权限",
                errno.ENOTDIR: f"{Path(*parts[:i])} 不是文件夹",
            }.get(exc.errno or 0)
            raise EvidenceError(f"附件 {given} 无法读取：{why or exc.strerror or exc}") from None
        os.close(fd)
        fd = opened
    return fd


def _file_system(device: int) -> str:
    """The type of the mounted file system a device number belongs to ('' if unknown)."""
    wanted = f"{os.major(device)}:{os.minor(device)}"
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                fields = line.split()
                if len(fields) > 3 and fields[2] == wanted and " - " in line:
                    return line.split(" - ", 1)[1].split()[0]
    except OSError:
        pass
    return ""


def _check_upload(up: Upload, limit: int) -> None:
    suffix = safe_name(up.name).rpartition(".")[2].lower() if "." in up.name else ""
    if suffix not in UPLOAD_TYPES:
        raise EvidenceError(
            f"附件 {safe_name(up.name)} 的类型不能上传；可上传：{'、'.join(sorted(UPLOAD_TYPES))}"
        )
    if limit <= 0:
        raise EvidenceError("上传附件的上限为 0：本系统不收附件")


def store(
    files: Sequence[Path | Upload], root: Path, plan_key: str, *, max_bytes: int = MAX_FILE_BYTES
) -> list[str]:
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
                        raise EvidenceError(f"附件 {what} 超过上限 {max_bytes / 1024 / 1024:g} MB")
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
