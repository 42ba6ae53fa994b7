"""`make run` (scripts/run_dev.py): every link names the port the server listens on (issue 16, point 8)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from scripts.run_dev import parse_dotenv, resolve_address

BASE_DIR = Path(__file__).resolve().parents[2]

# What the worker computes: an e-mail link (reminders.messages.absolute) and the feed's link.
PRINT_LINKS = (
    "import django; django.setup(); "
    "from django.urls import reverse; "
    "from companion.models import Patient; "
    "from reminders.messages import absolute; "
    "from reminders.feeds import ScheduleFeed; "
    "print('MAIL', absolute(reverse('login'))); "
    "print('FEED', ScheduleFeed(Patient(pk=7)).item_description((None, 0, None)))"
)


def test_site_url_follows_the_port_make_run_serves():
    address = resolve_address({"PORT": "8123"}, {})
    assert address == {"HOST": "127.0.0.1", "PORT": "8123", "SITE_URL": "http://127.0.0.1:8123"}


def test_a_port_in_dotenv_moves_the_links_with_the_server():
    assert resolve_address({}, {"PORT": "8001"})["SITE_URL"] == "http://127.0.0.1:8001"


def test_the_environment_beats_dotenv_and_a_site_url_set_on_purpose_is_kept():
    assert resolve_address({"PORT": "8123"}, {"PORT": "8001"})["PORT"] == "8123"
    address = resolve_address({"PORT": "8123"}, {"SITE_URL": "https://tunnel.example.org/"})
    assert address["SITE_URL"] == "https://tunnel.example.org"


def test_dotenv_lines_are_read_as_the_settings_read_them(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("# local\nexport PORT=8001\nSITE_URL='http://localhost:8001'\n\nDEBUG=true\n")
    assert parse_dotenv(dotenv) == {"PORT": "8001", "SITE_URL": "http://localhost:8001", "DEBUG": "true"}
    assert parse_dotenv(tmp_path / "missing") == {}


def test_the_worker_started_by_make_run_links_to_the_served_port_even_with_another_in_dotenv(tmp_path):
    # Before: honcho laid .env's PORT=8000 over make's, and the worker's links said 8000.
    (tmp_path / ".env").write_text("PORT=8000\n")
    procfile = tmp_path / "Procfile"
    procfile.write_text(f'worker: exec {sys.executable} -c "{PRINT_LINKS}"\n')
    environment = {key: value for key, value in os.environ.items() if key != "SITE_URL"}
    environment.update(PORT="8123", DJANGO_SETTINGS_MODULE="companion.settings")
    result = subprocess.run(
        [sys.executable, "scripts/run_dev.py", "-f", str(procfile), "--env-file", str(tmp_path / ".env")],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = result.stdout
    assert "MAIL http://127.0.0.1:8123/" in out, out + result.stderr
    assert "FEED Log the dose in the companion: http://127.0.0.1:8123/patients/7/" in out, out
    assert ":8000" not in out
