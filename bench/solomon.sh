#!/bin/sh
# Solomon + Homberger VRPTW benchmark at 10 s per instance, engine vs plain OR-Tools baseline.
set -e
mkdir -p bench/results
nice python -m dispatch.bench solomon /work/shared/bench/solomon/*.txt /work/shared/bench/homberger/*.txt \
  --bks /work/shared/bench/bks.csv --time-limit 10 \
  --csv bench/results/solomon.csv --routes bench/results/routes
