#!/bin/sh
# City days side by side: our planner, VROOM (pyvroom, bench extra) and plain OR-Tools on the same
# instances and matrix; every plan re-simulated by dispatch.verify and by the shared check_city.py.
# Needs: pip install -e '.[bench]'. SHARED defaults to the shared folder beside the clone.
SHARED=${SHARED:-../shared}
OUT=bench/results/city
mkdir -p "$OUT"
B="python -m dispatch.bench city-compare --check-city $SHARED/bench/city/check_city.py --csv $OUT/city.csv --out $OUT"
$B "$SHARED/bench/city/dev_s_t30.json" --generated 30x150 --time-limit 30
$B "$SHARED/bench/city/dev_m_t90.json" "$SHARED/bench/city/dev_m.json" --generated 90x500 --time-limit 60
$B --generated 360x2000 --time-limit 120
