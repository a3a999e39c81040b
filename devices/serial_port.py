"""Serial ports for the devices: opened by device path or pyserial URL, failures typed.

Also the other end of a port for the simulators: a pseudo-terminal whose device side a
thread serves, so drivers under test go through the real pyserial POSIX code.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import termios
import threading
import time
import tty
from collections.abc import Callable, Iterator
from pathlib import Path

import serial

from devices.errors import DeviceTimeout, DeviceUnavailable

# What a vanished port raises. termios.error is not an OSError: pyserial lets it escape
# from tcflush/tcsetattr (reset_input_buffer, changing the baud rate) on a dead fd.
PORT_ERRORS: tuple[type[BaseException], ...] = (serial.SerialException, OSError, termios.error)

# Packages holding pyserial URL handlers of our own (`hallqsim://...`).
_HANDLER_PACKAGES = ("devices.idcard",)
for _package in _HANDLER_PACKAGES:
    if _package not in serial.protocol_handler_packages:
        serial.protocol_handler_packages.append(_package)


def open_port(
    url: str,
    *,
    baudrate: int,
    timeout: float | None = 0.5,
    write_timeout: float | None = 1.0,
    exclusive: bool = True,
) -> serial.SerialBase:
    """Open a device path (/dev/ttyUSB0, COM3) or any pyserial URL (loop://, socket://).

    exclusive: refuse a port another process holds, so a technician's `read-id` cannot
    interleave frames with the running kiosk.
    """
    try:
        return serial.serial_for_url(
            url,
            baudrate=baudrate,
            timeout=timeout,
            write_timeout=write_timeout,
            exclusive=exclusive,
        )
    except (*PORT_ERRORS, ValueError) as e:
        raise DeviceUnavailable(f"无法打开串口 {url}", f"cannot open serial port {url}: {e}") from e


@contextlib.contextmanager
def port_errors(url: str) -> Iterator[None]:
    """Map pyserial failures during I/O to the typed device errors."""
    try:
        yield
    except serial.SerialTimeoutException as e:
        raise DeviceTimeout(f"串口写入超时 {url}", f"write to {url} timed out") from e
    except PORT_ERRORS as e:
        raise DeviceUnavailable(
            f"串口通信中断 {url}（设备已拔出？）", f"serial port {url} failed (unplugged?): {e}"
        ) from e


def read_available(port: serial.SerialBase, size: int, deadline: float) -> bytes:
    """Up to `size` bytes, returning early once they are in or `deadline` (monotonic) passes."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return b""
    port.timeout = remaining
    return port.read(size)


class PtyEndpoint:
    """The device side of a pseudo-terminal, served by a thread.

    A client opens `port` with pyserial; what it writes is handed to `on_data` in the
    serving thread; `write` answers it. `unplug` makes the client's port fail the way a
    pulled USB adapter does (EIO, then the path is gone) and `replug` brings it back at
    the same `link` path, as udev's /dev/serial/by-id links do.
    """

    def __init__(self, on_data: Callable[[bytes], None], *, link: Path | None = None) -> None:
        self._on_data = on_data
        self._link = link
        self._lock = threading.Lock()
        self._master = -1
        self._slave = -1
        self._slave_name = ""
        self._wake = (-1, -1)
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def port(self) -> str:
        """What a client opens: the stable link if one was asked for, else the pty."""
        return str(self._link) if self._link else self._slave_name

    @property
    def plugged(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        if self._thread is not None:
            return
        master, slave = os.openpty()
        # Raw from the start: a client that has not yet configured the port must not get
        # echo or CR/LF translation of binary frames.
        tty.setraw(slave)
        os.set_blocking(master, False)
        wake_r, wake_w = os.pipe()
        self._master, self._slave, self._wake = master, slave, (wake_r, wake_w)
        self._slave_name = os.ttyname(slave)
        if self._link is not None:
            tmp = self._link.with_name(self._link.name + ".tmp")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            tmp.symlink_to(self._slave_name)
            os.replace(tmp, self._link)
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._serve, args=(master, wake_r), name=f"pty-sim {self.port}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Close the pty (the client sees EIO) and remove the link."""
        thread = self._thread
        if thread is None:
            return
        self._stopping.set()
        os.write(self._wake[1], b"x")
        if thread is not threading.current_thread():
            thread.join(timeout=5)
        with self._lock:
            for fd in (self._master, self._slave, *self._wake):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._master = self._slave = -1
            self._wake = (-1, -1)
            self._thread = None
        if self._link is not None:
            with contextlib.suppress(FileNotFoundError):
                self._link.unlink()

    unplug = stop

    def replug(self) -> None:
        self.stop()
        self.start()

    def sleep(self, seconds: float) -> bool:
        """Sleep in the serving thread; False when interrupted by stop()."""
        return not self._stopping.wait(seconds)

    def write(self, data: bytes, *, timeout: float = 1.0) -> None:
        """Send bytes to the client; drops what does not fit in `timeout`, like a UART would."""
        with self._lock:
            master = self._master
            view = memoryview(data)
            deadline = time.monotonic() + timeout
            while view and master >= 0:
                try:
                    view = view[os.write(master, view) :]
                except BlockingIOError:
                    left = deadline - time.monotonic()
                    if left <= 0 or not select.select([], [master], [], left)[1]:
                        return
                except OSError:
                    return

    def _serve(self, master: int, wake_r: int) -> None:
        # stop() closes every fd, after this returns: closing here would race its wake-up.
        while not self._stopping.is_set():
            ready, _, _ = select.select([master, wake_r], [], [])
            if wake_r in ready:
                return
            try:
                data = os.read(master, 4096)
            except BlockingIOError:
                continue
            except OSError as e:
                if e.errno == errno.EIO:  # no slave open; we hold one, so: closing
                    return
                raise
            if data:
                self._on_data(data)
