"""Server settings in one place: command-line options over HALLQ_* variables over defaults.

The variables themselves are read and checked by `hallenv.HallqEnv`, the product's one
settings object; this is the server's view of them, with its paths resolved.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hallenv import HallqEnv

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LAYOUT = REPO_ROOT / "layouts" / "hengyang.toml"
DEFAULT_CATALOGUE = REPO_ROOT / "layouts" / "catalogue.toml"


@dataclass(frozen=True)
class Settings:
    layout_path: Path = DEFAULT_LAYOUT
    catalogue_path: Path | None = DEFAULT_CATALOGUE  # None: a hall without a catalogue
    data_dir: Path = Path("var")
    db_url: str | None = None  # None: SQLite in data_dir
    # The city centre's PostgreSQL (`hallq centre …`; HALLQ_CENTRE_DB).
    centre_db_url: str | None = None
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
    # Phones following their tickets live at once; past it a phone is told to poll
    # (docs/performance.md, "Live updates", measures what one server takes).
    live_max_phones: int = 1000
    log_level: str = "INFO"  # DEBUG | INFO | WARNING | ERROR
    log_format: str = "text"  # text | json: one line per record either way
    # How long after issuing a kiosk may still see and act on its own ticket (take back
    # one nobody received); after that only staff reach it. See domain/scope.py.
    kiosk_ticket_minutes: float = 10.0
    # How strong the proof for the archive and a person's cases at a kiosk is:
    # card (the card's data the registry holds), sms (a one-time code to the phone the
    # registry holds) or card+sms. See queue_server/evidence.py.
    lookup_proof: str = "card"
    # The windows' printers for 不予受理告知单 (HALLQ_PRINTERS): a TOML file whose
    # `[window.N]` tables are printer sections as in devices/example.toml. None: windows
    # print the notice's A4 page from the browser instead.
    printers_path: Path | None = None

    @property
    def database_url(self) -> str:
        return self.db_url or f"sqlite:///{self.data_dir / 'hallq.db'}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Command-line `overrides` (None: not given) over the HALLQ_* variables (hallenv)."""
        e = HallqEnv.read(env)
        values: dict[str, object] = {
            "layout_path": e.layout, "catalogue_path": e.catalogue, "data_dir": e.data,
            "db_url": e.db, "centre_db_url": e.centre_db, "host": e.host, "port": e.port, "slip_key": e.slip_key, "public_url": e.public_url,
            "header_timeout": e.header_timeout, "idle_timeout": e.idle_timeout,
            "ws_send_timeout": e.ws_send_timeout, "shutdown_timeout": e.shutdown_timeout,
            "ws_max_backlog": e.ws_max_backlog, "live_max_phones": e.live_max_phones,
            "log_level": e.log_level,
            "log_format": e.log_format, "kiosk_ticket_minutes": e.kiosk_ticket_minutes,
            "lookup_proof": e.lookup_proof, "printers_path": e.printers}
        # An option not given (None) leaves its variable's value, not the default.
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**{k: v for k, v in values.items() if v is not None})  # type: ignore[arg-type]


def load_secret(data_dir: Path) -> bytes:
    """The key of the ID-number hashes: HALLQ_SECRET, else a key file made once in data_dir.

    It is kept apart from the database so a copied database alone cannot be matched
    against guessed ID numbers.
    """
    if v := HallqEnv.read().secret:
        return v.encode("utf-8")
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip().encode("utf-8")
