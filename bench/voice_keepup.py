"""Does the hall's voice keep up? Old announcer against new, on a simulated clock.

    python bench/voice_keepup.py [--seed 4242]

Two loads on the 96-window Hengyang layout:
* burst: 15 windows call within one second (issue 15: the last was said 104 s later);
* peak hour: the busiest hour of calls of a simulated Hengyang day (`hallq simulate`'s
  engine and demand, the given seed), no-shows recalled once after a minute.

Old: every call said in arrival order, 7.2 s a clip (8.7 s a recall), nothing dropped.
New: the device queue's rules (`devices.voice.backlog.admit`: one announcement per
window, a recall of a waiting call absorbed) and its `stands()` check just before
speaking; each clip as long as the WAV the voice backend really makes for it (chime,
pause, espeak-ng speech trimmed, tail: `announcement_pcm`).

When does a call stop standing? The applicant walks up and the clerk starts the ticket
(20–90 s after the call, uniform, seeded), or the window gives up on a no-show, or it calls
someone else. Delay is from the call to the start of its announcement.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from devices.voice.backends import EspeakSynth, announcement_pcm  # noqa: E402
from devices.voice.backlog import admit  # noqa: E402
from devices.voice.phrases import PhraseBook  # noqa: E402

OLD_CALL_S, OLD_RECALL_S = 7.2, 8.7  # issue 15's measured clips before the change
WALK_S = (20.0, 90.0)  # call → the clerk starts the ticket
RECALL_AFTER_S = 60.0  # a no-show is recalled once, after a minute
BURST = 15


@dataclass(frozen=True)
class Call:
    at: float  # seconds on the simulated clock
    number: str
    window: str
    recall: bool
    stands_until: float  # the ticket is no longer called from then on
    text: str = ""


@dataclass
class Outcome:
    name: str
    calls: int
    said: int
    dropped: int
    said_obsolete: int  # said although the ticket no longer stood
    delays: list[float]
    speaking_s: float
    span_s: float

    def per_minute(self) -> float:
        """Announcements a minute while the speaker was busy: what it can sustain."""
        return 60 * self.said / self.speaking_s if self.speaking_s else 0.0

    def worst(self) -> float:
        return max(self.delays, default=0.0)

    def p95(self) -> float:
        if len(self.delays) < 2:
            return self.worst()
        return statistics.quantiles(self.delays, n=20, method="inclusive")[-1]


def standing(calls: Sequence[Call]) -> Callable[[Call, float], bool]:
    """stands(call, now): the window still holds that ticket as called (no later call at
    the window, not yet started or given up)."""
    later: dict[Call, float] = {}
    last: dict[str, Call] = {}
    for c in sorted(calls, key=lambda c: c.at):
        prev = last.get(c.window)
        if prev is not None and prev.number != c.number:
            later[prev] = c.at
        last[c.window] = c

    def stands(call: Call, now: float) -> bool:
        end = min(call.stands_until, later.get(call, float("inf")))
        return now < end

    return stands


def run_old(calls: Sequence[Call]) -> Outcome:
    stands = standing(calls)
    clock, delays, obsolete, speaking = 0.0, [], 0, 0.0
    for c in sorted(calls, key=lambda c: c.at):
        start = max(clock, c.at)
        obsolete += not stands(c, start)
        clip = OLD_RECALL_S if c.recall else OLD_CALL_S
        delays.append(start - c.at)
        clock = start + clip
        speaking += clip
    return Outcome("old", len(calls), len(calls), 0, obsolete, delays, speaking,
                   clock - min(c.at for c in calls))


def run_new(calls: Sequence[Call], clip_s: dict[str, float]) -> Outcome:
    """The AnnouncementQueue's worker on a simulated clock: `admit` on every arrival,
    `stands` just before speaking, each clip its real length."""
    stands = standing(calls)
    pending = sorted(calls, key=lambda c: c.at)
    waiting: list[Call] = []
    clock, i, delays, dropped, speaking = min(c.at for c in calls), 0, [], 0, 0.0
    while i < len(pending) or waiting:
        # Every call made until now arrives before the worker takes the next.
        while i < len(pending) and (pending[i].at <= clock or not waiting):
            c = pending[i]
            clock = max(clock, c.at)
            admission = admit(waiting, c)
            if not admission.absorbed:
                waiting = admission.waiting
                dropped += sum(d.number != c.number for d in admission.dropped)
            else:
                dropped += 1  # said by the call already waiting
            i += 1
        nxt = waiting.pop(0)
        if not stands(nxt, clock):
            dropped += 1
            continue
        delays.append(clock - nxt.at)
        clip = clip_s[nxt.text]
        clock += clip
        speaking += clip
    return Outcome("new", len(calls), len(delays), dropped, 0, delays, speaking,
                   clock - min(c.at for c in calls))


def with_text(calls: Sequence[Call], book: PhraseBook) -> list[Call]:
    return [Call(c.at, c.number, c.window, c.recall, c.stands_until,
                 book.text(c.number, c.window, recall=c.recall)) for c in calls]


def clip_lengths(texts: set[str]) -> dict[str, float]:
    """Seconds of each announcement's real WAV (espeak-ng through the voice backend)."""
    synth = EspeakSynth()
    if synth.check():
        raise SystemExit(f"espeak-ng is needed for real clip lengths: {synth.check()}")

    def seconds(text: str) -> tuple[str, float]:
        return text, announcement_pcm(text, synth).seconds

    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(pool.map(seconds, sorted(texts)))


