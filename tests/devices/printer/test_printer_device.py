"""TicketPrinter over real transports (pty serial, TCP 9100, file, /dev/full) and the sim:
status is read before printing and every failure raises a typed error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devices.errors import DeviceError
from devices.health import HealthState
from devices.printer import PaperOut, PrinterConfigError, PrinterOffline, TicketPrint, from_config
from tests.devices.printer.printer_sim import TcpPrinter, pty_printer


def test_sim_prints_the_rendered_job_and_keeps_a_preview(ticket: TicketPrint) -> None:
    printer = from_config({"driver": "sim"})
    printer.print_ticket(ticket)
    assert printer.transport.jobs == [printer.ticket_bytes(ticket)]
    assert printer.last_preview_png is not None and printer.last_preview_png.startswith(b"\x89PNG")
    assert printer.health().state is HealthState.OK


def test_sim_prints_a_materials_slip(materials) -> None:
    printer = from_config({"driver": "sim", "profile": "POS-5890"})
    printer.print_materials(materials)
    (job,) = printer.transport.jobs
    assert "一次性告知单".encode("gbk") in job and "契税完税凭证".encode("gbk") in job
    assert printer.last_preview_png is not None


def test_paper_out_raises_and_prints_nothing(ticket: TicketPrint) -> None:
    printer = from_config({"driver": "sim", "paper": "out"})
    with pytest.raises(PaperOut) as err:
        printer.print_ticket(ticket)
    assert str(err.value).startswith("打印机缺纸")
    assert printer.transport.jobs == []
    health = printer.health()
    assert health.state is HealthState.FAILED and "缺纸" in health.reason


def test_offline_printer_raises(ticket: TicketPrint) -> None:
    printer = from_config({"driver": "sim", "online": False})
    with pytest.raises(PrinterOffline):
        printer.print_ticket(ticket)
    assert printer.transport.jobs == []
    assert printer.health().state is HealthState.FAILED


def test_unreachable_printer_raises_then_recovers(ticket: TicketPrint) -> None:
    printer = from_config({"driver": "sim"})
    printer.transport.reachable = False
    with pytest.raises(PrinterOffline):
        printer.print_ticket(ticket)
    printer.transport.reachable = True
    printer.print_ticket(ticket)
    assert len(printer.transport.jobs) == 1


def test_paper_low_still_prints_and_degrades_health(ticket: TicketPrint) -> None:
    printer = from_config({"driver": "sim", "paper": "low"})
    printer.print_ticket(ticket)
    assert len(printer.transport.jobs) == 1
    health = printer.health()
    assert health.state is HealthState.DEGRADED and "即将用完" in health.reason


def test_errors_are_device_errors_with_chinese_first(ticket: TicketPrint) -> None:
    assert issubclass(PaperOut, DeviceError) and issubclass(PrinterOffline, DeviceError)
    err = PaperOut("打印机缺纸", "printer is out of paper")
    assert str(err) == "打印机缺纸 / printer is out of paper"


def test_serial_printer_over_a_pty_reads_status_then_prints(ticket: TicketPrint) -> None:
    end, path, slave = pty_printer()
    try:
        printer = from_config({"driver": "serial", "port": path, "baud": 115200, "timeout": 0.5})
        printer.print_ticket(ticket)
        expected = printer.ticket_bytes(ticket)
        for _ in range(100):
            if len(end.received) >= len(expected):
                break
            end._stop.wait(0.02)
        assert bytes(end.received) == expected
        assert printer.health().state is HealthState.OK
        printer.close()
    finally:
        end.stop()
        os.close(slave)


def test_serial_printer_that_never_answers_status_is_offline(ticket: TicketPrint) -> None:
    end, path, slave = pty_printer(answer=False)
    try:
        printer = from_config({"driver": "serial", "port": path, "timeout": 0.2})
        with pytest.raises(PrinterOffline):
            printer.print_ticket(ticket)
        assert bytes(end.received) == b""  # nothing but the status queries was sent
        printer.close()
    finally:
        end.stop()
        os.close(slave)


def test_network_printer_prints_and_reports_paper_out(ticket: TicketPrint) -> None:
    server = TcpPrinter()
    try:
        printer = from_config(
            {"driver": "network", "host": "127.0.0.1", "port": server.port, "timeout": 1}
        )
        printer.print_ticket(ticket)
        expected = printer.ticket_bytes(ticket)
        for _ in range(100):
            if len(server.received) >= len(expected):
                break
            server.ends[0]._stop.wait(0.02)
        assert server.received == expected
        server.ends[0].paper = b"\x72"
        with pytest.raises(PaperOut):
            printer.print_ticket(ticket)
        printer.close()
    finally:
        server.close()


def test_network_printer_that_was_power_cycled_prints_on_a_new_connection(
    ticket: TicketPrint,
) -> None:
    server = TcpPrinter()
    try:
        printer = from_config(
            {"driver": "network", "host": "127.0.0.1", "port": server.port, "timeout": 1}
        )
        printer.print_ticket(ticket)
        job = printer.ticket_bytes(ticket)
        for _ in range(100):
            if len(server.received) >= len(job):
                break
            server.ends[0]._stop.wait(0.02)
        for conn in server.conns:  # the printer restarts: its end of the link is gone
            conn.close()
        printer.print_ticket(ticket)
        for _ in range(100):
            if len(server.received) >= 2 * len(job):
                break
            server.ends[0]._stop.wait(0.02)
        assert len(server.ends) == 2
        assert server.received == job + job
        printer.close()
    finally:
        server.close()


def test_network_printer_switched_off_is_offline(ticket: TicketPrint) -> None:
    server = TcpPrinter()
    port = server.port
    server.close()  # nothing listens on the port any more
    printer = from_config({"driver": "network", "host": "127.0.0.1", "port": port, "timeout": 0.5})
    with pytest.raises(PrinterOffline) as err:
        printer.print_ticket(ticket)
    assert f"127.0.0.1:{port}" in str(err.value)
    assert printer.health().state is HealthState.FAILED


def test_file_printer_writes_the_job(ticket: TicketPrint, tmp_path: Path) -> None:
    path = tmp_path / "lp0"
    printer = from_config({"driver": "file", "path": str(path)})
    printer.print_ticket(ticket)
    printer.close()
    assert path.read_bytes() == printer.ticket_bytes(ticket)


def test_file_printer_write_failing_with_enospc_is_paper_out(ticket: TicketPrint) -> None:
    # usblp answers writes with ENOSPC when the printer is out of paper; /dev/full does too.
    printer = from_config({"driver": "file", "path": "/dev/full"})
    with pytest.raises(PaperOut):
        printer.print_ticket(ticket)
    assert printer.health().state is HealthState.FAILED


def test_usb_printer_that_cannot_be_found_is_offline(ticket: TicketPrint) -> None:
    printer = from_config({"driver": "usb", "vendor_id": "0x0416", "product_id": "0x5011"})
    with pytest.raises(PrinterOffline, match="usb 0416:5011"):
        printer.print_ticket(ticket)


@pytest.mark.parametrize(
    ("section", "fragment"),
    [
        ({"driver": "laser"}, "driver must be one of"),
        ({}, "driver must be one of"),
        ({"driver": "sim", "colour": "red"}, "unknown option"),
        ({"driver": "sim", "encoding": "utf-8"}, "encoding must be one of"),
        ({"driver": "sim", "profile": "NO-SUCH"}, "unknown python-escpos profile"),
        ({"driver": "sim", "paper_mm": 76}, "paper_mm must be 58 or 80"),
        ({"driver": "sim", "timezone": "Mars/Base"}, "unknown timezone"),
        ({"driver": "sim", "qr": "laser"}, "qr must be"),
        ({"driver": "network"}, "host is required"),
        ({"driver": "serial"}, "port is required"),
        ({"driver": "usb", "vendor_id": "zz", "product_id": 1}, "vendor_id must be an integer"),
        ({"driver": "file"}, "path is required"),
        ({"driver": "sim", "paper": "half"}, "paper must be"),
    ],
)
def test_bad_config_raises_a_clear_error(section: dict, fragment: str) -> None:
    with pytest.raises(PrinterConfigError) as err:
        from_config(section)
    assert str(err.value).startswith("设备配置错误 键 printer：")
    assert fragment in str(err.value)


def test_profile_sets_paper_width_and_qr_mode() -> None:
    small = from_config({"driver": "sim", "profile": "POS-5890"})
    assert (small.options.paper_mm, small.options.columns, small.options.qr) == (58, 32, "image")
    epson = from_config({"driver": "sim", "profile": "TM-T88V", "encoding": "gb18030"})
    assert (epson.options.paper_mm, epson.options.columns, epson.options.qr) == (80, 42, "native")
    assert epson.options.encoding == "gb18030"
