"""Compiled inner loop of the ruin-and-recreate search (numba, cached on disk).

Everything here works on plain integer arrays built by :mod:`dispatch.ruin_recreate`; visits
are numbered 0..n-1 (``node[:, MAT]`` is their matrix index) and vehicles 0..k-1.

Timing model of one route (the same as :func:`dispatch.core.schedule`): service starts as
early as possible inside the visit's windows; a vehicle with a break takes it exactly once, in
one leg (between leaving a stop or the start point and starting the next stop or returning):
it starts at ``max(departure, break_lo)``, no later than ``break_hi``, and may interrupt the
drive or fill waiting time, so the next arrival is ``max(start, departure + travel) + dur``.

Per route the search keeps, for each path position, the earliest departure with the break
still pending (``e0``) or already taken (``e1``) and the latest arrival that keeps the rest of
the route feasible with the break pending (``la0``) or taken (``la1``). With these a visit's
insertion between two positions is checked in O(1), whatever the route length.
"""

from __future__ import annotations

import numpy as np
from numba import njit

INF = 1 << 50
NEG = -(1 << 50)
# Plain int64 values for arguments that would otherwise be literals: numba compiles a kernel
# again for every literal value it is called with (refresh(0, ...), refresh(1, ...)), which
# made a third of the first compile.
I0 = np.int64(0)
I1 = np.int64(1)
NONE = np.int64(-1)

# columns of the per-visit table
SERVICE, DEMAND, PENALTY, SOFT_DUE, SOFT_COST, MAT, NWIN, CLASS = range(8)
NODE_FIELDS = 8
# columns of the per-vehicle table
START, END, EARLIEST, LATEST, CAP, BLO, BHI, BDUR, SPAN, DAY, SIG = range(11)
VEH_FIELDS = 11
POLISH_ROUNDS = np.int64(3)  # relocate passes of one polish (fewer once a pass finds nothing)
REGRET_ORDER = 7  # index of the regret insertion among the recreate orders


@njit(cache=True)
def _win_start(wlo, whi, nwin, u, a):
    """Earliest allowed start of visit ``u`` at or after ``a`` (INF if none)."""
    if a >= INF:
        return INF
    for w in range(nwin):
        if a <= whi[u, w]:
            return a if a > wlo[u, w] else wlo[u, w]
    return INF


@njit(cache=True)
def _win_latest(wlo, whi, nwin, u, x):
    """Latest allowed start of visit ``u`` at or before ``x`` (NEG if none)."""
    if x <= NEG:
        return NEG
    for w in range(nwin - 1, -1, -1):
        if x >= wlo[u, w]:
            return x if x < whi[u, w] else whi[u, w]
    return NEG


@njit(cache=True)
def _brk(t, d, blo, bhi, bdur):
    """Arrival after a leg of travel ``d`` from departure ``t`` with the break taken in it."""
    if t >= INF or bdur <= 0:
        return INF
    s = t if t > blo else blo
    if s > bhi:
        return INF
    return (s if s > t + d else t + d) + bdur


@njit(cache=True)
def _brk_latest(s1, d, blo, bhi, bdur):
    """Latest departure for a leg of travel ``d`` with the break, arriving by ``s1``."""
    if s1 <= NEG or bdur <= 0:
        return NEG
    if blo + bdur > s1:
        return NEG
    t = s1 - bdur - d
    return t if t < bhi else bhi


@njit(cache=True)
def refresh(v, path, rlen, e0, e1, la0, la1, load, rcost, node, veh, wlo, whi, tm, cm, fixed,
            has_soft):
    """Recompute route ``v``'s timing arrays, load and cost (INF cost: infeasible route)."""
    m = rlen[v]
    start, end = veh[v, START], veh[v, END]
    blo, bhi, bdur = veh[v, BLO], veh[v, BHI], veh[v, BDUR]
    if bdur > 0:
        e0[v, 0], e1[v, 0] = veh[v, EARLIEST], INF
    else:
        e0[v, 0], e1[v, 0] = INF, veh[v, EARLIEST]
    a = start
    arcs = 0
    ld = 0
    for i in range(m):
        u = path[v, i]
        b = node[u, MAT]
        d = tm[a, b]
        arcs += cm[a, b]
        ld += node[u, DEMAND]
        x0, x1 = e0[v, i], e1[v, i]
        arr0 = x0 + d if x0 < INF else INF
        arr1 = x1 + d if x1 < INF else INF
        alt = _brk(x0, d, blo, bhi, bdur)
        if alt < arr1:
            arr1 = alt
        nw, sv = node[u, NWIN], node[u, SERVICE]
        s0 = _win_start(wlo, whi, nw, u, arr0)
        s1 = _win_start(wlo, whi, nw, u, arr1)
        e0[v, i + 1] = s0 + sv if s0 < INF else INF
        e1[v, i + 1] = s1 + sv if s1 < INF else INF
        a = b
    d = tm[a, end]
    arcs += cm[a, end]
    # backward: latest arrivals (position m + 1 is the end point)
    la1[v, m + 1] = veh[v, LATEST]
    la0[v, m + 1] = NEG
    b = end
    for i in range(m, 0, -1):
        u = path[v, i - 1]
        a = node[u, MAT]
        d = tm[a, b]
        n1, n0 = la1[v, i + 1], la0[v, i + 1]
        ld1 = n1 - d if n1 > NEG else NEG
        ld0 = n0 - d if n0 > NEG else NEG
        alt = _brk_latest(n1, d, blo, bhi, bdur)
        if alt > ld0:
            ld0 = alt
        nw, sv = node[u, NWIN], node[u, SERVICE]
        la1[v, i] = _win_latest(wlo, whi, nw, u, ld1 - sv if ld1 > NEG else NEG)
        la0[v, i] = _win_latest(wlo, whi, nw, u, ld0 - sv if ld0 > NEG else NEG)
        b = a
    load[v] = ld
    if m == 0:
        rcost[v] = 0
        return
    ok = _feasible_at(v, I0, e0, e1, la0, la1, veh, tm, path, node, m)
    if not ok or load[v] > veh[v, CAP]:
        rcost[v] = INF
        return
    cost = arcs + fixed
    if has_soft or veh[v, SPAN] < INF:
        late, span = _timed_extras(v, path, m, e0, la1, node, veh, wlo, whi, tm)
        if span > veh[v, SPAN]:
            rcost[v] = INF
            return
        cost += late
    rcost[v] = cost


@njit(cache=True)
def _feasible_at(v, i, e0, e1, la0, la1, veh, tm, path, node, m):
    """Whether the route is feasible, judged at the leg leaving position ``i``."""
    a = veh[v, START] if i == 0 else node[path[v, i - 1], MAT]
    b = veh[v, END] if i == m else node[path[v, i], MAT]
    d = tm[a, b]
    x0, x1 = e0[v, i], e1[v, i]
    if x1 < INF and x1 + d <= la1[v, i + 1]:
        return True
    if x0 < INF and x0 + d <= la0[v, i + 1]:
        return True
    return _brk(x0, d, veh[v, BLO], veh[v, BHI], veh[v, BDUR]) <= la1[v, i + 1]


