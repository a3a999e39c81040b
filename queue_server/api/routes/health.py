from fastapi import APIRouter

from queue_server.api import API_PREFIX

router = APIRouter(prefix=API_PREFIX, tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
