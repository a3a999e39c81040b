"""Figures from simulated days: per policy waits, service level, utilisation, estimate error.

A wait is one queue entry's time from joining the queue (issue, or forward to the next
journey step) to being called. The estimate error compares, for each entry, the minutes
the server would have shown at that moment (`round(HallState.estimate(...).minutes)`,
as views.py shows it) with the wait that followed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from queue_server.domain.erlang import mean_wait
from queue_server.domain.estimate import RANGE_STEP
from queue_server.domain.layout import Layout
from queue_server.simulation.demand import Demand
from queue_server.simulation.engine import RunResult, Visit


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default), 0 for no values."""
    if not values:
        return 0.0
    s = sorted(values)
    pos = (len(s) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _r(x: float, nd: int = 2) -> float:
    return round(x, nd)


def wait_figures(visits: Iterable[Visit], layout: Layout) -> dict[str, float]:
    called = [v for v in visits if v.called is not None]
    waits = [v.wait for v in called if v.wait is not None]
    within = sum(1 for v in called
                 if (v.wait or 0.0) <= layout.businesses[v.business].wait_target_minutes + 1e-9)
    return {
        "mean_wait_min": _r(_mean(waits)),
        "p90_wait_min": _r(percentile(waits, 90)),
        "max_wait_min": _r(max(waits, default=0.0)),
        "service_level": _r(within / len(called), 4) if called else 1.0,
        "called": len(called),
    }


def estimate_figures(visits: Iterable[Visit]) -> dict[str, float]:
    pairs = [(v, v.wait) for v in visits if v.estimate is not None and v.wait is not None]
    errors = [abs(round(v.estimate) - w) for v, w in pairs]  # type: ignore[arg-type]
    bias = [round(v.estimate) - w for v, w in pairs]  # type: ignore[arg-type]
    # A point estimate (low == high) counts as right within half a display step.
    half = RANGE_STEP / 2
    inside = sum(1 for v, w in pairs
                 if (v.low or 0.0) - (half if v.low == v.high else 0.0) <= w
                 <= (v.high or 0.0) + (half if v.low == v.high else 0.0))
    ranged = sum(1 for v, _ in pairs if (v.high or 0.0) > (v.low or 0.0))
    return {
        "estimate_mae_min": _r(_mean(errors)),
        "estimate_p90_abs_error_min": _r(percentile(errors, 90)),
        "estimate_bias_min": _r(_mean(bias)),
        "estimate_range_hit": _r(inside / len(pairs), 4) if pairs else 1.0,
        "estimate_range_shown": _r(ranged / len(pairs), 4) if pairs else 0.0,
    }


def policy_figures(runs: Sequence[RunResult], layout: Layout) -> dict[str, Any]:
    """One policy's figures over one or more days (entries pooled across days)."""
    visits = [v for r in runs for v in r.visits]
    out: dict[str, Any] = wait_figures(visits, layout)
    out.update(estimate_figures(visits))
    busy = sum(r.busy_minutes for r in runs)
    available = sum(r.available_minutes for r in runs)
    out["utilisation"] = _r(busy / available, 4) if available else 0.0
    out["tickets_served"] = sum(1 for v in visits if v.called is not None and not v.no_show)
    out["tickets_done"] = sum(r.tickets_done for r in runs)
    out["no_shows"] = sum(1 for v in visits if v.no_show)
    refused: dict[str, int] = {}
    for r in runs:
        for k, n in r.refused.items():
            refused[k] = refused.get(k, 0) + n
    out["refused"] = dict(sorted(refused.items()))
    out["last_call"] = _clock(max((v.called or 0.0) for v in visits)) if visits else None
    out["businesses"] = {
        code: wait_figures([v for v in visits if v.business == code], layout)
        for code in layout.businesses
        if any(v.business == code for v in visits)
    }
    return out


def _clock(minute: float) -> str:
    m = int(round(minute))
    return f"{m // 60:02d}:{m % 60:02d}"


def erlang_reference(layout: Layout, demand: Demand) -> dict[str, Any]:
    """Erlang C for the day's load on the hall's open front windows.

    The hall is treated as M/M/c with the visit-weighted mean service time: a reference
    point for the simulated full pooling, not a prediction (arrivals vary over the day,
    service is log-normal, staff take lunch). "Dedicated" splits the same load into one
    M/M/c per business on the windows that list it first.
    """
    visits = demand.visits_per_day(layout)
    hours = demand.issue_until - demand.open
    lam = {b: n / hours for b, n in visits.items() if n > 0}
    total = sum(lam.values())
    if total <= 0:
        return {}
    service = sum(lam[b] * demand.service_minutes[b] for b in lam) / total
    front = [w for w in layout.windows.values() if w.public and w.open]
    peak = max(w for _, _, w in demand.segments()) / (
        demand.weight_integral(demand.open, demand.issue_until) / hours)
    own = {b: sum(1 for w in front if w.businesses[0] == b) for b in lam}
    dedicated = [lam[b] * mean_wait(own[b], lam[b], demand.service_minutes[b]) for b in lam]

    def finite(x: float) -> float | None:
        return None if math.isinf(x) else _r(x, 3)

    return {
        "windows": len(front),
        "arrivals_per_hour": _r(total * 60, 1),
        "mean_service_min": _r(service),
        "offered_load": _r(total * service),
        "peak_factor": _r(peak),
        "pooled_mean_wait_min": finite(mean_wait(len(front), total, service)),
        "pooled_peak_mean_wait_min": finite(mean_wait(len(front), total * peak, service)),
        "dedicated_mean_wait_min": finite(sum(dedicated) / total),
    }


def targets(policies: dict[str, dict[str, Any]], policy: str = "oldest_eligible"
            ) -> dict[str, Any]:
    """The issue's balance targets for `policy` (the layout's own, when it was run; else
    oldest_eligible), with the measured margins."""
    if policy not in policies or policy in ("full_pooling", "dedicated"):
        policy = "oldest_eligible"
    need = {policy, "full_pooling", "dedicated"}
    if not need <= policies.keys():
        return {}
    oe, fp, de = (policies[k] for k in (policy, "full_pooling", "dedicated"))
    vs_pool = oe["mean_wait_min"] / fp["mean_wait_min"] - 1 if fp["mean_wait_min"] else math.inf
    vs_ded = 1 - oe["mean_wait_min"] / de["mean_wait_min"] if de["mean_wait_min"] else 0.0
    max_ratio = oe["max_wait_min"] / fp["max_wait_min"] if fp["max_wait_min"] else math.inf
    return {
        "policy": policy,
        "mean_above_pooling": _r(vs_pool, 3),
        "mean_within_15pct_of_pooling": vs_pool <= 0.15,
        "mean_below_dedicated": _r(vs_ded, 3),
        "mean_40pct_below_dedicated": vs_ded >= 0.40,
        "max_over_pooling_max": _r(max_ratio, 3),
        "max_within_2x_pooling": max_ratio <= 2.0,
        "estimate_mae_min": oe["estimate_mae_min"],
        "estimate_mae_at_most_2": oe["estimate_mae_min"] <= 2.0,
    }


# --- the table ----------------------------------------------------------------------------

COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("mean_wait_min", "平均等候 mean", "{:.1f}"),
    ("p90_wait_min", "P90", "{:.1f}"),
    ("max_wait_min", "最长 max", "{:.1f}"),
    ("service_level", "达标率 SL", "{:.0%}"),
    ("utilisation", "利用率 util", "{:.0%}"),
    ("estimate_mae_min", "估计误差 MAE", "{:.2f}"),
    ("estimate_p90_abs_error_min", "误差P90 err p90", "{:.1f}"),
    ("tickets_served", "服务 served", "{:d}"),
)


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int, right: bool = True) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def table(doc: dict[str, Any]) -> str:
    """The comparison as a plain-text table, minutes unless marked."""
    head = ["策略 policy"] + [c[1] for c in COLUMNS]
    rows = [[name] + [fmt.format(fig[key]) for key, _, fmt in COLUMNS]
            for name, fig in doc["policies"].items()]
    widths = [max(_width(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(_pad(cell, widths[i], i > 0) for i, cell in enumerate(row))
             for row in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    erl = doc.get("erlang_c") or {}
    if erl:
        def show(x: float | None) -> str:
            return "∞" if x is None else f"{x:.2f}"
        lines.append(
            f"Erlang C 参考 reference: {erl['windows']} 窗口 windows, 负荷 load "
            f"{erl['offered_load']:.1f}, 合并 pooled {show(erl['pooled_mean_wait_min'])} / "
            f"高峰 peak {show(erl['pooled_peak_mean_wait_min'])} 分钟 min, "
            f"专窗 dedicated {show(erl['dedicated_mean_wait_min'])} 分钟 min")
    t = doc.get("targets") or {}
    if t:
        def mark(ok: bool) -> str:
            return "✓" if ok else "✗"
        lines.append(
            f"目标 targets ({t.get('policy', 'oldest_eligible')}): 比合并多 vs pooling {t['mean_above_pooling']:+.0%} "
            f"{mark(t['mean_within_15pct_of_pooling'])} (≤ +15%) · 比专窗少 below dedicated "
            f"{t['mean_below_dedicated']:.0%} {mark(t['mean_40pct_below_dedicated'])} (≥ 40%) · "
            f"最长/合并 max ratio {t['max_over_pooling_max']:.2f} "
            f"{mark(t['max_within_2x_pooling'])} (≤ 2) · MAE {t['estimate_mae_min']:.2f} "
            f"{mark(t['estimate_mae_at_most_2'])} (≤ 2)")
    return "\n".join(lines)


# --- one comparison -----------------------------------------------------------------------


def compare(layout: Layout, demand: Demand, *, seed: int, days: int = 1,
            policies: Sequence[str]) -> tuple[dict[str, Any], dict[str, list[RunResult]]]:
    """Run every policy on the same drawn days; returns the JSON document and the runs.

    Day k uses seed + k, and every policy replays exactly that day's draws.
    """
    from queue_server.simulation.demand import draw_day
    from queue_server.simulation.engine import simulate

    runs: dict[str, list[RunResult]] = {p: [] for p in policies}
    arrivals = visits_total = 0
    for k in range(days):
        day = draw_day(demand, layout, seed + k)
        arrivals += len(day.arrivals)
        visits_total += sum(len(a.steps) for a in day.arrivals)
        for p in policies:
            runs[p].append(simulate(layout, day, p))
    figures = {p: policy_figures(rs, layout) for p, rs in runs.items()}
    doc: dict[str, Any] = {
        "layout": layout.source,
        "demand": demand.source,
        "seed": seed,
        "days": days,
        "arrivals": arrivals,
        "queue_entries": visits_total,
        "policies": figures,
        "erlang_c": erlang_reference(layout, demand),
        "targets": targets(figures, layout.routing.policy.value),
    }
    return doc, runs
