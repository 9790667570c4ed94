"""The peers' own virtualenv (`.venv-peers`): their pinned packages must never mix with Kaira's.

Installed once, and again only when a requirements file changes (a digest of both is kept in the venv).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from bench.settings import ROOT

VENV = ROOT / ".venv-peers"
PEERS = ("seedref", "ceiling")


class PeersError(Exception):
    """The peers' folder or their environment is not usable."""


def requirements(peers_dir: Path) -> list[Path]:
    files = [peers_dir / peer / "requirements.txt" for peer in PEERS]
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise PeersError(
            f"no {missing[0].parent.name}/requirements.txt in the peers' folder {peers_dir}: "
            "set KAIRA_PEERS_DIR to the folder that holds seedref/ and ceiling/"
        )
    return files


def ensure(peers_dir: Path) -> Path:
    """Create or refresh `.venv-peers`; return its bin directory."""
    files = requirements(peers_dir)
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
    stamp = VENV / ".installed"
    bin_dir = VENV / "bin"
    if stamp.is_file() and stamp.read_text().strip() == digest and (bin_dir / "uvicorn").exists():
        return bin_dir
    if not (bin_dir / "python").exists():
        _run([sys.executable, "-m", "venv", str(VENV)], "create .venv-peers")
    _run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "--upgrade", "pip"], "upgrade pip")
    install = [str(bin_dir / "python"), "-m", "pip", "install", "-q"]
    for file in files:
        install += ["-r", str(file)]
    _run(install, "install the peers' requirements")
    stamp.write_text(digest + "\n")
    return bin_dir


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)
    if done.returncode != 0:
        raise PeersError(f"could not {what}:\n{(done.stderr or done.stdout).strip()[-2000:]}")
