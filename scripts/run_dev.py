"""`make run`'s supervisor: honcho, with one address for every process and a worker that stops warm.

    .venv/bin/python scripts/run_dev.py [-f Procfile] [--env-file .env]

Issue 16, point 8. Two things went wrong when honcho was started straight from the Makefile:

- Links in e-mails and the calendar feed said port 8000 while the server listened elsewhere.
  honcho lays the `.env` file over the environment it was given, PORT included, so a `.env`
  PORT (or SITE_URL) beat the one `make run` had just computed, and the web and the worker
  could disagree. Here HOST, PORT and SITE_URL are resolved once (the environment, then
  `.env`, then the defaults; SITE_URL from HOST and PORT unless set) and given to every
  process; honcho is told to read no `.env` of its own (Django still reads it, under the
  environment, for every other setting).
- Ctrl-C killed the worker. honcho sends SIGTERM and SIGKILLs whatever is left after five
  seconds; a Celery worker's warm shutdown (finish the running task, stop the embedded beat)
  takes about that long on this machine. The wait is raised to KILL_WAIT_SECONDS; the
  Procfile `exec`s celery, so the SIGTERM reaches celery itself rather than a shell.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import honcho.manager
from honcho.command import main as honcho_main

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = "8000"
# Longer than a warm shutdown under load (about 5 s measured here, with the embedded beat).
KILL_WAIT_SECONDS = 30


def parse_dotenv(path: Path) -> dict[str, str]:
    """KEY=value lines of a `.env` file (comments, blank lines and `export ` ignored; quotes stripped)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def resolve_address(environment: Mapping[str, str], dotenv: Mapping[str, str]) -> dict[str, str]:
    """HOST, PORT and SITE_URL for every process: the environment first, then `.env`, then defaults.

    SITE_URL (the base of every link in e-mails and feeds) is the address the server listens on
    unless it is set on purpose, e.g. behind a tunnel.
    """

    def pick(name: str) -> str:
        return environment.get(name) or dotenv.get(name) or ""

    host = pick("HOST") or DEFAULT_HOST
    port = pick("PORT") or DEFAULT_PORT
    site_url = (pick("SITE_URL") or f"http://{host}:{port}").rstrip("/")
    return {"HOST": host, "PORT": port, "SITE_URL": site_url}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-f", "--procfile", default=str(BASE_DIR / "Procfile"))
    parser.add_argument("--env-file", default=str(BASE_DIR / ".env"))
    args = parser.parse_args(argv)

    address = resolve_address(os.environ, parse_dotenv(Path(args.env_file)))
    os.environ.update(address)
    print(f"  Anakinra companion: http://{address['HOST']}:{address['PORT']}/ (links in e-mails: {address['SITE_URL']})")
    sys.stdout.flush()
    honcho.manager.KILL_WAIT = KILL_WAIT_SECONDS
    # `-e /dev/null`: honcho reads no .env, so it cannot lay another PORT or SITE_URL over these.
    sys.argv = ["honcho", "start", "-f", args.procfile, "-d", str(BASE_DIR), "-e", os.devnull, "-p", address["PORT"]]
    honcho_main()


if __name__ == "__main__":
    main()
