#!/bin/sh
# Solomon + Homberger VRPTW at equal CPU: the engine in one process for 10 CPU seconds and in two
# processes for 5 CPU seconds each (--clock cpu, the default: comparable on a loaded machine; the
# rows report wall and CPU seconds). Route files (CVRPLIB format) of the engine runs go to
# bench/results/solomon/engine1p|engine2p/, kept in the repository. Add the plain OR-Tools
# baseline (wall seconds) by dropping --no-baseline.
set -e
SHARED=${SHARED:-../shared}
mkdir -p bench/results/solomon
for run in "1 10" "2 5"; do
  set -- $run
  python -m dispatch.bench solomon "$SHARED"/bench/solomon/*.txt "$SHARED"/bench/homberger/*.txt \
    --bks "$SHARED/bench/bks.csv" --time-limit "$2" --clock cpu --workers "$1" --no-baseline \
    --csv "bench/results/solomon/solomon_cpu_${1}p.csv" --routes bench/results/solomon
done
