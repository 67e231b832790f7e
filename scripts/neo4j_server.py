#!/usr/bin/env python3
"""Provision a throw-away, real Neo4j Community 5.26 LTS server on loopback.

The server jars come from Maven Central (no tarball, no Docker): Maven copies
the runtime dependencies of ``org.neo4j.assembly:neo4j-community-standalone``
(see ``scripts/neo4j/pom.xml``) into a cache folder outside the repository,
and the server is started with
``java -cp 'lib/*' org.neo4j.server.CommunityEntryPoint --home-dir=... --config-dir=...``.

Subcommands::

    fetch              download the server jars into the cache (idempotent)
    start              start a server, write a state file, print export lines
    stop               stop the server recorded in the state file
    run -- CMD...      fetch + start, run CMD with NEO4J_URI/USER/PASSWORD set,
                       always stop afterwards; exit with CMD's exit code.
                       If NEO4J_URI is already set, CMD is run as-is.

Cache: ``${FOURLINKS_CACHE:-${XDG_CACHE_HOME:-~/.cache}/fourlinks}``.
Standard library only, except that readiness is checked with the ``neo4j``
Python driver.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT_DIR = Path(__file__).resolve().parent
POM = SCRIPT_DIR / "neo4j" / "pom.xml"
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"
USER = "neo4j"
HOME_MARKER = ".fourlinks-neo4j-home"
KEPT_MARKER = ".kept"  # home deliberately kept (--keep-home): never swept
JVM_PID_FILE = ".jvm.pid"
HOME_PREFIX = "fourlinks-neo4j-"
FETCH_MARKER = ".fetched"

# JVM flags: heap from the brief plus the module/--add-opens flags that the
# stock neo4j.conf passes via server.jvm.additional (the bootloader normally
# adds them; we launch CommunityEntryPoint directly, so we must add them).
JVM_FLAGS = [
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
]


class ProvisionError(RuntimeError):
    """A fetch/start failure with a message meant for humans."""


def log(msg: str) -> None:
    print(f"[neo4j_server] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- paths


def cache_root() -> Path:
    env = os.environ.get("FOURLINKS_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg).expanduser() / "fourlinks"


def neo4j_version() -> str:
    """The pinned version, read from the pom (single source of truth)."""
    m = re.search(r"<neo4j\.version>([^<]+)</neo4j\.version>", POM.read_text())
    if not m:
        raise ProvisionError(f"cannot find <neo4j.version> in {POM}")
    return m.group(1).strip()


def dist_dir() -> Path:
    return cache_root() / f"neo4j-{neo4j_version()}"


def lib_dir() -> Path:
    return dist_dir() / "lib"


def default_state_path() -> Path:
    return cache_root() / "neo4j-run" / "state.json"


# --------------------------------------------------------------------------- fetch


def is_fetched() -> bool:
    marker = dist_dir() / FETCH_MARKER
    return marker.is_file() and any(lib_dir().glob("neo4j-kernel-*.jar"))


def fetch(maven_repo: str | None = None, force: bool = False) -> Path:
    """Copy the server's runtime jars into the cache (skip when present)."""
    lib = lib_dir()
    if is_fetched() and not force:
        log(f"jars already present in {lib}")
        return lib
    mvn = shutil.which("mvn")
    if not mvn:
        raise ProvisionError("`mvn` not found on PATH (needed to fetch Neo4j from Maven Central)")
    dist = dist_dir()
    dist.mkdir(parents=True, exist_ok=True)
    import fcntl  # POSIX only; serialises concurrent fetches

    with open(dist / ".lock", "w") as lockf:
        fcntl.flock(lockf, fcntl.LOCK_EX)
        if is_fetched() and not force:  # someone else fetched while we waited
            return lib
        partial = dist / "lib.partial"
        shutil.rmtree(partial, ignore_errors=True)
        cmd = [mvn, "-q", "-B", "-f", str(POM), f"-Dneo4j.lib.dir={partial}"]
        if maven_repo:
            cmd.append(f"-Dmaven.repo.local={maven_repo}")
        cmd.append("package")
        log(f"fetching Neo4j {neo4j_version()} jars: {shlex.join(cmd)}")
        t0 = time.monotonic()
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if proc.returncode != 0 or not any(partial.glob("neo4j-kernel-*.jar")):
            tail = "\n".join(proc.stdout.splitlines()[-40:])
            raise ProvisionError(f"mvn failed (exit {proc.returncode}):\n{tail}")
        (dist / FETCH_MARKER).unlink(missing_ok=True)
        shutil.rmtree(lib, ignore_errors=True)
        partial.rename(lib)
        n = len(list(lib.glob("*.jar")))
        (dist / FETCH_MARKER).write_text(
            json.dumps({"version": neo4j_version(), "jars": n, "fetched_at": time.time()}) + "\n"
        )
        log(f"fetched {n} jars into {lib} in {time.monotonic() - t0:.1f}s")
    return lib