@njit(cache=True)
def break_leg(v, path, m, e0, la1, node, veh, tm):
    """The leg (0..m) holding the break: the latest one that keeps the route feasible."""
    if veh[v, BDUR] <= 0 or m == 0:
        return -1
    blo, bhi, bdur = veh[v, BLO], veh[v, BHI], veh[v, BDUR]
    for k in range(m, -1, -1):
        if e0[v, k] >= INF:
            continue
        a = veh[v, START] if k == 0 else node[path[v, k - 1], MAT]
        b = veh[v, END] if k == m else node[path[v, k], MAT]
        if _brk(e0[v, k], tm[a, b], blo, bhi, bdur) <= la1[v, k + 1]:
            return k
    return -1


@njit(cache=True)
def _timed_extras(v, path, m, e0, la1, node, veh, wlo, whi, tm):
    """Soft lateness cost and working span of the route's schedule."""
    k = break_leg(v, path, m, e0, la1, node, veh, tm)
    t = veh[v, EARLIEST]
    a = veh[v, START]
    late = 0
    first_start = -1
    for i in range(m + 1):
        b = veh[v, END] if i == m else node[path[v, i], MAT]
        d = tm[a, b]
        arr = _brk(t, d, veh[v, BLO], veh[v, BHI], veh[v, BDUR]) if i == k else t + d
        if i == m:
            t = arr
            break
        u = path[v, i]
        s = _win_start(wlo, whi, node[u, NWIN], u, arr)
        if i == 0:
            first_start = s
        if node[u, SOFT_COST] > 0 and s > node[u, SOFT_DUE]:
            late += (s - node[u, SOFT_DUE]) * node[u, SOFT_COST]
        t = s + node[u, SERVICE]
        a = b
    depart = veh[v, EARLIEST]
    if m > 0 and k != 0:
        late_depart = first_start - tm[veh[v, START], node[path[v, 0], MAT]]
        if late_depart > depart:
            depart = late_depart
    return late, t - depart


@njit(cache=True)
def best_insertion(u, path, rlen, e0, e1, la0, la1, load, node, veh, wlo, whi, tm, cm, fixed,
                   allowed, dep_ok, sig_seen, stamp, blink, maxlen, has_soft, mod, failed):
    """Cheapest feasible (delta, vehicle, position) for visit ``u``; vehicle -1 if none.

    Empty vehicles are tried once per signature (interchangeable vehicles); each feasible
    position is skipped with probability ``blink``. Routes unchanged since ``u`` last found no
    place (change clock ``failed``) are skipped: they still have none.
    """
    cand, nc = _changed_since(failed, mod, veh.shape[0])
    return _best_in(u, path, rlen, e0, e1, la0, la1, load, node, veh, wlo, whi, tm, cm, fixed,
                    allowed, dep_ok, sig_seen, stamp, blink, maxlen, has_soft, mod, failed, cand,
                    nc)


@njit(cache=True)
def _near_routes(u, near, granular, route_of, rlen, mod, failed, cand):
    """Routes holding one of ``u``'s ``granular`` nearest visits, plus empty ones, ascending.

    Only routes changed after clock ``failed`` (all if -1). The granular neighbourhood of large
    days: a visit is inserted next to its neighbours, not tried in every route of the city.
    """
    nc = 0
    top = min(granular + 1, near.shape[1])
    for j in range(1, top):
        v = route_of[near[u, j]]
        if v >= 0 and mod[v] > failed:
            cand[nc] = v
            nc += 1
    for v in range(rlen.shape[0]):
        if rlen[v] == 0 and mod[v] > failed:
            cand[nc] = v
            nc += 1
    cand[:nc].sort()
    w = 0
    for i in range(nc):
        if i == 0 or cand[i] != cand[i - 1]:
            cand[w] = cand[i]
            w += 1
    return w


@njit(cache=True)
def _best_in(u, path, rlen, e0, e1, la0, la1, load, node, veh, wlo, whi, tm, cm, fixed, allowed,
             dep_ok, sig_seen, stamp, blink, maxlen, has_soft, mod, failed, cand, nc):
    """:func:`best_insertion` over routes ``cand[:nc]`` (ascending; every route if ``nc`` < 0)."""
    k = veh.shape[0]
    mu = node[u, MAT]
    sv, nw = node[u, SERVICE], node[u, NWIN]
    best, best_v, best_p = INF, -1, -1
    u_close = whi[u, nw - 1]
    u_open = wlo[u, 0] + sv
    for idx in range(k if nc < 0 else nc):
        v = idx if nc < 0 else cand[idx]
        if not allowed[u, v] or not dep_ok[v] or mod[v] <= failed:
            continue
        m = rlen[v]
        if m + 1 > maxlen:
            continue
        if load[v] + node[u, DEMAND] > veh[v, CAP]:
            continue
        if m == 0:
            s = veh[v, SIG]
            if sig_seen[s] == stamp:
                continue
            sig_seen[s] = stamp
        blo, bhi, bdur = veh[v, BLO], veh[v, BHI], veh[v, BDUR]
        a = veh[v, START]
        for p in range(m + 1):
            x0, x1 = e0[v, p], e1[v, p]
            # departures only grow along the route: past the last window nothing fits
            if (x0 if x0 < x1 else x1) > u_close:
                break
            # latest arrivals only grow too: before u could be served and leave, skip
            if la0[v, p + 1] < u_open and la1[v, p + 1] < u_open:
                continue
            b = veh[v, END] if p == m else node[path[v, p], MAT]
            if p > 0:
                a = node[path[v, p - 1], MAT]
            delta = cm[a, mu] + cm[mu, b] - cm[a, b]
            if m == 0:
                delta += fixed
            if delta >= best:
                continue
            d1 = tm[a, mu]
            arr0 = x0 + d1 if x0 < INF else INF
            arr1 = x1 + d1 if x1 < INF else INF
            alt = _brk(x0, d1, blo, bhi, bdur)
            if alt < arr1:
                arr1 = alt
            s0 = _win_start(wlo, whi, nw, u, arr0)
            s1 = _win_start(wlo, whi, nw, u, arr1)
            if s0 >= INF and s1 >= INF:
                continue
            d2 = tm[mu, b]
            n1, n0 = la1[v, p + 1], la0[v, p + 1]
            ok = False
            st = INF
            if s1 < INF and s1 + sv + d2 <= n1:
                ok = True
                st = s1
            if s0 < INF and (s0 + sv + d2 <= n0 or _brk(s0 + sv, d2, blo, bhi, bdur) <= n1):
                ok = True
                if s0 < st:
                    st = s0
            if not ok:
                continue
            if has_soft and node[u, SOFT_COST] > 0 and st > node[u, SOFT_DUE]:
                delta += (st - node[u, SOFT_DUE]) * node[u, SOFT_COST]
                if delta >= best:
                    continue
            if veh[v, SPAN] < INF and not _span_ok(v, u, p, path, m, node, veh, wlo, whi, tm):
                continue
            if blink > 0 and np.random.random() < blink:
                continue
            best, best_v, best_p = delta, v, p
    return best, best_v, best_p