def burst_calls(rng: random.Random) -> list[Call]:
    windows = rng.sample(range(12, 66), BURST)  # front windows of the Hengyang hall
    return [Call(i / BURST, f"{'ABCDEFG'[i % 7]}{100 + i:03d}", str(w), False,
                 i / BURST + rng.uniform(*WALK_S)) for i, w in enumerate(windows)]


def peak_hour_calls(seed: int, rng: random.Random) -> tuple[list[Call], str]:
    from queue_server.domain.layout import load_layout
    from queue_server.simulation.demand import draw_day, find_demand, hhmm
    from queue_server.simulation.engine import simulate

    layout = load_layout(REPO / "layouts" / "hengyang.toml")
    demand = find_demand(layout)
    run = simulate(layout, draw_day(demand, layout, seed), layout.routing.policy.value)
    visits = sorted((v for v in run.visits if v.called is not None), key=lambda v: v.called)
    prefix = {code: b.prefix for code, b in layout.businesses.items()}
    # The busiest 60 minutes, on whole minutes.
    starts = sorted({int(v.called) for v in visits})
    best = max(starts, key=lambda m: sum(m <= v.called < m + 60 for v in visits))
    counts: dict[str, int] = {}
    calls: list[Call] = []
    hold = demand.no_show_minutes * 60
    for v in visits:
        counts[v.business] = counts.get(v.business, 0) + 1
        if not best <= v.called < best + 60:
            continue
        at = (v.called - best) * 60
        number = f"{prefix[v.business]}{counts[v.business]:03d}"
        window = str(v.window)
        if v.no_show:
            end = at + hold
            calls.append(Call(at, number, window, False, end))
            if hold > RECALL_AFTER_S:
                calls.append(Call(at + RECALL_AFTER_S, number, window, True, end))
        else:
            calls.append(Call(at, number, window, False, at + rng.uniform(*WALK_S)))
    return calls, f"{hhmm(best)}–{hhmm(best + 60)}"


def table(title: str, old: Outcome, new: Outcome) -> str:
    rows = [
        ("calls (incl. recalls)", f"{old.calls}", f"{new.calls}"),
        ("announcements said", f"{old.said}", f"{new.said}"),
        ("announcements per minute (speaker busy)", f"{old.per_minute():.1f}", f"{new.per_minute():.1f}"),
        ("worst delay call → announcement", f"{old.worst():.1f} s", f"{new.worst():.1f} s"),
        ("p95 delay", f"{old.p95():.1f} s", f"{new.p95():.1f} s"),
        ("obsolete announcements dropped", "0", f"{new.dropped}"),
        ("said after the ticket stopped standing", f"{old.said_obsolete}", f"{new.said_obsolete}"),
        ("speaker busy until (after first call)", f"{old.span_s:.0f} s", f"{new.span_s:.0f} s"),
    ]
    w = max(len(r[0]) for r in rows)
    out = [title, f"  {'':<{w}}  {'old (7.2 s, keep all)':>22}  {'new (backlog rules)':>20}"]
    out += [f"  {a:<{w}}  {b:>22}  {c:>20}" for a, b, c in rows]
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=4242)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    book = PhraseBook()
    burst = with_text(burst_calls(rng), book)
    peak, hour = peak_hour_calls(args.seed, rng)
    peak = with_text(peak, book)
    t0 = time.perf_counter()
    clips = clip_lengths({c.text for c in burst + peak})
    made = time.perf_counter() - t0
    lengths = sorted(clips.values())
    print(f"real clips: {len(clips)} WAVs from espeak-ng in {made:.1f} s; "
          f"length median {statistics.median(lengths):.2f} s, "
          f"min {lengths[0]:.2f} s, max {lengths[-1]:.2f} s")
    print()
    print(table(f"Burst: {BURST} calls within one second", run_old(burst), run_new(burst, clips)))
    print()
    print(table(f"Peak hour of the Hengyang day (seed {args.seed}, {hour})",
                run_old(peak), run_new(peak, clips)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
