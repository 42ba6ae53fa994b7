"""Installable on a phone: the manifest parses, its icons are served and are what they say,
and Chromium itself finds nothing that stops "add to home screen". No large assets."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from django.conf import settings

STATIC = Path(settings.BASE_DIR) / "static"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_manifest_and_icons_are_served_and_valid(phone, url, live_server):
    phone.goto(url("login"))
    manifest_href = phone.locator('link[rel="manifest"]').get_attribute("href")
    response = phone.request.get(live_server.url + manifest_href)
    assert response.ok and response.headers["content-type"].startswith("application/manifest+json")
    manifest = json.loads(response.text())
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    purposes = set()
    for icon in manifest["icons"]:
        served = phone.request.get(live_server.url + icon["src"])
        assert served.ok, icon["src"]
        if icon["type"] == "image/png":
            width, height = png_size(served.body())
            assert f"{width}x{height}" == icon["sizes"], icon
            purposes.add(icon["purpose"])
    assert {"any", "maskable"} <= purposes
    apple = phone.locator('link[rel="apple-touch-icon"]').get_attribute("href")
    assert png_size(phone.request.get(live_server.url + apple).body()) == (180, 180)

    # Chromium's own reading of the manifest, and what it would say against installing.
    cdp = phone.context.new_cdp_session(phone)
    parsed = cdp.send("Page.getAppManifest")
    assert not parsed.get("errors"), parsed["errors"]
    installability = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # A test browser context is always "incognito"; a person's browser is not.
    blocking = [e for e in installability if e["errorId"] != "in-incognito"]
    assert not blocking, blocking


def test_pages_stay_light_for_a_slow_connection():
    """Everything a page loads (Bootstrap, our CSS and JS, icons) stays small."""
    budget = {
        "vendor/bootstrap/bootstrap.min.css": 240_000,
        "vendor/bootstrap/bootstrap.bundle.min.js": 90_000,
        "css/app.css": 40_000,
        "js/app.js": 20_000,
        "icons/icon.svg": 4_000,
        "icons/icon-512.png": 60_000,
    }
    for path, limit in budget.items():
        size = (STATIC / path).stat().st_size
        assert size <= limit, f"{path} is {size} bytes (budget {limit})"
