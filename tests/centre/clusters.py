"""Real PostgreSQL clusters for the centre's tests: initdb, pg_ctl, removed afterwards.

Run as the `postgres` user when the tests run as root (PostgreSQL refuses root); as
whoever runs them otherwise (CI).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def server_bin() -> Path | None:
    """The newest installed server's bin directory, or None when there is none."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """One PostgreSQL server with wal_level=logical on a free port, trust auth on 127.0.0.1."""

    def __init__(self, name: str, bin_dir: Path, *, durable: bool = False) -> None:
        # Tests trade durability for speed; a benchmark runs as a hall would (durable).
        self.durable = durable
        self.name = name
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix=f"hallq-pg-{name}-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self.user = "postgres" if self.as_postgres else os.environ.get("USER", "postgres")

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=60)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", self.user, "--auth=trust",
                  "-E", "UTF8", "--no-sync")
        with open(self.data / "postgresql.conf", "a") as f:
            f.write(f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                    f"unix_socket_directories = '{self.root}'\nwal_level = logical\n"
                    "shared_buffers = 16MB\nmax_connections = 40\n"
                    "wal_receiver_status_interval = 1s\nwal_retrieve_retry_interval = 500ms\n"
                    # A first copy syncs each published table in its own worker; with the
                    # defaults (4 workers, 2 of them the halls' apply workers) two halls'
                    # 28 tables queue behind two sync workers, which a loaded machine
                    # stretched past the tests' deadlines.
                    "max_logical_replication_workers = 10\nmax_worker_processes = 16\n"
                    "max_sync_workers_per_subscription = 4\n")
            if not self.durable:
                f.write("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w",
                  "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop",
                  check=False)

    def create_db(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, name)
        return self.url(name)

    def url(self, db: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{db}"

    def remove(self) -> None:
        self.stop("immediate")
        if not os.environ.get("HALLQ_KEEP_PG"):  # kept to read the servers' logs
            shutil.rmtree(self.root, ignore_errors=True)