@njit(cache=True)
def _span_ok(v, u, p, path, m, node, veh, wlo, whi, tm):
    """Exact working-span check of route ``v`` with ``u`` inserted at ``p`` (rare: slow path)."""
    seq = np.empty(m + 1, dtype=np.int64)
    seq[:p] = path[v, :p]
    seq[p] = u
    seq[p + 1 :] = path[v, p:m]
    tmp = np.empty((1, m + 1), dtype=np.int64)
    tmp[0] = seq
    e0 = np.empty((1, m + 2), dtype=np.int64)
    e1 = np.empty((1, m + 2), dtype=np.int64)
    la0 = np.empty((1, m + 3), dtype=np.int64)
    la1 = np.empty((1, m + 3), dtype=np.int64)
    vv = veh[v : v + 1].copy()
    rl = np.array([m + 1], dtype=np.int64)
    ld = np.zeros(1, dtype=np.int64)
    rc = np.zeros(1, dtype=np.int64)
    vv[0, CAP] = INF
    refresh(I0, tmp, rl, e0, e1, la0, la1, ld, rc, node, vv, wlo, whi, tm, tm, I0, np.bool_(True))
    return rc[0] < INF


@njit(cache=True)
def _bump(v, mod):
    """Mark route ``v`` changed (``mod[-1]`` is the change clock).

    ``mod`` is laid out as the change time of each route, then a ring of the last ``mod[-2]``
    changed routes (indexed by clock), then the ring size and the clock.
    """
    mod[-1] += 1
    mod[v] = mod[-1]
    ring = mod[-2]
    if ring > 0:
        mod[mod.shape[0] - 2 - ring + mod[-1] % ring] = v


@njit(cache=True)
def _changed_since(failed, mod, k):
    """Routes changed after clock ``failed``, ascending; count -1 when every route must be tried.

    Lets a visit that found no place retry only the few routes changed since, in the order a
    full scan would meet them (same result, without touching every vehicle).
    """
    ring = mod[-2]
    clock = mod[-1]
    span = clock - failed
    if failed < 0 or ring <= 0 or span > ring or 2 * span >= k:
        return np.empty(0, dtype=np.int64), -1
    cand = np.empty(span, dtype=np.int64)
    nc = 0
    base = mod.shape[0] - 2 - ring
    for c in range(failed + 1, clock + 1):
        v = mod[base + c % ring]
        if mod[v] == c:  # a route counted once, at its latest change
            cand[nc] = v
            nc += 1
    cand[:nc].sort()
    return cand, nc


@njit(cache=True)
def insert_at(u, v, p, path, rlen, route_of):
    """Put visit ``u`` into route ``v`` before position ``p`` (timing is refreshed by caller)."""
    m = rlen[v]
    for i in range(m, p, -1):
        path[v, i] = path[v, i - 1]
    path[v, p] = u
    rlen[v] = m + 1
    route_of[u] = v


@njit(cache=True)
def dep_mask(u, out, route_of, dep_ptr, dep_other, dep_gap, dep_kind, vday):
    """Vehicles whose day keeps ``u``'s dependencies (``out`` filled; False if none)."""
    k = out.shape[0]
    for v in range(k):
        out[v] = True
    any_ok = True
    for j in range(dep_ptr[u], dep_ptr[u + 1]):
        o, gap = dep_other[j], dep_gap[j]
        w = route_of[o]
        if dep_kind[j] == 1:  # u comes after o
            if w < 0:
                for v in range(k):
                    out[v] = False
                return False
            for v in range(k):
                if vday[v] < vday[w] + gap:
                    out[v] = False
        elif w >= 0:  # u comes before o, which is served
            for v in range(k):
                if vday[v] + gap > vday[w]:
                    out[v] = False
    return any_ok


@njit(cache=True)
def _touch(v, it, path, rlen, bk_path, bk_len, bk_stamp, touched, nt):
    if bk_stamp[v] != it:
        bk_stamp[v] = it
        m = rlen[v]
        bk_path[v, :m] = path[v, :m]
        bk_len[v] = m
        touched[nt[0]] = v
        nt[0] += 1


@njit(cache=True)
def _remove(marks, nmark, it, path, rlen, e0, e1, la0, la1, load, rcost, route_of, absent,
            nabs, node, veh, wlo, whi, tm, cm, fixed, has_soft, bk_path, bk_len, bk_stamp,
            touched, nt, dep_ptr, dep_other, dep_kind, removed_flag, mod, fail_at, obj):
    """Take the marked visits (and served visits depending on them) out; returns objective."""
    # cascade: a visit whose predecessor leaves must leave too
    i = 0
    while i < nmark[0]:
        u = marks[i]
        for j in range(dep_ptr[u], dep_ptr[u + 1]):
            o = dep_other[j]
            if dep_kind[j] == 0 and route_of[o] >= 0 and not removed_flag[o]:
                removed_flag[o] = True
                marks[nmark[0]] = o
                nmark[0] += 1
        i += 1
    for i in range(nmark[0]):
        u = marks[i]
        v = route_of[u]
        _touch(v, it, path, rlen, bk_path, bk_len, bk_stamp, touched, nt)
    for t in range(nt[0]):
        v = touched[t]
        m = rlen[v]
        w = 0
        changed = False
        for i in range(m):
            u = path[v, i]
            if removed_flag[u]:
                changed = True
                continue
            path[v, w] = u
            w += 1
        if changed:
            rlen[v] = w
            _bump(v, mod)
            obj -= rcost[v]
            refresh(v, path, rlen, e0, e1, la0, la1, load, rcost, node, veh, wlo, whi, tm, cm,
                    fixed, has_soft)
            obj += rcost[v]
    for i in range(nmark[0]):
        u = marks[i]
        removed_flag[u] = False
        fail_at[u] = -1
        route_of[u] = -1
        absent[nabs[0]] = u
        nabs[0] += 1
        obj += node[u, PENALTY]
    nmark[0] = 0
    return obj


@njit(cache=True)
def _mark(u, marks, nmark, removed_flag):
    if not removed_flag[u]:
        removed_flag[u] = True
        marks[nmark[0]] = u
        nmark[0] += 1


