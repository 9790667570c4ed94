"""`make fuzz`: the service started as users start it, fuzzed by schemathesis against its own document.

`kaira serve` on a free port and a fresh database (a temporary SQLite file, or a throwaway database on
the PostgreSQL server `FUZZ_DATABASE_URL` names), some demo data, a signed-up user's bearer token, then
schemathesis's examples, coverage, fuzzing and stateful phases with a fixed seed and a time budget. Every
failure it finds becomes a plain test in `tests/test_hostile_input.py`.

    python -m tests.fuzz.run [--seed N] [--max-time SECONDS]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx2

from kaira.config import parse_database_url
from tests.helpers_pg import KAIRA, REPO_ROOT, Server, clean_env, fresh_database, kaira_serve, plain

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
PHASES = "examples,coverage,fuzzing,stateful"
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
]
LISTS = ("/api/posts/", "/api/posts/published", "/api/users/", "/api/tags/")
FUZZER = {"username": "fuzzer", "email": "fuzzer@example.com", "password": "fuzzing all day"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=8, help="schemathesis's seed (default: 8)")
    parser.add_argument("--max-time", type=int, default=120, help="seconds for the whole run (default: 120)")
    args = parser.parse_args(argv)
    server_url = parse_database_url(os.environ.get("FUZZ_DATABASE_URL") or "sqlite://")
    database = "PostgreSQL" if server_url.get_backend_name() == "postgresql" else "SQLite"
    with (
        tempfile.TemporaryDirectory(prefix="kaira-fuzz-") as name,
        fresh_database(server_url, Path(name)) as url,
    ):
        directory = Path(name)
        # The fuzzer is one client address sending thousands of log-ins and sign-ups a minute, and its
        # auth hook must keep logging in: the abuse limits would stop both (they have tests of their own).
        env = clean_env(database_url=plain(url), environment="test", rate_limits="false")
        subprocess.run([str(KAIRA), "db", "upgrade"], env=env, cwd=directory, check=True)
        subprocess.run(
            [str(KAIRA), "seed", "--users", "20", "--posts", "100"], env=env, cwd=directory, check=True
        )
        with kaira_serve(env, directory) as server:
            server.wait_healthy()
            started = time.monotonic()
            code, output = _fuzz(server, args.seed, args.max_time)
            elapsed = time.monotonic() - started
            alive = server.process.poll() is None and server.is_healthy()
    cases = re.search(r"(\d+) generated", output)
    failures = re.search(r"(\d+) (?:unique )?failures?", output.split("Test cases:")[-1])
    print(
        f"fuzz ({database}, seed {args.seed}): {cases[1] if cases else '?'} cases, "
        f"{failures[1] if failures else 0} failures, {elapsed:.0f} s, exit {code}"
    )
    if not alive:
        print("kaira serve did not stay healthy through the run", file=sys.stderr)
        return 1
    return code


def _fuzz(server: Server, seed: int, max_time: int) -> tuple[int, str]:
    _sign_up(server.base_url)
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks",  # the bearer token (`FuzzerAccount`) and real cursors
        "FUZZ_BASE_URL": server.base_url,
        "FUZZ_PASSWORD": FUZZER["password"],
        "FUZZ_CURSORS": json.dumps(_cursors(server.base_url)),
        "PYTHONPATH": str(REPO_ROOT),
    }
    command = [
        str(SCHEMATHESIS),
        f"--config-file={Path(__file__).with_name('schemathesis.toml')}",
        "run",
        f"{server.base_url}/openapi.json",
        f"--phases={PHASES}",
        f"--checks={','.join(CHECKS)}",
        f"--seed={seed}",
        f"--max-time={max_time}",
        "--generation-database=none",
        "--no-color",
    ]
    with subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True) as run:
        assert run.stdout is not None
        output = []
        for line in run.stdout:
            print(line, end="", flush=True)
            output.append(line)
    return run.returncode, "".join(output)


def _sign_up(base_url: str) -> None:
    """The fuzzer's account; `tests.fuzz.hooks.FuzzerAccount` logs in with it for the bearer token."""
    httpx2.post(f"{base_url}/api/users/", json=FUZZER, timeout=30).raise_for_status()


def _cursors(base_url: str) -> dict[str, str]:
    """A real cursor for each list, from the `Link` of its first page of one."""
    cursors = {}
    for path in LISTS:
        link = httpx2.get(f"{base_url}{path}", params={"limit": 1}, timeout=30).headers["link"]
        cursors[path] = parse_qs(urlsplit(link[1 : link.index(">")]).query)["cursor"][0]
    return cursors


if __name__ == "__main__":
    sys.exit(main())
