"""Helpers for tests that run real processes: throwaway Redis servers and Celery workers."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.2) -> bool:
    """Poll until ``predicate()`` is true; a hang guard, not a speed assertion."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


class RedisServer:
    """A private redis-server on a free loopback port that a test may stop and start."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv, loopback only
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_for(lambda: port_open(self.port), timeout=10, interval=0.05):
            raise RuntimeError("redis-server did not start")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def test_database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


test_database_url.__test__ = False  # not a test, despite the name


@contextmanager
def celery_worker(*, broker_url: str, mail_dir: Path, queues: str = "notifications,default", extra_env=None):
    """A real worker process on ``broker_url`` using the test database; yields the Popen."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk_project.settings.base",
        "DATABASE_URL": test_database_url(),
        "DB_POOL": "false",
        "REDIS_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_FILE_PATH": str(mail_dir),
        **(extra_env or {}),
    }
    env.pop("EMAIL_URL", None)
    process = subprocess.Popen(  # noqa: S603 - fixed argv
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "helpdesk_project",
            "worker",
            "-Q",
            queues,
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "warning",
            "-n",
            f"test-{os.getpid()}-{time.monotonic_ns()}@%h",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def sent_mail_files(mail_dir: Path) -> list[Path]:
    return sorted(mail_dir.glob("*.log")) if mail_dir.exists() else []


_MESSAGE_ID = re.compile(r"^Message-ID: (\S+)$", re.MULTILINE)


def sent_message_ids(mail_dir: Path) -> list[str]:
    """The Message-ID of every email the file backend wrote, one per send.

    Count these, not files: Django's file backend names a file by the second and the backend
    object's id(), so two sends in the same second whose backends share an address append to
    one file.
    """
    return [
        match for path in sent_mail_files(mail_dir) for match in _MESSAGE_ID.findall(path.read_text(errors="replace"))
    ]


class PostgresCluster:
    """A throwaway PostgreSQL cluster (initdb) on a free loopback port, run as the postgres user."""

    def __init__(self) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not bins:
            raise RuntimeError("PostgreSQL server binaries are not installed")
        self.bin = bins[-1].parent
        # Its own folder under /tmp: the postgres user cannot enter pytest's root-only tmp_path.
        self.root = Path(tempfile.mkdtemp(prefix="stockdesk-pg-"))
        self.root.chmod(0o755)
        self.dir = self.root / "pgdata"
        self.port = free_port()

    @staticmethod
    def available() -> bool:
        return bool(sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb")))

    def _run(self, *argv: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *argv], check=True, capture_output=True, timeout=120)  # noqa: S603

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/stockdesk"

    def init(self) -> PostgresCluster:
        self.dir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.dir), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "stockdesk")
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.dir), "-o", options, "-l", str(self.dir / "log"), "-w", "start"
        )

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
