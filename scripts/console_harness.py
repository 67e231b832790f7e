"""What the browser tests, the screenshots and the console bench share: a real
``fourlinks serve`` on a free loopback port over a data folder, tokens signed with that
folder's secret, and Debian's Chromium launched the way this network allows (Playwright's own
browser download cannot be reached; without the background-networking flags Chromium's
connections are refused)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("FOURLINKS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fourlinks(*args: str, data_dir: Path, check: bool = True) -> str:
    """Run the CLI on ``data_dir`` (embedded store) and return what it printed."""
    env = {**os.environ, "FOURLINKS_STORE": "embedded", "FOURLINKS_DATA_DIR": str(data_dir)}
    exe = Path(sys.executable).parent / "fourlinks"
    out = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, check=False)
    if check and out.returncode != 0:
        raise RuntimeError(f"fourlinks {' '.join(args)} failed: {out.stderr[-2000:]}")
    return out.stdout


def token(data_dir: Path, role: str, scope: str | None = None, sub: str | None = None) -> str:
    """A token signed with the data folder's secret (in process: the CLI would cost seconds a call)."""
    sys.path.insert(0, str(ROOT))
    from engine.config import Settings
    from engine.tokens import issue, secret_from

    secret = secret_from(Settings.load(data_dir=data_dir))
    return issue(role, scope, sub or f"{role}-{scope or 'x'}", secret, ttl=86400)


@dataclass
class Server:
    url: str
    data_dir: Path
    proc: subprocess.Popen

    def token(self, role: str, scope: str | None = None, sub: str | None = None) -> str:
        return token(self.data_dir, role, scope, sub)

    def login_url(self, tok: str) -> str:
        return f"{self.url}/#/login?token={tok}"


@contextlib.contextmanager
def serve(data_dir: Path, *, timeout: float = 120) -> Iterator[Server]:
    """``fourlinks serve`` on a free port until the block ends; waits for /readyz."""
    if not (ROOT / "console" / "dist" / "index.html").is_file():
        raise RuntimeError("the console is not built: run `make console`")
    port = free_port()
    env = {**os.environ, "FOURLINKS_STORE": "embedded", "FOURLINKS_DATA_DIR": str(data_dir)}
    exe = Path(sys.executable).parent / "fourlinks"
    log = open(data_dir / "serve.log", "ab")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--log-level", "warning"], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"fourlinks serve exited: {(data_dir / 'serve.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/readyz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("fourlinks serve did not become ready")
            time.sleep(0.3)
        yield Server(url, data_dir, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def launch(playwright, **kw):  # type: ignore[no-untyped-def]
    """Debian's Chromium through Playwright."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run `make chromium`")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, **kw)
