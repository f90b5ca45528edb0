"""Reading large XML exports as a stream, with entity-expansion attacks refused."""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse


class UnreadableFile(Exception):
    """The file as a whole cannot be read on; what came before it is kept."""


def records(path: str, depth: int) -> Iterator[Element]:
    """Yield each element ``depth`` levels below the root, complete, then forget it.

    Only one record is held at a time, whatever the file's size.

    Raises:
        UnreadableFile: the XML is not well-formed or declares entities.
    """
    level = 0
    holders: list[Element] = []
    try:
        for event, elem in iterparse(path, events=("start", "end")):
            if event == "start":
                if level < depth:
                    holders.append(elem)
                level += 1
                continue
            level -= 1
            if level == depth:
                yield elem
                holders[-1].clear()  # drop what was read, so memory stays flat
            elif level < depth and holders:
                holders.pop()
    except ParseError as exc:
        raise UnreadableFile(f"the XML is broken ({exc})") from None
    except DefusedXmlException as exc:
        raise UnreadableFile(f"the XML declares entities, which are refused ({exc!r})") from None


def local(tag: str) -> str:
    """``{namespace}name`` → ``name``."""
    return tag.rsplit("}", 1)[-1]


def child_text(elem: Element, name: str) -> str:
    """Text of the first child whose local name is ``name``; '' if there is none."""
    for child in elem:
        if local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def children(elem: Element) -> dict[str, Element]:
    """The first child of each local name: one pass, for records read field by field."""
    found: dict[str, Element] = {}
    for kid in elem:
        found.setdefault(local(kid.tag), kid)
    return found


def text_of(kids: dict[str, Element], name: str) -> str:
    kid = kids.get(name)
    return (kid.text or "").strip() if kid is not None else ""


def child(elem: Element, name: str) -> Element | None:
    for found in elem:
        if local(found.tag) == name:
            return found
    return None
