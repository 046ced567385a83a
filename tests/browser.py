"""A small DOM parser and headless Chromium, for tests of the HTML pages.

Browser tests open a page in headless Chromium (Debian's ``chromium``) with ``--dump-dom``,
which prints the DOM after the page's scripts ran. Without chromium they are skipped, except
when the environment variable CI is set: there they must run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


# -- a small DOM, enough to ask what a page shows -------------------------------------------
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def find_all(self, pred) -> list[Node]:
        out: list[Node] = []
        for c in self.children:
            if isinstance(c, Node):
                if pred(c):
                    out.append(c)
                out.extend(c.find_all(pred))
        return out

    def by_id(self, ident: str) -> Node | None:
        found = self.find_all(lambda n: n.attrs.get("id") == ident)
        return found[0] if found else None


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs}, self.cur)
        self.cur.children.append(node)
        if tag not in _VOID:
            self.cur = node

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, {k: v or "" for k, v in attrs}, self.cur))

    def handle_endtag(self, tag):
        node = self.cur
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.cur = node.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse(page: str) -> Node:
    b = _Builder()
    b.feed(page)
    b.close()
    return b.root


def marks(dom: Node, cls: str) -> list[Node]:
    return dom.find_all(lambda n: n.tag == "mark" and cls in n.classes)


# -- the browser ----------------------------------------------------------------------------
def need_chromium() -> str:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (apt-get install chromium) and is missing")
        pytest.skip("chromium is not installed (Debian: apt-get install chromium); browser tests skipped")
    return CHROMIUM


def _chromium_args(profile: str) -> list[str]:
    return [
        need_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--hide-scrollbars", "--mute-audio", f"--user-data-dir={profile}",
    ]


def browser_dom(page: Path, fragment: str = "") -> Node:
    """The DOM of ``page`` after its scripts ran, as headless Chromium built it."""
    with tempfile.TemporaryDirectory() as profile:
        url = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
        done = subprocess.run(
            [*_chromium_args(profile), "--dump-dom", url],
            capture_output=True, text=True, encoding="utf-8", timeout=120,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "<html" in done.stdout, done.stderr[-2000:]
    return parse(done.stdout)


def browser_screenshot(page: Path, png: Path, *, width: int, height: int, fragment: str = "") -> None:
    with tempfile.TemporaryDirectory() as profile:
        url = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
        done = subprocess.run(
            [*_chromium_args(profile), f"--window-size={width},{height}", f"--screenshot={png}", url],
            capture_output=True, text=True, timeout=120,
        )
    assert done.returncode == 0 and png.stat().st_size > 10_000, done.stderr[-2000:]


# -- hand-made results: every field a place to inject --------------------------------------
