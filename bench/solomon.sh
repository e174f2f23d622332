#!/bin/sh
# Solomon + Homberger VRPTW benchmark at 10 s per instance, engine vs plain OR-Tools baseline.
set -e
mkdir -p bench/results
nice python -m dispatch.bench solomon ../shared/bench/solomon/*.txt ../shared/bench/homberger/*.txt \
  --bks ../shared/bench/bks.csv --time-limit 10 \
  --csv bench/results/solomon.csv --routes bench/results/routes