# --------------------------------------------------------------------------- start


def java_bin() -> str:
    jh = os.environ.get("JAVA_HOME")
    if jh and (Path(jh) / "bin" / "java").is_file():
        return str(Path(jh) / "bin" / "java")
    j = shutil.which("java")
    if not j:
        raise ProvisionError("`java` not found (Neo4j 5.26 needs Java 17 or 21)")
    return j


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gen_password() -> str:
    alphabet = string.ascii_letters + string.digits  # never starts with '-'
    return "".join(secrets.choice(alphabet) for _ in range(24))


def write_conf(home: Path, port: int, pagecache: str) -> Path:
    conf_dir = home / "conf"
    conf_dir.mkdir(parents=True, exist_ok=True)
    d = {name: home / name for name in ("data", "logs", "run", "plugins", "import", "licenses")}
    for p in d.values():
        p.mkdir(exist_ok=True)
    lines = [
        "# generated by scripts/neo4j_server.py",
        "server.default_listen_address=127.0.0.1",
        "server.default_advertised_address=127.0.0.1",
        "server.bolt.enabled=true",
        f"server.bolt.listen_address=127.0.0.1:{port}",
        f"server.bolt.advertised_address=127.0.0.1:{port}",
        "server.http.enabled=false",
        "server.https.enabled=false",
        "dbms.security.auth_enabled=true",
        f"server.memory.pagecache.size={pagecache}",
        "dbms.usage_report.enabled=false",
        "server.directories.data=" + str(d["data"]),
        "server.directories.logs=" + str(d["logs"]),
        "server.directories.run=" + str(d["run"]),
        "server.directories.plugins=" + str(d["plugins"]),
        "server.directories.import=" + str(d["import"]),
        "server.directories.licenses=" + str(d["licenses"]),
        "db.tx_log.rotation.retention_policy=1 files",
        "db.tx_log.preallocate=false",  # else ~250 MB of zeroed tx logs per database
        # Throw-away server: don't let Bolt wait 2 x 5 s for idle pools on shutdown.
        "internal.server.bolt.thread_pool_shutdown_wait_time=0s",
        "internal.server.bolt.connection_shutdown_wait_time=0s",
    ]
    conf = conf_dir / "neo4j.conf"
    conf.write_text("\n".join(lines) + "\n")
    return conf_dir


def log_tail(home: Path, n: int = 40) -> str:
    out = []
    for name in ("console.log", "neo4j.log", "debug.log"):
        p = home / "logs" / name
        if p.is_file():
            lines = p.read_text(errors="replace").splitlines()
            if name == "debug.log":
                lines = [ln for ln in lines if " ERROR " in ln or " WARN " in ln or "Exception" in ln]
            if lines:
                out.append(f"----- {p} (last {min(n, len(lines))} lines) -----")
                out.extend(lines[-n:])
    return "\n".join(out) if out else f"(no logs found under {home / 'logs'})"


def _pdeathsig() -> None:  # runs in the child before exec (Linux only)
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG: JVM gets SIGTERM if we die
    except Exception:
        pass


def write_auth_file(home: Path, password: str) -> None:
    """Write data/dbms/auth.ini exactly like `neo4j-admin dbms set-initial-password`.

    Format ``user:SHA-256,<hex hash>,<hex salt>,1024:`` where the hash is Shiro's
    SimpleHash: sha256(salt + password), then re-hashed 1023 more times.
    (Verified byte-for-byte against the file neo4j-admin 5.26 writes.)
    """
    salt = secrets.token_bytes(32)
    h = hashlib.sha256(salt + password.encode("utf-8")).digest()
    for _ in range(1023):
        h = hashlib.sha256(h).digest()
    auth = home / "data" / "dbms" / "auth.ini"
    auth.parent.mkdir(parents=True, exist_ok=True)
    auth.write_text(f"{USER}:SHA-256,{h.hex()},{salt.hex()},1024:\n")


