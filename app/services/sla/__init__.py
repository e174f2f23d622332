"""SLA clocks: which policy applies, when each target is due, and the check that acts on them.

A visit has two clocks: *response* (request → technician on site) and *resolution* (request →
completed). The request time is the visit's creation. The response target always comes from the
policy; the resolution target is the visit's own `sla_due` when one was promised, else the
policy's. A complaint has one clock: the due time of its current stage.

The check re-times today's published routes with what the phones reported (on site, completed)
and the planner's travel model (`app.services.travel`), warns once when a visit is projected to
miss a target before it does, and escalates once at breach: an outbox message to the
dispatchers and a flag on the board.

Modules: `policies` (which policy applies; policies as records), `clocks` (the state of each
target), `progress` (what the phones reported), `projection` (today's routes re-timed), `check`
(the periodic check that warns and escalates) and `alerts` (who is told, and alerts raised).
"""