@njit(cache=True)
def _ruin(path, rlen, route_of, absent, nabs, node, veh, allowed, near, marks, nmark,
          removed_flag, ruined, avg_removed, max_string, split_rate, split_depth,
          route_removal, room_rate):
    """Mark a SISR removal: strings of stops from routes near a seed (served or absent)."""
    k = veh.shape[0]
    used = 0
    served = 0
    for v in range(k):
        ruined[v] = False
        if rlen[v] > 0:
            used += 1
            served += rlen[v]
    if used == 0:
        return
    ls_max = min(float(max_string), served / used)
    ks_max = 4.0 * avg_removed / (1.0 + ls_max) - 1.0
    ks = int(np.random.uniform(1.0, ks_max + 1.0))
    if nabs[0] > 0 and np.random.random() < room_rate:
        # make room for a left-out visit: the best of a few sampled ones
        seed = absent[np.random.randint(nabs[0])]
        for _ in range(3):
            c = absent[np.random.randint(nabs[0])]
            if node[c, PENALTY] > node[seed, PENALTY]:
                seed = c
        _room(seed, path, rlen, node, veh, allowed, marks, nmark, removed_flag)
    else:
        pick = np.random.randint(served)
        seed = -1
        for v in range(k):
            if pick < rlen[v]:
                seed = path[v, pick]
                break
            pick -= rlen[v]
    nr = 0
    for j in range(near.shape[1]):
        if nr >= ks:
            break
        c = near[seed, j]
        v = route_of[c]
        if v < 0 or ruined[v]:
            continue
        m = rlen[v]
        pos = 0
        for i in range(m):
            if path[v, i] == c:
                pos = i
                break
        lt_max = min(float(m), ls_max)
        length = int(np.random.uniform(1.0, lt_max + 1.0))
        if length > m:
            length = m
        if length < m and np.random.random() < split_rate:
            keep = 1
            while length + keep < m and np.random.random() > split_depth:
                keep += 1
            total = length + keep
            lo = max(0, pos - total + 1)
            hi = min(pos, m - total)
            first = np.random.randint(lo, hi + 1)
            cut = np.random.randint(0, length + 1)
            for i in range(total):
                if i < cut or i >= cut + keep:
                    _mark(path[v, first + i], marks, nmark, removed_flag)
        else:
            lo = max(0, pos - length + 1)
            hi = min(pos, m - length)
            first = np.random.randint(lo, hi + 1)
            for i in range(length):
                _mark(path[v, first + i], marks, nmark, removed_flag)
        ruined[v] = True
        nr += 1
    if np.random.random() < route_removal:
        a = np.random.randint(k)
        b = np.random.randint(k)
        for _ in range(20):
            if rlen[a] > 0 and not ruined[a]:
                break
            a = np.random.randint(k)
        for _ in range(20):
            if rlen[b] > 0 and not ruined[b]:
                break
            b = np.random.randint(k)
        v = a if rlen[a] <= rlen[b] else b
        if not ruined[v]:
            for i in range(rlen[v]):
                _mark(path[v, i], marks, nmark, removed_flag)


@njit(cache=True)
def _room(u, path, rlen, node, veh, allowed, marks, nmark, removed_flag):
    """Mark the lower-priority stops of one random vehicle allowed for ``u``."""
    k = veh.shape[0]
    count = 0
    for v in range(k):
        if allowed[u, v]:
            count += 1
    if count == 0:
        return
    pick = np.random.randint(count)
    for v in range(k):
        if allowed[u, v]:
            if pick == 0:
                for i in range(rlen[v]):
                    w = path[v, i]
                    if node[w, PENALTY] < node[u, PENALTY]:
                        _mark(w, marks, nmark, removed_flag)
                return
            pick -= 1


@njit(cache=True)
def _top_costs(row, kk):
    """The ``kk`` (at most 3) smallest entries of ``row``, ascending, INF where missing."""
    c = np.full(3, INF, dtype=np.int64)
    for v in range(row.shape[0]):
        x = row[v]
        if x >= c[kk - 1]:
            continue
        j = kk - 1
        while j > 0 and c[j - 1] > x:
            c[j] = c[j - 1]
            j -= 1
        c[j] = x
    return c


@njit(cache=True)
def _regret_score(c, kk, spread):
    """Regret of a visit with sorted route costs ``c``: sum of (c_j - c_1), j = 2..kk.

    A missing option counts ``spread``, so a visit with fewer feasible routes comes first.
    """
    s = 0.0
    for j in range(1, kk):
        s += float(spread) if c[j] >= INF else float(c[j] - c[0])
    return s


@njit(cache=True)
def _regret_insert(it, group, kk, blink, path, rlen, e0, e1, la0, la1, load, rcost, route_of,
                   absent, nabs, node, veh, wlo, whi, tm, cm, fixed, allowed, dmask, has_soft,
                   maxlen, sig_seen, stamp, bk_path, bk_len, bk_stamp, touched, nt, mod,
                   fail_at, obj, near, granular, cand):
    """Regret-``kk`` insertion of the visits ``group`` (one penalty class, no dependencies).

    Each step inserts, at its cheapest position, the visit whose best route is cheapest by the
    widest margin over its next ``kk - 1`` routes (a visit with fewer feasible routes first):
    visits with few options are placed before greedy choices take their room. Costs are kept per
    (visit, route) and only the route just changed is re-evaluated. A visit with no feasible
    route left goes to ``absent`` with the change clock, as in the greedy recreate.
    """
    k = veh.shape[0]
    g = group.shape[0]
    cost = np.full((g, k), INF, dtype=np.int64)
    pos = np.zeros((g, k), dtype=np.int64)
    top = np.full((g, 3), INF, dtype=np.int64)
    alive = np.ones(g, dtype=np.bool_)
    one = np.zeros(1, dtype=np.int64)
    spread = 0
    for i in range(g):
        u = group[i]
        failed = fail_at[u]
        if granular > 0:
            nc = _near_routes(u, near, granular, route_of, rlen, mod, failed, cand)
            lst = cand
        else:
            lst, nc = _changed_since(failed, mod, k)
        for t in range(k if nc < 0 else nc):
            v = t if nc < 0 else lst[t]
            one[0] = v
            stamp[0] += 1  # every empty route priced: interchangeable ones tie, regret 0
            d, bv, bp = _best_in(u, path, rlen, e0, e1, la0, la1, load, node, veh, wlo, whi, tm,
                                 cm, fixed, allowed, dmask, sig_seen, stamp[0], blink, maxlen,
                                 has_soft, mod, failed, one, I1)
            if bv >= 0:
                cost[i, v] = d
                pos[i, v] = bp
                if d > spread:
                    spread = d
        top[i] = _top_costs(cost[i], kk)
    spread = 2 * spread + 1
    for _ in range(g):
        pick = -1
        best_s = -1.0
        for i in range(g):
            if not alive[i]:
                continue
            if top[i, 0] >= INF:
                u = group[i]
                alive[i] = False
                absent[nabs[0]] = u
                nabs[0] += 1
                fail_at[u] = mod[-1]
                continue
            s = _regret_score(top[i], kk, spread) + np.random.random() * 1e-3
            if s > best_s:
                best_s, pick = s, i
        if pick < 0:
            break
        u = group[pick]
        alive[pick] = False
        row = cost[pick]
        v = 0
        for w in range(k):
            if row[w] == top[pick, 0]:
                v = w
                break
        p = pos[pick, v]
        _touch(v, it, path, rlen, bk_path, bk_len, bk_stamp, touched, nt)
        insert_at(u, v, p, path, rlen, route_of)
        fail_at[u] = -1
        _bump(v, mod)
        obj -= rcost[v]
        refresh(v, path, rlen, e0, e1, la0, la1, load, rcost, node, veh, wlo, whi, tm, cm, fixed,
                has_soft)
        obj += rcost[v] - node[u, PENALTY]
        one[0] = v
        for i in range(g):
            if not alive[i]:
                continue
            w = group[i]
            old = cost[i, v]
            stamp[0] += 1
            d, bv, bp = _best_in(w, path, rlen, e0, e1, la0, la1, load, node, veh, wlo, whi, tm,
                                 cm, fixed, allowed, dmask, sig_seen, stamp[0], blink, maxlen,
                                 has_soft, mod, NONE, one, I1)
            new = d if bv >= 0 else INF
            cost[i, v] = new
            pos[i, v] = bp
            if old <= top[i, kk - 1] or new < top[i, kk - 1]:
                top[i] = _top_costs(cost[i], kk)
    return obj


