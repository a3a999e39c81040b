"""Server settings in one place: command-line options over HALLQ_* variables over defaults."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LAYOUT = REPO_ROOT / "layouts" / "hengyang.toml"
DEFAULT_CATALOGUE = REPO_ROOT / "layouts" / "catalogue.toml"


@dataclass(frozen=True)
class Settings:
    layout_path: Path = DEFAULT_LAYOUT
    catalogue_path: Path | None = DEFAULT_CATALOGUE  # None: a hall without a catalogue
    data_dir: Path = Path("var")
    db_url: str | None = None  # None: SQLite in data_dir
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 64 * 1024  # no request of the API needs more
    client_queue_size: int = 512  # events a display may fall behind before it is dropped
    turnover_check_seconds: float = 20.0
    # The key QR slips are signed with, shared with whatever prints them (the booking
    # system, the back office); only the server holds it. None: slips are refused.
    slip_key: str | None = None
    # The address applicants' phones reach the server at, for the follow links printed on
    # tickets ("https://hall.example"); empty: links are given as paths ("/t/…").
    public_url: str = ""
    # Every connection has a deadline (queue_server/connections.py): a request's head, and
    # each gap in its body, within header_timeout; a keep-alive connection idle for
    # idle_timeout is closed; a display that has not taken an event for ws_send_timeout
    # is dropped (it reconnects); shutdown cancels what still runs after shutdown_timeout.
    header_timeout: float = 10.0
    idle_timeout: float = 5.0
    ws_send_timeout: float = 10.0
    shutdown_timeout: float = 5.0
    max_header_bytes: int = 16 * 1024  # request line and headers together
    max_headers: int = 100
    ws_max_backlog: int = 1024 * 1024  # bytes a display has not taken before it is dropped
    log_level: str = "INFO"  # DEBUG | INFO | WARNING | ERROR
    log_format: str = "text"  # text | json: one line per record either way
    # How long after issuing a kiosk may still see and act on its own ticket (take back
    # one nobody received); after that only staff reach it. See domain/scope.py.
    kiosk_ticket_minutes: float = 10.0
    # How strong the proof for the archive and a person's cases at a kiosk is:
    # card (the card's data the registry holds), sms (a one-time code to the phone the
    # registry holds) or card+sms. See queue_server/cases/evidence.py.
    lookup_proof: str = "card"

    @property
    def database_url(self) -> str:
        return self.db_url or f"sqlite:///{self.data_dir / 'hallq.db'}"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env: dict[str, object] = {}
        if v := os.environ.get("HALLQ_LAYOUT"):
            env["layout_path"] = Path(v)
        if v := os.environ.get("HALLQ_CATALOGUE"):
            env["catalogue_path"] = Path(v)
        if v := os.environ.get("HALLQ_DATA"):
            env["data_dir"] = Path(v)
        if v := os.environ.get("HALLQ_DB"):
            env["db_url"] = v
        if v := os.environ.get("HALLQ_SLIP_KEY"):
            env["slip_key"] = v
        if v := os.environ.get("HALLQ_PUBLIC_URL"):
            env["public_url"] = v.rstrip("/")
        for name, key in (("HALLQ_HEADER_TIMEOUT", "header_timeout"),
                          ("HALLQ_IDLE_TIMEOUT", "idle_timeout"),
                          ("HALLQ_WS_SEND_TIMEOUT", "ws_send_timeout"),
                          ("HALLQ_SHUTDOWN_TIMEOUT", "shutdown_timeout")):
            if v := os.environ.get(name):
                env[key] = float(v)
        if v := os.environ.get("HALLQ_WS_MAX_BACKLOG"):
            env["ws_max_backlog"] = int(v)
        if v := os.environ.get("HALLQ_LOG_LEVEL"):
            env["log_level"] = v.upper()
        if v := os.environ.get("HALLQ_LOG_FORMAT"):
            env["log_format"] = v.lower()
        if v := os.environ.get("HALLQ_KIOSK_TICKET_MINUTES"):
            env["kiosk_ticket_minutes"] = _minutes("HALLQ_KIOSK_TICKET_MINUTES", v)
        if v := os.environ.get("HALLQ_LOOKUP_PROOF"):
            env["lookup_proof"] = v.strip().lower()
        env.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**env)  # type: ignore[arg-type]


def _minutes(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 24 * 60:
        raise SystemExit(f"{name} 应为 1–1440 之间的分钟数 / must be minutes between 1 and "
                         f"1440, not {raw!r}")
    return value


def load_secret(data_dir: Path) -> bytes:
    """The key of the ID-number hashes: HALLQ_SECRET, else a key file made once in data_dir.

    It is kept apart from the database so a copied database alone cannot be matched
    against guessed ID numbers.
    """
    if v := os.environ.get("HALLQ_SECRET"):
        return v.encode("utf-8")
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip().encode("utf-8")
