#!/bin/sh
# Field-service scale: 50x500 whole vs zones at equal time, then 200x2000 by zones.
set -e
nice python -m dispatch.bench city --techs 50 --visits 500 --time-limit 30 --zones 2 --mode both
nice python -m dispatch.bench city --techs 200 --visits 2000 --time-limit 60 --zones 8 --mode zones
nice python -m dispatch.bench insertion --techs 50 --visits 500 --inserts 20