@njit(cache=True)
def _recreate(it, blink, order_weights, path, rlen, e0, e1, la0, la1, load, rcost, route_of,
              absent, nabs, node, veh, wlo, whi, tm, cm, fixed, allowed, far, dep_ptr,
              dep_other, dep_gap, dep_kind, vday, has_soft, maxlen, sig_seen, stamp, bk_path,
              bk_len, bk_stamp, touched, nt, dmask, keys, calls, mod, fail_at, obj, near,
              granular, regret_k):
    """Insert every absent visit at its cheapest feasible position, in a randomised order.

    With ``granular`` > 0 a visit is tried only in routes near it (:func:`_near_routes`).
    Order ``REGRET_ORDER`` (weight ``order_weights[REGRET_ORDER]``, if that long) inserts each
    penalty class by regret-``regret_k`` instead (:func:`_regret_insert`); on problems with day
    dependencies it falls back to the random order.
    """
    n = nabs[0]
    if n == 0:
        return obj
    total = 0.0
    for w in order_weights:
        total += w
    pick = np.random.random() * total
    mode = 0
    for i in range(order_weights.shape[0]):
        if pick < order_weights[i]:
            mode = i
            break
        pick -= order_weights[i]
    for i in range(n):
        u = absent[i]
        if mode == 1:
            sec = -float(node[u, DEMAND])
        elif mode == 2:
            sec = -float(far[u])
        elif mode == 3:
            sec = float(far[u])
        elif mode == 4:
            sec = float(min(whi[u, node[u, NWIN] - 1] - wlo[u, 0], 1 << 40))
        elif mode == 5:
            sec = float(max(min(wlo[u, 0], 1 << 40), -(1 << 40)))
        elif mode == 6:
            sec = -float(node[u, SERVICE])
        else:
            sec = np.random.random()
        keys[i] = node[u, CLASS] * 1e13 + sec + np.random.random() * 1e-3
    order = np.argsort(keys[:n])
    calls[0] += n
    todo = absent[:n].copy()
    nabs[0] = 0
    has_deps = dep_ptr[-1] > 0
    cand = np.empty(near.shape[1] + veh.shape[0] if granular > 0 else 0, dtype=np.int64)
    dmask[:] = True
    if mode == REGRET_ORDER and not has_deps:
        kk = min(max(regret_k, 2), 3)
        j = 0
        while j < n:
            c = node[todo[order[j]], CLASS]
            e = j
            while e < n and node[todo[order[e]], CLASS] == c:
                e += 1
            obj = _regret_insert(it, todo[order[j:e]], kk, blink, path, rlen, e0, e1, la0,
                                 la1, load, rcost, route_of, absent, nabs, node, veh, wlo,
                                 whi, tm, cm, fixed, allowed, dmask, has_soft, maxlen,
                                 sig_seen, stamp, bk_path, bk_len, bk_stamp, touched, nt, mod,
                                 fail_at, obj, near, granular, cand)
            j = e
        return obj
    masked = False
    for j in range(n):
        u = todo[order[j]]
        failed = fail_at[u]
        if has_deps and dep_ptr[u + 1] > dep_ptr[u]:
            dep_mask(u, dmask, route_of, dep_ptr, dep_other, dep_gap, dep_kind, vday)
            masked = True
            failed = -1
        elif masked:
            dmask[:] = True
            masked = False
        stamp[0] += 1
        if granular > 0:
            nc = _near_routes(u, near, granular, route_of, rlen, mod, failed, cand)
            _, v, p = _best_in(u, path, rlen, e0, e1, la0, la1, load, node, veh, wlo, whi, tm,
                               cm, fixed, allowed, dmask, sig_seen, stamp[0], blink, maxlen,
                               has_soft, mod, failed, cand, nc)
        else:
            _, v, p = best_insertion(u, path, rlen, e0, e1, la0, la1, load, node, veh, wlo,
                                     whi, tm, cm, fixed, allowed, dmask, sig_seen, stamp[0],
                                     blink, maxlen, has_soft, mod, failed)
        if v < 0:
            absent[nabs[0]] = u
            nabs[0] += 1
            fail_at[u] = mod[-1]
            continue
        _touch(v, it, path, rlen, bk_path, bk_len, bk_stamp, touched, nt)
        insert_at(u, v, p, path, rlen, route_of)
        fail_at[u] = -1
        _bump(v, mod)
        obj -= rcost[v]
        refresh(v, path, rlen, e0, e1, la0, la1, load, rcost, node, veh, wlo, whi, tm, cm, fixed,
                has_soft)
        obj += rcost[v] - node[u, PENALTY]
    return obj


@njit(cache=True)
def _take_out(v, i, path, rlen, route_of):
    """Remove the visit at position ``i`` of route ``v`` (timing is refreshed by caller)."""
    u = path[v, i]
    m = rlen[v]
    for j in range(i, m - 1):
        path[v, j] = path[v, j + 1]
    rlen[v] = m - 1
    route_of[u] = -1
    return u


