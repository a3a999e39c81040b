"""FastAPI tries the routes in turn, twice over (the app's and the included router's
match), a few µs each: the operations of every visit come first, ahead of 130 others."""

from __future__ import annotations

from fastapi.routing import iter_route_contexts

from tests.server.conftest import AppFactory

VISIT = [("POST", "/api/v1/windows/{number}/call-next"), ("POST", "/api/v1/tickets"),
         ("POST", "/api/v1/tickets/{ticket_id}/start"),
         ("POST", "/api/v1/tickets/{ticket_id}/complete")]


def test_every_visits_operations_are_matched_before_the_rest(make_app: AppFactory):
    app = make_app().app
    order: list[tuple[str, str]] = []
    for ctx in iter_route_contexts(app.routes):
        path = ctx.path_format or getattr(ctx.original_route, "path_format", "")
        for method in sorted(getattr(ctx.original_route, "methods", None) or ()):
            order.append((method, path))
    assert len(order) > 100
    positions = [order.index(op) for op in VISIT]
    # Behind only the API document's own routes (/api/openapi.json, /api/docs…).
    assert max(positions) < 12, [order[i] for i in range(max(positions) + 1)]
