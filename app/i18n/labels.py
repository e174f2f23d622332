"""What a person reads for a stored value (visit kinds, statuses, stages, locks, …).

Values stay English codes in the database and the API; pages show these labels, translated.
"""

from __future__ import annotations

from app.i18n.text import N_

LABELS: dict[str, dict[str, str]] = {
    "kind": {"measure": N_("measure"), "install": N_("install"), "repair": N_("repair")},
    "visit_status": {
        "new": N_("new"),
        "scheduled": N_("scheduled"),
        "dispatched": N_("dispatched"),
        "en_route": N_("on the way"),
        "on_site": N_("on site"),
        "completed": N_("completed"),
        "incomplete": N_("incomplete"),
        "cancelled": N_("cancelled"),
    },
    "lock": {
        "none": N_("unlocked"),
        "technician": N_("keep the technician"),
        "time": N_("keep the time"),
        "technician_time": N_("keep both"),
        "in_progress": N_("in progress"),
    },
    "order_stage": {
        "lead": N_("lead"),
        "measure": N_("measuring"),
        "design": N_("design"),
        "confirmed": N_("confirmed"),
        "production": N_("production"),
        "install": N_("installing"),
        "installed": N_("installed"),
        "closed": N_("closed"),
        "cancelled": N_("cancelled"),
    },
    "complaint_stage": {
        "reported": N_("reported"),
        "assigned": N_("assigned"),
        "root_cause": N_("root cause"),
        "corrective_action": N_("corrective action"),
        "customer_feedback": N_("customer feedback"),
        "closed": N_("closed"),
    },
    "tier": {"standard": N_("standard"), "silver": N_("silver"), "gold": N_("gold"), "vip": "VIP"},
    "role": {"admin": N_("admin"), "dispatcher": N_("dispatcher"), "technician": N_("technician")},
    "run_status": {
        "queued": N_("queued"),
        "running": N_("running"),
        "succeeded": N_("succeeded"),
        "failed": N_("failed"),
        "published": N_("published"),
    },
    "run_phase": {
        "precheck": N_("checking the visits"),
        "build": N_("building the model"),
        "construct": N_("first plan"),
        "search": N_("searching"),
        "explain": N_("explaining"),
        "zones": N_("solving by zones"),
        "repair": N_("joining the zones"),
        "repair_2": N_("joining the zones, two searches"),
        "done": N_("done"),
        "failed": N_("failed"),
    },
    "clock": {
        "ok": N_("on track"),
        "warning": N_("at risk"),
        "breached": N_("breached"),
        "met": N_("met"),
        "missed": N_("missed"),
    },
    "subject": {"visit": N_("Visit"), "complaint": N_("Complaint")},
    "customer_tag": {
        "churn_risk": N_("churn risk"),
        "promoter": N_("promoter"),
        "detractor": N_("detractor"),
    },
    "cause": {
        "workmanship": N_("workmanship"),
        "product_defect": N_("product defect"),
        "delivery_damage": N_("damaged in delivery"),
        "late_or_no_show": N_("late or no show"),
        "communication": N_("communication"),
        "pricing": N_("pricing"),
        "other": N_("other"),
    },
    "request_source": {
        "api": N_("back office"),
        "phone": N_("phone call"),
        "self_service": N_("customer self-service"),
        "console": N_("console"),
        "rule": N_("automatic"),
    },
    "ageing": {"fresh": N_("fresh"), "waiting": N_("waiting"), "stuck": N_("stuck")},
    "sla_target": {"response": N_("response"), "resolution": N_("resolution")},
    "photo": {
        "before": N_("before"),
        "after": N_("after"),
        "damage": N_("damage"),
        "signature": N_("signature"),
        "wall": N_("wall"),
        "other": N_("other"),
    },
    "clock_state": {
        "ok": N_("on track"),
        "warning": N_("at risk"),
        "breached": N_("breached"),
        "met": N_("met"),
        "missed": N_("missed"),
    },
    "slice": {
        "all": N_("nothing (all)"),
        "kind": N_("visit kind"),
        "product_line": N_("product line"),
        "region": N_("region (depot)"),
        "technician": N_("technician"),
    },
    "product_line": {
        "kitchen": N_("kitchen"),
        "bathroom": N_("bathroom"),
        "wardrobe": N_("wardrobe"),
        "bedroom": N_("bedroom"),
        "study": N_("study"),
    },
    "fault_cause": {
        "wear": N_("wear"),
        "installation": N_("installation fault"),
        "manufacturing": N_("manufacturing fault"),
        "misuse": N_("misuse"),
        "other": N_("other"),
    },
    "audience": {
        "technician": N_("technicians"),
        "customer": N_("customers"),
        "both": N_("technicians and customers"),
    },
    "article_status": {"draft": N_("draft"), "published": N_("published")},
    "language": {"zh_CN": "中文", "en": "English"},
    "diff": {
        "added": N_("added"),
        "moved": N_("moved"),
        "reassigned": N_("reassigned"),
        "dropped": N_("dropped"),
    },
    "unit": {
        "% satisfied": N_("percent satisfied"),
        "score": N_("score"),
        "% of repairs": N_("percent of repairs"),
        "hours": N_("hours"),
        "% on time": N_("percent on time"),
        "per 100 visits": N_("per 100 visits"),
    },
    "kpi": {
        "assigned": N_("Visits planned"),
        "unassigned": N_("Visits left out"),
        "travel_km": N_("Driving distance"),
        "travel_hours": N_("Driving time"),
        "work_hours": N_("Work on site"),
        "utilisation_pct": N_("Utilisation of working technicians"),
        "on_time_pct": N_("Visits with an SLA started on time"),
        "sla_misses": N_("SLA misses (late or left out)"),
        "sla_visits": N_("Visits with an SLA"),
    },
}


def label_id(group: str, value: object) -> str:
    """The message id of a stored value's label (the value itself when it has none)."""
    raw = str(getattr(value, "value", value))
    return LABELS.get(group, {}).get(raw, raw.replace("_", " "))


# Record kinds named in errors ("customer 12 does not exist"), by model class name.
RECORD_KINDS: dict[str, str] = {
    "Customer": N_("customer"),
    "Site": N_("site"),
    "Order": N_("order"),
    "DispatchRun": N_("optimizer run"),
    "Rating": N_("rating"),
    "Complaint": N_("complaint"),
    "SlaPolicy": N_("SLA policy"),
    "Device": N_("device"),
    "VisitReview": N_("review"),
    "Skill": N_("skill"),
    "Depot": N_("depot"),
    "Technician": N_("technician"),
    "User": N_("user"),
    "Visit": N_("visit"),
    "ChecklistTemplate": N_("checklist template"),
    "Article": N_("article"),
    "VisitNote": N_("note"),
    "Photo": N_("photo"),
    "Signature": N_("signature"),
}


def record_kind(class_name: str) -> str:
    """The message id naming a kind of record (the class name in lower case when unknown)."""
    return RECORD_KINDS.get(class_name, class_name.lower())