@njit(cache=True)
def _relocate(u, path, rlen, e0, e1, la0, la1, load, rcost, route_of, node, veh, wlo, whi, tm,
              cm, fixed, allowed, dmask, sig_seen, stamp, maxlen, has_soft, mod, near, granular,
              cand, saved, obj):
    """Move served visit ``u`` to its cheapest position in any route if that lowers the objective.

    Exact: both routes are re-timed and the move undone unless the objective falls (soft
    lateness of the stops after ``u`` included). Returns the new objective.
    """
    v = route_of[u]
    m = rlen[v]
    i = 0
    while path[v, i] != u:
        i += 1
    saved[:m] = path[v, :m]
    before_v = rcost[v]
    _take_out(v, i, path, rlen, route_of)
    _bump(v, mod)
    refresh(v, path, rlen, e0, e1, la0, la1, load, rcost, node, veh, wlo, whi, tm, cm, fixed,
            has_soft)
    gain = before_v - rcost[v]
    best_v, best_p = -1, -1
    if rcost[v] < INF and gain > 0:
        stamp[0] += 1
        if granular > 0:
            nc = _near_routes(u, near, granular, route_of, rlen, mod, NONE, cand)
            cand[nc] = v  # its own route too (intra-route move)
            nc += 1
            cand[:nc].sort()
            w = I0
            for j in range(nc):
                if j == 0 or cand[j] != cand[j - 1]:
                    cand[w] = cand[j]
                    w += 1
            delta, best_v, best_p = _best_in(u, path, rlen, e0, e1, la0, la1, load, node, veh,
                                             wlo, whi, tm, cm, fixed, allowed, dmask, sig_seen,
                                             stamp[0], 0.0, maxlen, has_soft, mod, NONE, cand, w)
        else:
            delta, best_v, best_p = _best_in(u, path, rlen, e0, e1, la0, la1, load, node, veh,
                                             wlo, whi, tm, cm, fixed, allowed, dmask, sig_seen,
                                             stamp[0], 0.0, maxlen, has_soft, mod, NONE, cand, NONE)
        if best_v >= 0 and delta >= gain:
            best_v = -1
    if best_v >= 0:
        before_w = rcost[best_v] if best_v != v else 0
        insert_at(u, best_v, best_p, path, rlen, route_of)
        _bump(best_v, mod)
        refresh(best_v, path, rlen, e0, e1, la0, la1, load, rcost, node, veh, wlo, whi, tm, cm,
                fixed, has_soft)
        if best_v == v:
            change = rcost[v] - before_v
        else:
            change = rcost[best_v] - before_w + rcost[v] - before_v
        if change < 0:
            return obj + change
        # soft lateness further down the route made it worse: take it back out
        j = 0
        while path[best_v, j] != u:
            j += 1
        _take_out(best_v, j, path, rlen, route_of)
        _bump(best_v, mod)
        refresh(best_v, path, rlen, e0, e1, la0, la1, load, rcost, node, veh, wlo, whi, tm, cm,
                fixed, has_soft)
    path[v, :m] = saved[:m]
    rlen[v] = m
    route_of[u] = v
    _bump(v, mod)
    refresh(v, path, rlen, e0, e1, la0, la1, load, rcost, node, veh, wlo, whi, tm, cm, fixed,
            has_soft)
    return obj


@njit(cache=True)
def polish(path, rlen, e0, e1, la0, la1, load, rcost, route_of, absent, nabs, node, veh, wlo,
           whi, tm, cm, fixed, allowed, near, far, dep_ptr, dep_other, dep_gap, dep_kind, vday,
           has_soft, maxlen, work, obj, granular, rounds):
    """Local search on the current solution: relocate moves to a local optimum, then refill.

    Each served visit (without day dependencies) in turn moves to its cheapest position in
    any route (its own included: an or-opt of one stop) when that lowers the objective; up to
    ``rounds`` passes, fewer once a pass finds nothing. The time a move frees is then offered
    to the left-out visits by a greedy insertion without blinks. Returns the objective; it
    never rises.
    """
    bk_path, bk_len, bk_stamp, touched, nt = work[:5]
    sig_seen, stamp, dmask, keys, calls, mod, fail_at = work[9:]
    n = route_of.shape[0]
    dmask[:] = True
    cand = np.empty(near.shape[1] + veh.shape[0] + 1, dtype=np.int64)
    saved = np.empty(path.shape[1], dtype=np.int64)
    for _ in range(rounds):
        start = obj
        for u in range(n):
            if route_of[u] < 0 or dep_ptr[u + 1] > dep_ptr[u]:
                continue
            obj = _relocate(u, path, rlen, e0, e1, la0, la1, load, rcost, route_of, node, veh,
                            wlo, whi, tm, cm, fixed, allowed, dmask, sig_seen, stamp, maxlen,
                            has_soft, mod, near, granular, cand, saved, obj)
        if obj >= start:
            break
    weights = np.zeros(7)
    weights[6] = 1.0  # longest service first: the freed time suits long visits best
    nt[0] = 0
    obj = _recreate(NONE, 0.0, weights, path, rlen, e0, e1, la0, la1, load, rcost, route_of,
                    absent, nabs, node, veh, wlo, whi, tm, cm, fixed, allowed, far, dep_ptr,
                    dep_other, dep_gap, dep_kind, vday, has_soft, maxlen, sig_seen, stamp,
                    bk_path, bk_len, bk_stamp, touched, nt, dmask, keys, calls, mod, fail_at,
                    obj, near, granular, np.int64(2))
    nt[0] = 0
    return obj


@njit(cache=True)
def _tail_allowed(src, lo, hi, dst, path, allowed):
    """Whether every stop ``lo..hi - 1`` of route ``src`` may ride vehicle ``dst``."""
    ok = True
    for i in range(lo, hi):
        if not allowed[path[src, i], dst]:
            ok = False
            break
    return ok


@njit(cache=True)
def _same_evening(a, b, veh):
    """Whether routes ``a`` and ``b`` end alike (end point, latest return, break): then one's
    latest arrivals hold for a tail moved onto the other."""
    return (veh[a, END] == veh[b, END] and veh[a, LATEST] == veh[b, LATEST]
            and veh[a, BLO] == veh[b, BLO] and veh[a, BHI] == veh[b, BHI]
            and veh[a, BDUR] == veh[b, BDUR])


@njit(cache=True)
def _join_ok(x0, x1, d, la0n, la1n, blo, bhi, bdur):
    """Whether a departure (break pending ``x0`` / taken ``x1``) reaches a stop by its latest."""
    if x1 < INF and x1 + d <= la1n:
        return True
    if x0 < INF and x0 + d <= la0n:
        return True
    return _brk(x0, d, blo, bhi, bdur) <= la1n


@njit(cache=True)
def _build_tails(a, i, b, j, path, rlen, tpath, trlen):
    """Rows 0, 1 of ``tpath``: route ``a`` up to position ``i`` then ``b`` from ``j``, and
    ``b`` before ``j`` then ``a`` after ``i``."""
    ma, mb = rlen[a], rlen[b]
    n0 = 0
    for x in range(i + 1):
        tpath[0, n0] = path[a, x]
        n0 += 1
    for x in range(j, mb):
        tpath[0, n0] = path[b, x]
        n0 += 1
    n1 = 0
    for x in range(j):
        tpath[1, n1] = path[b, x]
        n1 += 1
    for x in range(i + 1, ma):
        tpath[1, n1] = path[a, x]
        n1 += 1
    trlen[0], trlen[1] = n0, n1


