"""JSON responses for views that are already plain JSON values.

FastAPI would otherwise walk every returned dict through `jsonable_encoder`, which costs
more than the use case itself on the busiest endpoints (measured: 130 µs vs 22 µs for a
ticket).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse


class Json(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