def set_initial_password(java: str, lib: Path, home: Path, conf_dir: Path, password: str) -> None:
    """Same as write_auth_file, via the real neo4j-admin (org.neo4j.cli.AdminTool); ~1.5 s slower."""
    env = dict(os.environ, NEO4J_HOME=str(home), NEO4J_CONF=str(conf_dir))
    cmd = [java, "-Xmx256m", "-cp", f"{lib}/*", ADMIN_TOOL, "dbms", "set-initial-password", password]
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0 or not (home / "data" / "dbms" / "auth.ini").is_file():
        out = proc.stdout.replace(password, "***")
        raise ProvisionError(f"neo4j-admin dbms set-initial-password failed (exit {proc.returncode}):\n{out}")


def wait_ready(uri: str, password: str, proc: subprocess.Popen, home: Path, timeout: float) -> None:
    try:
        from neo4j import GraphDatabase
    except ImportError as e:  # pragma: no cover
        raise ProvisionError("the `neo4j` Python driver is required (use .venv/bin/python)") from e
    import logging

    logging.getLogger("neo4j").setLevel(logging.CRITICAL)
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ProvisionError(f"Neo4j JVM exited early with code {proc.returncode}\n{log_tail(home)}")
        try:
            with GraphDatabase.driver(uri, auth=(USER, password), connection_timeout=2) as drv:
                drv.verify_connectivity()
                drv.execute_query("RETURN 1")  # default database online, not just Bolt
            return
        except Exception as e:  # any failure means "not yet"
            last = e
            time.sleep(0.25)
    raise ProvisionError(f"Neo4j not ready after {timeout:.0f}s (last error: {last!r})\n{log_tail(home)}")


def launch(java: str, lib: Path, home: Path, conf_dir: Path, heap_max: str, die_with_parent: bool
           ) -> subprocess.Popen:
    """Start the JVM on ``home`` (its config, data and logs); record its pid in the home."""
    cmd = [
        java,
        "-Xms256m",
        f"-Xmx{heap_max}",
        *JVM_FLAGS,
        "-cp",
        f"{lib}/*",
        ENTRY_POINT,
        f"--home-dir={home}",
        f"--config-dir={conf_dir}",
    ]
    env = dict(os.environ, NEO4J_HOME=str(home), NEO4J_CONF=str(conf_dir))
    with open(home / "logs" / "console.log", "ab") as console:
        proc = subprocess.Popen(
            cmd,
            cwd=home,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in the terminal does not hit the JVM directly
            preexec_fn=_pdeathsig if die_with_parent else None,
        )
    (home / JVM_PID_FILE).write_text(f"{proc.pid}\n")
    return proc


def restart(state: dict, timeout: float = 120.0, heap_max: str = "1g", die_with_parent: bool = False) -> dict:
    """Start the server of ``state`` again on the same home (data, port, password), e.g. after
    its JVM was killed: what a crash and a restart of a real deployment look like. Returns
    the state with the new pid."""
    home = Path(state["home"])
    if _pid_is_ours(state.get("pid"), home):
        raise ProvisionError(f"the server of {home} is still running (pid {state['pid']})")
    proc = launch(java_bin(), lib_dir(), home, home / "conf", heap_max, die_with_parent)
    try:
        wait_ready(state["uri"], state["password"], proc, home, timeout)
    except BaseException:
        _terminate(proc.pid)
        raise
    return {**state, "pid": proc.pid, "started_at": time.time()}