@njit(cache=True)
def _exchange_tails(u, path, rlen, e0, e1, la0, la1, load, rcost, route_of, node, veh, wlo,
                    whi, tm, cm, fixed, allowed, maxlen, has_soft, mod, near, neighbours, tmp):
    """Best improving tail exchange (2-opt*) that makes ``u`` go straight to a near visit.

    For each of ``u``'s nearest visits ``w`` in another route, ``u``'s route continues with
    ``w`` and the rest of ``w``'s route, which continues with what followed ``u``. Arc costs
    filter in O(1), so do latest arrivals where both vehicles end alike; a candidate is then
    re-timed exactly (both routes). The best one is applied. Returns the objective change (0:
    no move).
    """
    tpath, trlen, te0, te1, tla0, tla1, tload, trcost, tveh = tmp
    a = route_of[u]
    ma = rlen[a]
    i = 0
    while path[a, i] != u:
        i += 1
    mu = node[u, MAT]
    end_a = veh[a, END]
    tail_a = ma - i - 1
    nxt = end_a if tail_a == 0 else node[path[a, i + 1], MAT]
    first_a = nxt
    last_a = node[path[a, ma - 1], MAT]
    best, best_b, best_j = 0, NONE, NONE
    top = min(neighbours + 1, near.shape[1])
    for jj in range(1, top):
        w = near[u, jj]
        b = route_of[w]
        if b < 0 or b == a:
            continue
        mb = rlen[b]
        j = 0
        while path[b, j] != w:
            j += 1
        if i + 1 + mb - j > maxlen or j + tail_a > maxlen:
            continue
        end_b = veh[b, END]
        mw = node[w, MAT]
        prev = veh[b, START] if j == 0 else node[path[b, j - 1], MAT]
        last_b = node[path[b, mb - 1], MAT]
        delta = cm[mu, mw] - cm[mu, nxt] - cm[prev, mw] + cm[last_b, end_a] - cm[last_b, end_b]
        if tail_a > 0:
            delta += cm[prev, first_a] + cm[last_a, end_b] - cm[last_a, end_a]
        elif j == 0:
            delta -= fixed  # b is left empty
        else:
            delta += cm[prev, end_b]
        if delta >= best:
            continue
        if _same_evening(a, b, veh):
            if not _join_ok(e0[a, i + 1], e1[a, i + 1], tm[mu, mw], la0[b, j + 1],
                            la1[b, j + 1], veh[a, BLO], veh[a, BHI], veh[a, BDUR]):
                continue
            if tail_a > 0 and not _join_ok(e0[b, j], e1[b, j], tm[prev, first_a],
                                           la0[a, i + 2], la1[a, i + 2], veh[b, BLO],
                                           veh[b, BHI], veh[b, BDUR]):
                continue
        if not _tail_allowed(b, j, mb, a, path, allowed):
            continue
        if not _tail_allowed(a, i + 1, ma, b, path, allowed):
            continue
        _build_tails(a, i, b, j, path, rlen, tpath, trlen)
        tveh[0] = veh[a]
        tveh[1] = veh[b]
        refresh(I0, tpath, trlen, te0, te1, tla0, tla1, tload, trcost, node, tveh, wlo, whi, tm,
                cm, fixed, has_soft)
        if trcost[0] >= INF:
            continue
        refresh(I1, tpath, trlen, te0, te1, tla0, tla1, tload, trcost, node, tveh, wlo, whi, tm,
                cm, fixed, has_soft)
        if trcost[1] >= INF:
            continue
        change = trcost[0] + trcost[1] - rcost[a] - rcost[b]
        if change < best:
            best, best_b, best_j = change, b, j
    if best_b < 0:
        return 0
    b = best_b
    _build_tails(a, i, b, best_j, path, rlen, tpath, trlen)
    for r, v in ((0, a), (1, b)):
        m = trlen[r]
        path[v, :m] = tpath[r, :m]
        rlen[v] = m
        for x in range(m):
            route_of[path[v, x]] = v
        _bump(v, mod)
        refresh(v, path, rlen, e0, e1, la0, la1, load, rcost, node, veh, wlo, whi, tm, cm, fixed,
                has_soft)
    return best


@njit(cache=True)
def exchange(path, rlen, e0, e1, la0, la1, load, rcost, route_of, absent, nabs, node, veh, wlo,
             whi, tm, cm, fixed, allowed, near, far, dep_ptr, dep_other, dep_gap, dep_kind, vday,
             has_soft, maxlen, work, obj, granular, neighbours, rounds):
    """Local search between routes: tail exchanges (2-opt*) to a local optimum, then refill.

    Every served visit in turn is offered the best improving tail exchange with a route holding
    one of its ``neighbours`` nearest visits (:func:`_exchange_tails`); up to ``rounds``
    passes, fewer once a pass finds nothing. The time freed is then offered to the left-out
    visits (greedy, longest first, no blinks). Problems with day dependencies are returned as
    they are. Returns the objective; it never rises.
    """
    if dep_ptr[-1] > 0:
        return obj
    bk_path, bk_len, bk_stamp, touched, nt = work[:5]
    sig_seen, stamp, dmask, keys, calls, mod, fail_at = work[9:]
    n = route_of.shape[0]
    width = path.shape[1]
    tmp = (np.zeros((2, width), dtype=np.int64), np.zeros(2, dtype=np.int64),
           np.zeros((2, width + 1), dtype=np.int64), np.zeros((2, width + 1), dtype=np.int64),
           np.zeros((2, width + 2), dtype=np.int64), np.zeros((2, width + 2), dtype=np.int64),
           np.zeros(2, dtype=np.int64), np.zeros(2, dtype=np.int64),
           np.zeros((2, veh.shape[1]), dtype=np.int64))
    moved = False
    for _ in range(rounds):
        start = obj
        for u in range(n):
            if route_of[u] < 0:
                continue
            obj += _exchange_tails(u, path, rlen, e0, e1, la0, la1, load, rcost, route_of, node,
                                   veh, wlo, whi, tm, cm, fixed, allowed, maxlen, has_soft, mod,
                                   near, neighbours, tmp)
        if obj >= start:
            break
        moved = True
    if not moved or nabs[0] == 0:
        return obj
    dmask[:] = True
    weights = np.zeros(7)
    weights[6] = 1.0  # longest service first: the freed time suits long visits best
    nt[0] = 0
    obj = _recreate(NONE, 0.0, weights, path, rlen, e0, e1, la0, la1, load, rcost, route_of,
                    absent, nabs, node, veh, wlo, whi, tm, cm, fixed, allowed, far, dep_ptr,
                    dep_other, dep_gap, dep_kind, vday, has_soft, maxlen, sig_seen, stamp,
                    bk_path, bk_len, bk_stamp, touched, nt, dmask, keys, calls, mod, fail_at,
                    obj, near, granular, np.int64(2))
    nt[0] = 0
    return obj


@njit(cache=True)
def _rebuild_absent(route_of, absent, nabs):
    nabs[0] = 0
    for u in range(route_of.shape[0]):
        if route_of[u] < 0:
            absent[nabs[0]] = u
            nabs[0] += 1


@njit(cache=True)
def load_routes(src_path, src_len, path, rlen, e0, e1, la0, la1, load, rcost, route_of, absent,
                nabs, node, veh, wlo, whi, tm, cm, fixed, has_soft, mod, fail_at):
    """Make ``src`` the current solution; returns its objective."""
    route_of[:] = -1
    fail_at[:] = -1
    obj = 0
    for v in range(veh.shape[0]):
        m = src_len[v]
        path[v, :m] = src_path[v, :m]
        rlen[v] = m
        for i in range(m):
            route_of[path[v, i]] = v
        _bump(v, mod)
        refresh(v, path, rlen, e0, e1, la0, la1, load, rcost, node, veh, wlo, whi, tm, cm, fixed,
                has_soft)
        obj += rcost[v]
    _rebuild_absent(route_of, absent, nabs)
    for i in range(nabs[0]):
        obj += node[absent[i], PENALTY]
    return obj


