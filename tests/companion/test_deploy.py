"""The production deploy's static files: what `collectstatic` does with the production settings.

The whole deploy (gunicorn serving a signed-in page and static files over HTTP with the
production settings) is `scripts/deploy_check.py`, run by `.ci/run` as `make deploy-check`.
"""

from __future__ import annotations

import importlib
import json
import secrets

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse


@pytest.fixture
def production_storages(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(60))
    monkeypatch.setenv("ALLOWED_HOSTS", "companion.example.org")
    production = importlib.import_module("companion.settings_production")
    return production.STORAGES


def test_collectstatic_with_the_production_storage_finds_every_file_a_vendored_file_names(
    production_storages, tmp_path
):
    # Bootstrap's files name their source maps; the manifest storage fails the whole deploy
    # (MissingFileError) if one is missing, and then every page is a 500.
    with override_settings(STORAGES=production_storages, STATIC_ROOT=tmp_path):
        call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    for name in ("vendor/bootstrap/bootstrap.bundle.min.js", "vendor/bootstrap/bootstrap.min.css", "css/app.css"):
        assert (tmp_path / manifest[name]).is_file(), name


@pytest.mark.django_db
def test_pages_link_the_hashed_static_files_of_the_manifest(production_storages, tmp_path, client):
    with override_settings(STORAGES=production_storages, STATIC_ROOT=tmp_path):
        call_command("collectstatic", interactive=False, verbosity=0)
        page = client.get(reverse("login"))
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    assert page.status_code == 200
    assert f'/static/{manifest["vendor/bootstrap/bootstrap.min.css"]}"' in page.content.decode()
