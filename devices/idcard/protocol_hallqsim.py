"""pyserial URL handler for `hallqsim://idcard?card=zhang`: a simulated reader per open.

Opening the URL starts a SamSimulator on a private pty and opens that pty with the POSIX
port class, so everything past the URL is the same code path as a real /dev/ttyUSB0.
Closing the port stops the simulator. Query: card=<demo name>|none (default zhang),
halt=0|1 (does a read card stop answering *find*, default 1).
Registered by devices.serial_port (pyserial looks up `<package>.protocol_<scheme>`).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from serial import SerialException
from serial.serialposix import Serial as PosixSerial

from devices.idcard.demo import DEMO_CARDS
from devices.idcard.simulator import SamSimulator


class Serial(PosixSerial):
    simulator: SamSimulator | None = None

    def open(self) -> None:
        url = str(self._port)
        parts = urlsplit(url)
        if parts.netloc != "idcard":
            raise SerialException(f"hallqsim: only hallqsim://idcard is known, not {url!r}")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = set(query) - {"card", "halt"}
        if unknown:
            raise SerialException(f"hallqsim: unknown option(s) {sorted(unknown)} in {url!r}")
        name = query.get("card", "zhang")
        if name != "none" and name not in DEMO_CARDS:
            raise SerialException(f"hallqsim: no demo card {name!r}; have {sorted(DEMO_CARDS)}")
        card = None if name == "none" else DEMO_CARDS[name]
        self.simulator = SamSimulator(card, halt_after_read=query.get("halt", "1") != "0").start()
        self.portstr = self.simulator.port
        try:
            super().open()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        super().close()
        if self.simulator is not None:
            self.simulator.close()
            self.simulator = None
