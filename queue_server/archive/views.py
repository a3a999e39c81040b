"""What the card holder sees of their own units, and what staff see of any unit.

The kiosk view is the electronic archive of hall.md: location, use, area, rights and
the state of mortgages, seizures, objections and pre-notices. Staff additionally see
the masked ID numbers, the document numbers and the record's version.
"""

from __future__ import annotations

from typing import Any

from queue_server.archive.model import ACTIVE

FLAGS = {
    "mortgages": ("已抵押", "mortgaged"),
    "seizures": ("已查封", "seized"),
    "objections": ("有异议登记", "objection registered"),
    "prenotices": ("有预告登记", "pre-notice registered"),
}


def rights_status(enc: dict[str, Any]) -> dict[str, Any]:
    active = [k for k in FLAGS if any(e.get("status") == ACTIVE for e in enc.get(k, []))]
    if not active:
        return {"codes": [], "text": "正常，无抵押、查封、异议、预告",
                "text_en": "clear: no mortgage, seizure, objection or pre-notice"}
    return {"codes": active, "text": "、".join(FLAGS[k][0] for k in active),
            "text_en": ", ".join(FLAGS[k][1] for k in active)}


def _base(unit: dict[str, Any]) -> dict[str, Any]:
    return {"unit_no": unit["unit_no"], "location": unit["location"], "use": unit["use"],
            "area_m2": unit["area_m2"], "certificate_no": unit["certificate_no"] or None,
            "rights_status": rights_status(unit["encumbrances"])}


def kiosk_view(unit: dict[str, Any], holders: list[dict[str, Any]], viewer_hash: str
               ) -> dict[str, Any]:
    enc = unit["encumbrances"]
    view = _base(unit)
    view.update({
        "holders": [{"name_masked": h["name_masked"], "share": h["share"] or None,
                     "you": h["id_hash"] == viewer_hash}
                    for h in holders if h["kind"] == "owner"],
        "your_right": next(("owner" if h["kind"] == "owner" else "prenotice"
                            for h in holders if h["id_hash"] == viewer_hash), None),
        "mortgages": [{k: m[k] for k in ("holder", "amount_yuan", "term_start", "term_end",
                                         "status")} for m in enc.get("mortgages", [])],
        "seizures": [{k: s[k] for k in ("court", "kind", "date", "status", "until")}
                     for s in enc.get("seizures", [])],
        "objections": [{k: o[k] for k in ("date", "status")} for o in enc.get("objections", [])],
        "prenotices": [{k: p[k] for k in ("kind", "date", "status")}
                       for p in enc.get("prenotices", [])],
    })
    return view


def staff_view(unit: dict[str, Any], holders: list[dict[str, Any]]) -> dict[str, Any]:
    enc = unit["encumbrances"]
    view = _base(unit)
    view.update({
        "version": unit["version"],
        "updated_at": unit["updated_at"].isoformat(),
        "holders": [{"id_masked": h["id_masked"], "name_masked": h["name_masked"],
                     "share": h["share"] or None} for h in holders if h["kind"] == "owner"],
        "mortgages": enc.get("mortgages", []),
        "seizures": enc.get("seizures", []),
        "objections": enc.get("objections", []),
        "prenotices": enc.get("prenotices", []),
    })
    return view
