#!/bin/sh
# Solomon + Homberger VRPTW: the engine in one process and in two, 10 CPU seconds per search
# process (--clock cpu, the default: comparable on a loaded machine; the rows report wall and CPU
# seconds). Route files (CVRPLIB format) of the engine runs go to
# bench/results/solomon/engine1p|engine2p/, kept in the repository. Add the plain OR-Tools
# baseline (10 wall seconds) by dropping --no-baseline.
set -e
SHARED=${SHARED:-../shared}
mkdir -p bench/results/solomon
python -m dispatch.bench solomon "$SHARED"/bench/solomon/*.txt "$SHARED"/bench/homberger/*.txt \
  --bks "$SHARED/bench/bks.csv" --time-limit 10 --clock cpu --workers 1 2 --no-baseline \
  --csv bench/results/solomon/solomon.csv --routes bench/results/solomon
