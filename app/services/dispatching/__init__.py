"""Dispatch runs: database rows → `dispatch.Problem` → solve → proposal, diff, publish.

`runs` (the request and the run record), `snapshot` (rows into the planner's problem),
`proposal` (the typed proposal and its JSON), `solving` (snapshot → planner → proposal),
`publish` (a proposal applied under the technician-days' locks) and `insertion` (one urgent
visit fitted into the published plan).
"""