def start(
    state_path: Path | None,
    timeout: float = 120.0,
    heap_max: str = "1g",
    pagecache: str = "256m",
    die_with_parent: bool = False,
    use_admin_tool: bool = False,
) -> dict:
    """Start a fresh server; return its state dict (also written to state_path)."""
    if state_path and state_path.exists():
        old = _read_state(state_path)
        if old and _pid_is_ours(old.get("pid"), old.get("home")):
            raise ProvisionError(f"a server from {state_path} is still running (pid {old['pid']}); run `stop` first")
        state_path.unlink()
    lib = fetch()
    java = java_bin()
    sweep_stale_homes()
    home = Path(tempfile.mkdtemp(prefix=HOME_PREFIX))
    (home / HOME_MARKER).write_text("")
    t0 = time.monotonic()
    proc = None
    try:
        port = free_port()
        password = gen_password()
        conf_dir = write_conf(home, port, pagecache)
        if use_admin_tool:
            set_initial_password(java, lib, home, conf_dir, password)
        else:
            write_auth_file(home, password)
        proc = launch(java, lib, home, conf_dir, heap_max, die_with_parent)
        uri = f"bolt://127.0.0.1:{port}"
        wait_ready(uri, password, proc, home, timeout)
    except ProvisionError:
        _discard_failed(proc, home)
        raise
    except Exception as e:
        tail = _discard_failed(proc, home)
        raise ProvisionError(f"start failed: {e!r}\n{tail}") from e
    except BaseException:  # Ctrl-C / SIGTERM while starting
        _discard_failed(proc, home)
        raise
    state = {
        "uri": uri,
        "user": USER,
        "password": password,
        "pid": proc.pid,
        "home": str(home),
        "port": port,
        "version": neo4j_version(),
        "logs": str(home / "logs"),
        "started_at": time.time(),
    }
    if state_path:
        state_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(state_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(state, f, indent=2)
    log(f"Neo4j {state['version']} ready on {uri} (pid {proc.pid}) in {time.monotonic() - t0:.1f}s")
    return state


def _discard_failed(proc: subprocess.Popen | None, home: Path) -> str:
    """Kill a half-started JVM, return its log tail, remove (or keep) its home."""
    if proc is not None:
        _terminate(proc.pid)
    tail = log_tail(home)
    if os.environ.get("FOURLINKS_NEO4J_KEEP_HOME"):
        (home / KEPT_MARKER).write_text("")
        log(f"keeping {home} for inspection")
    else:
        shutil.rmtree(home, ignore_errors=True)
        log(f"removed {home} (set FOURLINKS_NEO4J_KEEP_HOME=1 to keep it)")
    return tail


def export_lines(state: dict) -> str:
    return "\n".join(
        f"export {k}={shlex.quote(v)}"
        for k, v in (("NEO4J_URI", state["uri"]), ("NEO4J_USER", state["user"]), ("NEO4J_PASSWORD", state["password"]))
    )


# --------------------------------------------------------------------------- stop


def _read_state(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _pid_is_ours(pid, home: str | Path | None = None) -> bool:
    """True when pid is alive and is a Neo4j CommunityEntryPoint JVM (for `home`, if given)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        if Path("/proc/self/cmdline").exists():
            return False  # Linux and the pid is gone
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True  # no /proc: trust the state file
    if ENTRY_POINT.encode() not in cmdline:
        return False
    return home is None or f"--home-dir={home}".encode() in cmdline


def _home_in_use(home: Path) -> bool:
    """True if any live process mentions `home` on its command line (or if we cannot tell)."""
    proc_dir = Path("/proc")
    if not (proc_dir / "self" / "cmdline").exists():
        return True  # no /proc: never sweep
    needle = str(home).encode()
    for d in proc_dir.iterdir():
        if not d.name.isdigit():
            continue
        try:
            if needle in (d / "cmdline").read_bytes():
                return True
        except OSError:
            continue
    return False


def sweep_stale_homes(min_age: float = 600.0) -> None:
    """Remove temp homes left behind by a killed `run` (its JVM dies via PDEATHSIG).

    Only touches folders we created (marker file), older than `min_age`, not
    marked as kept, and referenced by no live process (every JVM we start has
    ``--home-dir=<home>`` on its command line).
    """
    for home in Path(tempfile.gettempdir()).glob(HOME_PREFIX + "*"):
        try:
            marker = home / HOME_MARKER
            if not marker.is_file() or (home / KEPT_MARKER).exists():
                continue
            if time.time() - marker.stat().st_mtime < min_age:
                continue
            pid_file = home / JVM_PID_FILE
            if not pid_file.is_file():
                continue  # never launched, or launched by an older version of this script
            pid = int(pid_file.read_text().strip())
            if _pid_is_ours(pid, home) or _home_in_use(home):
                continue
            shutil.rmtree(home, ignore_errors=True)
            log(f"removed stale temp home {home}")
        except (OSError, ValueError):
            continue


def _terminate(pid: int, grace: float = 30.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)  # reap if it is our child
            if done == pid:
                return
        except ChildProcessError:
            pass
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    log(f"pid {pid} did not exit within {grace:.0f}s, sending SIGKILL")
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def stop_state(state: dict, keep_home: bool = False) -> None:
    pid = state.get("pid")
    if _pid_is_ours(pid, state.get("home")):
        _terminate(pid)
        log(f"stopped Neo4j pid {pid}")
    else:
        log(f"no running Neo4j with pid {pid}")
    home = Path(state.get("home", ""))
    if home.is_dir() and (home / HOME_MARKER).exists():
        if keep_home:
            (home / KEPT_MARKER).write_text("")
            log(f"kept {home} (logs in {home / 'logs'})")
        else:
            shutil.rmtree(home, ignore_errors=True)


def stop(state_path: Path, keep_home: bool = False) -> int:
    state = _read_state(state_path)
    if state is None:
        log(f"no state file at {state_path}; nothing to stop")
        return 0
    stop_state(state, keep_home)
    state_path.unlink(missing_ok=True)
    return 0


# --------------------------------------------------------------------------- run


class _Terminated(BaseException):  # BaseException: start() must not wrap it
    pass


def run(cmd: list[str], state_path: Path | None, keep_home: bool, **start_kw) -> int:
    if not cmd:
        raise ProvisionError("run: no command given (usage: run -- CMD ...)")
    if os.environ.get("NEO4J_URI"):
        log(f"NEO4J_URI already set ({os.environ['NEO4J_URI']}); not provisioning")
        return _exit_code(subprocess.run(cmd).returncode)

    def on_term(signum, frame):
        raise _Terminated(signum)

    old = signal.signal(signal.SIGTERM, on_term)
    state = None
    child = None
    try:
        state = start(state_path, die_with_parent=True, **start_kw)
        env = dict(os.environ, NEO4J_URI=state["uri"], NEO4J_USER=state["user"], NEO4J_PASSWORD=state["password"])
        child = subprocess.Popen(cmd, env=env)
        while True:
            try:
                return _exit_code(child.wait())
            except KeyboardInterrupt:
                # the child got SIGINT from the terminal too; let it finish
                log("interrupted; waiting for command to exit")
                try:
                    return _exit_code(child.wait(timeout=15))
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
                    return 130
    except _Terminated:
        if child and child.poll() is None:
            child.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=15)
        return 143
    except KeyboardInterrupt:
        return 130
    finally:
        signal.signal(signal.SIGTERM, old)
        if state is not None:
            stop_state(state, keep_home)
            if state_path:
                state_path.unlink(missing_ok=True)


def _exit_code(rc: int) -> int:
    return 128 - rc if rc < 0 else rc  # killed by signal N -> 128+N


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("fetch", help="download the Neo4j server jars into the cache")
    p.add_argument("--force", action="store_true", help="re-run mvn even if jars are present")
    p.add_argument("--maven-repo", help="local Maven repository (default: ~/.m2/repository)")

    def start_opts(p):
        p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for Bolt (default 120)")
        p.add_argument("--heap-max", default="1g", help="JVM -Xmx (default 1g; -Xms is 256m)")
        p.add_argument("--pagecache", default="256m", help="server.memory.pagecache.size (default 256m)")
        p.add_argument(
            "--use-admin-tool",
            action="store_true",
            help="set the initial password with neo4j-admin (AdminTool) instead of writing auth.ini directly",
        )

    p = sub.add_parser("start", help="start a server in the background and print export lines")
    p.add_argument("--state", type=Path, default=None, help=f"state file (default {default_state_path()})")
    start_opts(p)

    p = sub.add_parser("stop", help="stop the server recorded in the state file")
    p.add_argument("--state", type=Path, default=None)
    p.add_argument("--keep-home", action="store_true", help="keep the temp home (data + logs)")

    p = sub.add_parser("run", help="fetch+start, run CMD with NEO4J_* set, stop")
    p.add_argument("--state", type=Path, default=None, help="also write the state file here while running")
    p.add_argument("--keep-home", action="store_true", help="keep the temp home (data + logs)")
    start_opts(p)
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD ARGS...")

    a = ap.parse_args(argv)
    try:
        if a.cmd == "fetch":
            fetch(maven_repo=a.maven_repo, force=a.force)
            print(lib_dir())
            return 0
        if a.cmd == "start":
            st = start(
                a.state or default_state_path(), a.timeout, a.heap_max, a.pagecache, use_admin_tool=a.use_admin_tool
            )
            print(export_lines(st))
            return 0
        if a.cmd == "stop":
            return stop(a.state or default_state_path(), a.keep_home)
        if a.cmd == "run":
            cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
            return run(
                cmd,
                a.state,
                a.keep_home,
                timeout=a.timeout,
                heap_max=a.heap_max,
                pagecache=a.pagecache,
                use_admin_tool=a.use_admin_tool,
            )
    except ProvisionError as e:
        print(f"neo4j_server: ERROR: {e}", file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
