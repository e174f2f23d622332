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

# Equal work on a shared machine: our search stopped after a fixed number of iterations (the time
# limit only as a bound), VROOM and plain OR-Tools as above; compare the CPU columns.
if [ "${EQUAL_WORK:-0}" = 1 ]; then
  E="python -m dispatch.bench city-compare --check-city $SHARED/bench/city/check_city.py --csv $OUT/equal_work.csv --out $OUT/equal_work"
  $E "$SHARED/bench/city/dev_s_t30.json" --generated 30x150 --solvers ours --iterations 20000 --time-limit 600
  $E "$SHARED/bench/city/dev_m_t90.json" "$SHARED/bench/city/dev_m.json" --generated 90x500 --solvers ours --iterations 45000 --time-limit 600
  $E --generated 360x2000 --solvers ours --iterations 20000 --time-limit 1200
fi