@njit(cache=True)
def seed_rng(seed):
    """Seed numba's generator (separate from numpy's)."""
    np.random.seed(seed)


@njit(cache=True)
def run(it_from, it_to, cur_obj, best_obj, epoch0, t_hi, t_lo, params, order_weights,
        node, veh, wlo, whi, tm, cm, fixed, allowed, near, far, dep_ptr, dep_other, dep_gap,
        dep_kind, vday, has_soft, maxlen,
        path, rlen, e0, e1, la0, la1, load, rcost, route_of, absent, nabs,
        best_path, best_len, work):
    """Iterations ``it_from``..``it_to - 1`` of the search; returns (current, best) objectives.

    Iteration ``it`` belongs to epoch ``e`` of length ``epoch0 * 2**e``; the temperature falls
    geometrically from ``t_hi`` to ``t_lo`` within each epoch, and each epoch restarts from the
    best solution. The sequence depends on the seed and the iteration numbers only, so a run cut
    after more iterations has seen every solution a shorter one saw.
    """
    (bk_path, bk_len, bk_stamp, touched, nt, marks, nmark, removed_flag, ruined, sig_seen,
     stamp, dmask, keys, calls, mod, fail_at) = work
    (avg_removed, max_string, split_rate, split_depth, blink, route_removal, room_rate,
     granular, polish_every, regret_k, tails_on_best) = params
    every = int(polish_every)
    tails = int(tails_on_best)
    k = veh.shape[0]
    for it in range(it_from, it_to):
        e_start, e_len = 0, epoch0
        while it >= e_start + e_len:
            e_start += e_len
            e_len *= 2
        if it == e_start and it > 0:
            cur_obj = load_routes(best_path, best_len, path, rlen, e0, e1, la0, la1, load, rcost,
                                  route_of, absent, nabs, node, veh, wlo, whi, tm, cm, fixed,
                                  has_soft, mod, fail_at)
        frac = (it - e_start) / e_len
        temp = t_hi * (t_lo / t_hi) ** frac
        nt[0] = 0
        stamp_it = it + 1
        _ruin(path, rlen, route_of, absent, nabs, node, veh, allowed, near, marks, nmark,
              removed_flag, ruined, avg_removed, int(max_string), split_rate, split_depth,
              route_removal, room_rate)
        new = _remove(marks, nmark, stamp_it, path, rlen, e0, e1, la0, la1, load, rcost,
                      route_of, absent, nabs, node, veh, wlo, whi, tm, cm, fixed, has_soft,
                      bk_path, bk_len, bk_stamp, touched, nt, dep_ptr, dep_other, dep_kind,
                      removed_flag, mod, fail_at, cur_obj)
        new = _recreate(stamp_it, blink, order_weights, path, rlen, e0, e1, la0, la1, load,
                        rcost, route_of, absent, nabs, node, veh, wlo, whi, tm, cm, fixed,
                        allowed, far, dep_ptr, dep_other, dep_gap, dep_kind, vday, has_soft,
                        maxlen, sig_seen, stamp, bk_path, bk_len, bk_stamp, touched, nt, dmask,
                        keys, calls, mod, fail_at, new, near, int(granular),
                        int(regret_k))
        u = np.random.random()
        if u <= 0.0:
            u = 1e-300
        if new < cur_obj - temp * np.log(u):
            cur_obj = new
            if new < best_obj:
                if tails > 0:
                    new = exchange(path, rlen, e0, e1, la0, la1, load, rcost, route_of, absent,
                                   nabs, node, veh, wlo, whi, tm, cm, fixed, allowed, near, far,
                                   dep_ptr, dep_other, dep_gap, dep_kind, vday, has_soft, maxlen,
                                   work, new, int(granular), tails, POLISH_ROUNDS)
                    cur_obj = new
                best_obj = new
                for v in range(k):
                    m = rlen[v]
                    best_path[v, :m] = path[v, :m]
                    best_len[v] = m
        else:
            for t in range(nt[0]):
                v = touched[t]
                for i in range(rlen[v]):
                    route_of[path[v, i]] = -1
            for t in range(nt[0]):
                v = touched[t]
                m = bk_len[v]
                path[v, :m] = bk_path[v, :m]
                rlen[v] = m
                for i in range(m):
                    route_of[path[v, i]] = v
                _bump(v, mod)
                refresh(v, path, rlen, e0, e1, la0, la1, load, rcost, node, veh, wlo, whi, tm,
                        cm, fixed, has_soft)
            _rebuild_absent(route_of, absent, nabs)
        if every > 0 and (it + 1) % every == 0:
            cur_obj = polish(path, rlen, e0, e1, la0, la1, load, rcost, route_of, absent, nabs,
                             node, veh, wlo, whi, tm, cm, fixed, allowed, near, far, dep_ptr,
                             dep_other, dep_gap, dep_kind, vday, has_soft, maxlen, work, cur_obj,
                             int(granular), POLISH_ROUNDS)
            if cur_obj < best_obj:
                best_obj = cur_obj
                for v in range(k):
                    m = rlen[v]
                    best_path[v, :m] = path[v, :m]
                    best_len[v] = m
    return cur_obj, best_obj


@njit(cache=True)
def construct(path, rlen, e0, e1, la0, la1, load, rcost, route_of, absent, nabs, node, veh, wlo,
              whi, tm, cm, fixed, allowed, far, dep_ptr, dep_other, dep_gap, dep_kind, vday,
              has_soft, maxlen, work, obj, regret_k):
    """Insertion of every absent visit, most important first; farthest first or by regret.

    ``regret_k`` 0: greedy, farthest first; 2 or 3: regret-k (:func:`_regret_insert`).
    """
    bk_path, bk_len, bk_stamp, touched, nt = work[:5]
    sig_seen, stamp, dmask, keys, calls, mod, fail_at = work[9:]
    weights = np.zeros(REGRET_ORDER + 1)
    if regret_k > 0:
        weights[REGRET_ORDER] = 1.0
    else:
        weights[2] = 1.0  # far first
    nt[0] = 0
    return _recreate(I0, 0.0, weights, path, rlen, e0, e1, la0, la1, load, rcost, route_of,
                     absent, nabs, node, veh, wlo, whi, tm, cm, fixed, allowed, far, dep_ptr,
                     dep_other, dep_gap, dep_kind, vday, has_soft, maxlen, sig_seen, stamp,
                     bk_path, bk_len, bk_stamp, touched, nt, dmask, keys, calls, mod, fail_at,
                     obj, np.zeros((1, 1), dtype=np.int64), I0, regret_k)
