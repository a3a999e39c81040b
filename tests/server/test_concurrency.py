"""96 windows calling at once over real HTTP: no ticket served twice, none lost."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import httpx

from tests.server.conftest import AppFactory, LiveServer, big_layout


def test_96_windows_call_at_once(make_app: AppFactory, tmp_path: Path):
    h = make_app(layout=big_layout(tmp_path, 96))
    kiosk = h.headers("kiosk")
    tokens = {n: h.token("window", n) for n in range(1, 97)}
    codes = ["transfer", "mortgage", "tax", "query"]
    with LiveServer(h.app) as server:
        # Issue concurrently too: 8 kiosks, 40 tickets each.
        issued: list[dict] = []
        lock = threading.Lock()

        def kiosk_worker(k: int) -> None:
            with httpx.Client(base_url=server.url, headers=kiosk, timeout=30) as c:
                for i in range(40):
                    r = c.post("/api/v1/tickets", json={"business": codes[(k + i) % 4]})
                    assert r.status_code == 201, r.text
                    with lock:
                        issued.append(r.json())

        threads = [threading.Thread(target=kiosk_worker, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(issued) == 320
        numbers = Counter(t["number"] for t in issued)
        assert max(numbers.values()) == 1  # unique numbers under concurrency
        per_prefix = Counter(n[0] for n in numbers)
        assert per_prefix == {"A": 80, "B": 80, "C": 80, "D": 80}

        served: list[str] = []
        errors: list[str] = []
        start = threading.Barrier(96)

        def window_worker(n: int) -> None:
            with httpx.Client(base_url=server.url, timeout=30,
                              headers={"Authorization": f"Bearer {tokens[n]}"}) as c:
                start.wait()
                # Bounded: a ticket served twice would keep some window calling for ever;
                # 320 tickets can never take more than 320 calls at one window.
                for _ in range(321):
                    r = c.post(f"/api/v1/windows/{n}/call-next")
                    if r.status_code != 200:
                        errors.append(r.text)
                        return
                    t = r.json()["ticket"]
                    if t is None:
                        return
                    done = c.post(f"/api/v1/tickets/{t['id']}/complete")
                    if done.status_code != 200:
                        errors.append(done.text)
                        return
                    with lock:
                        served.append(t["id"])
                else:
                    errors.append(f"window {n} was still calling after 321 calls")

        workers = [threading.Thread(target=window_worker, args=(n,)) for n in range(1, 97)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
    assert errors == []
    assert len(served) == len(set(served)) == 320  # none twice, none lost
    assert set(served) == {t["id"] for t in issued}
