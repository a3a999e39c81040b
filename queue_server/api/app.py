"""The FastAPI application: built eagerly, so an invalid layout stops the server at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

from fastapi import FastAPI

from queue_server.api import errors, openapi
from queue_server.api.edge import Edge
from queue_server.api.limits import BodyLimits
from queue_server.api.routes import (
    admin,
    advice,
    booking,
    callbacks,
    evaluations,
    events,
    follow,
    hall_info,
    health,
    kiosks,
    notices,
    reports,
    screens,
    slips,
    staff,
    tickets,
    voice,
    windows,
)
from queue_server.api.routes import archive as archive_routes
from queue_server.api.routes import cases as case_routes
from queue_server.api.routes import homevisits as visit_routes
from queue_server.api.routes import load as load_routes
from queue_server.api.routes import notify as notify_routes
from queue_server.archive.images import MAX_UPLOAD_BYTES
from queue_server.bookings import Bookings
from queue_server.broadcast import Hub
from queue_server.domain.catalogue import Catalogue, load_catalogue
from queue_server.domain.layout import Layout, load_layout
from queue_server.domain.scope import Offers
from queue_server.domain.slips import slip_key
from queue_server.domain.workdays import WorkCalendar
from queue_server.domain.workorders import due_on
from queue_server.hall import Clock, Hall, utc_now
from queue_server.homevisits import HomeVisits
from queue_server.pages import routes as pages
from queue_server.printers import WindowPrinters
from queue_server.records import Records
from queue_server.security import Authenticator
from queue_server.settings import Settings, load_secret
from queue_server.store.booking import BookingStore
from queue_server.store.db import make_engine, migrate
from queue_server.store.homevisit import HomeVisitStore
from queue_server.store.quality import Quality
from queue_server.store.repository import Store
from queue_server.store.staff import StaffRegister
from queue_server.views import business_places

log = logging.getLogger("hallq")


def hall_catalogue(settings: Settings, layout: Layout) -> Catalogue | None:
    """The catalogue's items this hall's windows serve (None: a hall without one)."""
    if settings.catalogue_path is None:
        return None
    return load_catalogue(settings.catalogue_path).for_businesses(layout.businesses)


def catalogue_view(settings: Settings, layout: Layout) -> dict[str, Any]:
    """The catalogue as the kiosk shows it: only items this hall's windows serve.

    An item whose journey this hall lacks still takes a plain ticket for its business.
    """
    cat = hall_catalogue(settings, layout)
    if cat is None:
        return {"categories": []}
    return {"categories": [
        {"code": c.code, "name": c.name, "name_en": c.name_en, "items": [
            {"code": i.code, "name": i.name, "name_en": i.name_en, "business": i.business,
             "journey": i.journey if i.journey in layout.journeys else None,
             "common": i.common, "time_limit_days": i.time_limit_days,
             "materials": list(i.materials), "materials_en": list(i.materials_en),
             "materials_where": list(i.materials_where),
             "note": i.note, "note_en": i.note_en}
            for i in c.items]}
        for c in cat.categories]}


async def _turnover_loop(hall: Hall, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await asyncio.to_thread(hall.turn_over_if_due)
        except Exception:  # keep clearing on later ticks; the failure is in the log
            log.exception("daily clear failed")


async def _booking_loop(bookings: Bookings, every: float) -> None:
    """预约's periodic job, beside the daily clear: no-shows swept at slot start + grace,
    reminders the day before. Each round is idempotent, so a missed or doubled tick (or
    two servers of a hall) changes nothing."""
    while True:
        await asyncio.sleep(every)
        try:
            await asyncio.to_thread(bookings.tick)
        except Exception:  # keep sweeping on later ticks; the failure is in the log
            log.exception("booking sweep failed")


def _settle_work_orders(quality: Quality, calendar: WorkCalendar, layout: Layout) -> None:
    """Work orders due dates counted before the hall added a year's holidays are counted
    again now, once that year is known."""
    days = layout.hall.followup_working_days

    def due(reviewed: date) -> tuple[date, bool]:
        day = due_on(reviewed, days, calendar)
        return day, calendar.is_provisional(reviewed, day)
    settled = quality.settle_provisional(due, layout.hall.tz)
    if settled:
        log.info("%d work orders' due dates settled on the updated calendar", settled)


def create_app(settings: Settings, *, clock: Clock = utc_now) -> FastAPI:
    layout = load_layout(settings.layout_path)
    key = slip_key(settings.slip_key)
    engine = make_engine(settings.database_url)
    migrate(engine, layout.hall.code, layout.hall.name, strict=True)
    store = Store(engine)
    hall = Hall(layout, store, load_secret(settings.data_dir), clock=clock)
    # Places are read on the hall's thread, under its lock, as the events are published.
    hub = Hub(settings.client_queue_size, places=lambda code: business_places(hall.state, code))
    hall.listeners.append(hub.publish)
    hall.listeners.append(reports.roll_up_on_clear(engine, layout, clock))
    # Cases, archive and notifications; their worker is woken by the hall's events.
    records = Records.build(hall, engine, data_dir=settings.data_dir,
                            catalogue_path=settings.catalogue_path,
                            lookup_proof=settings.lookup_proof)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        hub.attach(asyncio.get_running_loop())
        tasks = [asyncio.create_task(_turnover_loop(hall, settings.turnover_check_seconds)),
                 asyncio.create_task(_booking_loop(app.state.bookings,
                                                   settings.turnover_check_seconds))]
        records.start()
        yield
        await records.stop()
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        engine.dispose()

    app = FastAPI(
        title="hallq",
        description="不动产登记大厅排队系统 / registration-hall queue server",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.hall = hall
    app.state.store = store
    app.state.hub = hub
    app.state.auth = Authenticator(store)
    app.state.staff = StaffRegister(engine)
    app.state.quality = Quality(engine)
    # The one working-day calendar (holidays and 调休 included) for every deadline the
    # product counts: cases, 差评整改 work orders, bookings.
    app.state.calendar = records.config.calendar
    _settle_work_orders(app.state.quality, app.state.calendar, layout)
    app.state.catalogue = hall_catalogue(settings, layout)  # refusals and pre-checks
    app.state.catalogue_view = catalogue_view(settings, layout)
    app.state.printers = WindowPrinters.load(settings.printers_path, settings.data_dir)
    app.state.kiosks = kiosks.kiosk_board(clock)
    app.state.offers = Offers()  # what each kiosk offered to rate (domain/scope.py)
    app.state.screens = screens.screen_board(clock)
    app.state.slip_key = key
    errors.install(app)
    app.state.records = records
    app.state.bookings = Bookings(layout, app.state.calendar, BookingStore(engine),
                                  records.notifier, records.limiter, hall.secret, key,
                                  hall.clock, settings.public_url, codes=records.codes,
                                  phone_codes=layout.home_visits.enabled)
    # 上门服务: the phone page proves the phone with the booking's SMS code and pass.
    app.state.home_visits = HomeVisits(layout, app.state.calendar, HomeVisitStore(engine),
                                       records.notifier, hall.secret, hall.clock)
    app.add_middleware(Edge, max_headers=settings.max_headers, body=BodyLimits(
        settings.max_body_bytes,
        wide=[(archive_routes.UPLOAD_PATH, MAX_UPLOAD_BYTES, "image_too_large")]))
    # The API's routes go into the app's own list, in the order they are tried: every
    # visit's operations first (routes/tickets.py). Not `include_router`: FastAPI then
    # matches each request twice over every included router's routes, and builds them all
    # again at the first request (about 25 ms of a start after a power cut).
    for router in (windows.hot, tickets.hot, *(m.router for m in (
            health, hall_info, tickets, windows, admin, events, voice, kiosks, advice, slips,
            staff, evaluations, follow, callbacks, reports, screens, booking, notices,
            case_routes, archive_routes, notify_routes, load_routes, visit_routes))):
        app.router.routes.extend(router.routes)
    app.include_router(pages.router)  # the display and console pages, at the root
    openapi.install(app, layout)
    return app
