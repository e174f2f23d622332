#!/bin/sh
# Solomon + Homberger VRPTW at 10 s per instance: the engine in one process (equal CPU with the
# single-threaded baseline) and in two, and plain OR-Tools. Route files (CVRPLIB format) of the
# engine runs go to bench/results/solomon/engine1p|engine2p/, kept in the repository.
set -e
SHARED=${SHARED:-../shared}
mkdir -p bench/results/solomon
python -m dispatch.bench solomon "$SHARED"/bench/solomon/*.txt "$SHARED"/bench/homberger/*.txt \
  --bks "$SHARED/bench/bks.csv" --time-limit 10 --workers 1 2 \
  --csv bench/results/solomon/solomon.csv --routes bench/results/solomon
