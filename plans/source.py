"""Reading YAML with the line of every field, so errors can name file, line and field.

PyYAML's composed node tree carries positions; the plain ``safe_load`` result
does not. We compose once, construct the data from the same nodes, and keep a
map from field path (``("tasks", 3, "due", 0)``) to line number. Duplicate keys,
which PyYAML silently overwrites, are reported instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

FieldPath = tuple[str | int, ...]


class Loader(yaml.SafeLoader):
    """SafeLoader that keeps an impossible date (2021-13-01) as text.

    PyYAML raises a bare ValueError for those, without a line; as text the
    value reaches the validators, which report it with file, line and field.
    """

    # Registered under its own name rather than overriding construct_yaml_timestamp:
    # it widens the result (a date, or the text when the date is impossible).
    # The timestamp tag resolves on scalars; an explicit !!timestamp on a
    # collection is refused by PyYAML's construct_scalar as before.
    def construct_timestamp_or_text(self, node: yaml.ScalarNode) -> date | str:
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


Loader.add_constructor("tag:yaml.org,2002:timestamp", Loader.construct_timestamp_or_text)


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or doubtful) in an input file."""

    file: str
    line: int | None
    field: str
    message: str
    severity: str = "error"  # error | warning

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        label = "错误" if self.severity == "error" else "警告"
        return f"{where}: {label}: {self.field or '(文件)'}: {self.message}"


def format_path(path: FieldPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class LineMap:
    lines: dict[FieldPath, int] = field(default_factory=dict)

    def line_of(self, path: FieldPath) -> int | None:
        """The line of ``path`` or of its nearest recorded ancestor."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), None)


class SourceError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _walk(
    node: yaml.Node,
    path: FieldPath,
    lines: LineMap,
    dups: list[tuple[FieldPath, int]],
    seen_nodes: dict[int, int],
) -> None:
    """Record lines and duplicate keys. A node met twice is a YAML alias (``*x``): plan
    files do not use them (editing one place would change another, and a small file
    of nested aliases expands without bound), so it is refused, never expanded."""
    if id(node) in seen_nodes:
        raise _Alias(seen_nodes[id(node)], path)
    seen_nodes[id(node)] = node.start_mark.line + 1
    lines.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            sub = (*path, key)
            if key in seen:
                dups.append((sub, key_node.start_mark.line + 1))
            seen.add(key)
            lines.lines[sub] = key_node.start_mark.line + 1
            _walk(value_node, sub, lines, dups, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines, dups, seen_nodes)


class _Alias(Exception):
    def __init__(self, line: int, path: FieldPath) -> None:
        self.line, self.path = line, path


# A plan is four or five levels deep (tasks → a task → its units → a name); PyYAML
# composes nested nodes by recursion, so [[[[… 50,000 deep ends in a RecursionError.
MAX_DEPTH = 64
_OPEN = (
    yaml.BlockMappingStartToken,
    yaml.BlockSequenceStartToken,
    yaml.FlowMappingStartToken,
    yaml.FlowSequenceStartToken,
)
_CLOSE = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)


def _too_deep(text: str) -> int | None:
    """The line where the nesting first passes MAX_DEPTH, read from the token stream
    (PyYAML's scanner keeps its own stack, without recursion); None when it never
    does, or when the text does not scan (compose then names the syntax error)."""
    flow = text.count("[") + text.count("{") - text.count("[]") - text.count("{}")
    indent = max((len(line) - len(line.lstrip(" ")) for line in text.splitlines()), default=0)
    if flow + 2 * (indent + 1) <= MAX_DEPTH:
        return None  # cannot nest deeper: spare the second pass over a large plan
    depth = 0
    try:
        for token in yaml.scan(text, Loader=Loader):
            if isinstance(token, _OPEN):
                depth += 1
                if depth > MAX_DEPTH:
                    mark: yaml.Mark = token.start_mark
                    return mark.line + 1
            elif isinstance(token, _CLOSE):
                depth -= 1
    except yaml.YAMLError:
        return None
    return None


def load_yaml(path: Path, text: str | None = None) -> tuple[Any, LineMap]:
    """Data and line map of a YAML file; raises SourceError naming the line."""
    name = str(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise SourceError([Problem(name, None, "", "文件不存在")]) from exc
        except UnicodeDecodeError as exc:
            raise SourceError([Problem(name, None, "", f"不是 UTF-8 编码的文本：{exc}")]) from exc
    too_deep = _too_deep(text)
    if too_deep:
        raise SourceError(
            [
                Problem(
                    name,
                    too_deep,
                    "",
                    f"嵌套超过 {MAX_DEPTH} 层（括号或缩进一层套"
                    "一层）：计划文件不过三四层，请检查这一行附近是否多出了括号",
                )
            ]
        )
    try:
        node = yaml.compose(text, Loader=Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise SourceError(
            [Problem(name, line, "", f"YAML 语法错误：{exc.problem or exc}")]
        ) from exc
    lines = LineMap()
    if node is None:
        return None, lines
    dups: list[tuple[FieldPath, int]] = []
    try:
        _walk(node, (), lines, dups, {})
    except _Alias as alias:
        raise SourceError(
            [
                Problem(
                    name,
                    lines.line_of(alias.path),
                    format_path(alias.path),
                    f"计划文件不使用 YAML 锚点和别名（&名称 / *名称）："
                    f"这里引用了第 {alias.line} 行的"
                    "内容。请把内容直接写出来，每处各写一份",
                )
            ]
        ) from None
    if dups:
        raise SourceError(
            [
                Problem(
                    name, line, format_path(p), "键重复出现（后一个会覆盖前一个），请合并或删除"
                )
                for p, line in dups
            ]
        )
    loader = Loader(text)
    try:
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise SourceError(
            [Problem(name, mark.line + 1 if mark else None, "", f"无法解析的值：{exc.problem}")]
        ) from exc
    finally:
        loader.dispose()
    return data, lines
