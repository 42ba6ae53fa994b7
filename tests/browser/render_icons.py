"""Render the app icons (PNG) from static/icons/icon.svg with the same Chromium the tests use.

    .venv/bin/python -m tests.browser.render_icons

Writes icon-192.png and icon-512.png (rounded, transparent corners: "any" purpose),
icon-maskable-512.png (full-bleed square, artwork inside the 80 % safe zone, so Android can
crop it to a circle or squircle) and apple-touch-icon.png (180 px, full-bleed, opaque).
Offline: no network, no browser download.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM_ARGS

ICONS = Path(__file__).resolve().parents[2] / "static" / "icons"


def full_bleed(svg: str, scale: float) -> str:
    """Square corners and the artwork shrunk towards the centre (maskable icons)."""
    svg = svg.replace('rx="112"', 'rx="0"', 1)
    head, body = svg.split(">", 1)
    body, tail = body.rsplit("</svg>", 1)
    background_end = body.index("/>", body.index('<rect width="512"')) + 2
    background, artwork = body[:background_end], body[background_end:]
    offset = 256 * (1 - scale)
    return f'{head}>{background}<g transform="translate({offset} {offset}) scale({scale})">{artwork}</g></svg>{tail}'


def render(page, svg: str, size: int, path: Path, *, transparent: bool) -> None:
    sized = re.sub(r"<svg ", f'<svg width="{size}" height="{size}" ', svg, count=1)
    page.set_viewport_size({"width": size, "height": size})
    page.set_content(f"<!doctype html><html><body>{sized}</body></html>")
    page.add_style_tag(content="html,body{margin:0;background:transparent} svg{display:block}")
    page.screenshot(path=str(path), omit_background=transparent)


def main(chromium: str = "/usr/bin/chromium") -> None:
    svg = (ICONS / "icon.svg").read_text()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        render(page, svg, 192, ICONS / "icon-192.png", transparent=True)
        render(page, svg, 512, ICONS / "icon-512.png", transparent=True)
        render(page, full_bleed(svg, 0.8), 512, ICONS / "icon-maskable-512.png", transparent=False)
        render(page, full_bleed(svg, 0.86), 180, ICONS / "apple-touch-icon.png", transparent=False)
        browser.close()
    for name in ("icon-192.png", "icon-512.png", "icon-maskable-512.png", "apple-touch-icon.png"):
        print(f"{ICONS / name}: {(ICONS / name).stat().st_size} bytes")


if __name__ == "__main__":
    main()
