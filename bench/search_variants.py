"""`dispatch.bench city-compare` with the field-day search set by options (A/B of search operators).

Usage: python bench/search_variants.py [--search-seed S] [--regret W] [--regret-k K]
                                       [--polish-end] -- <city-compare arguments>
e.g. python bench/search_variants.py --search-seed 1 --regret 3 -- \
         ../shared/bench/city/dev_m_t90.json --generated 90x500 --solvers ours \
         --iterations 40000 --time-limit 600 --check-city ../shared/bench/city/check_city.py

Every option only replaces a field of `dispatch.solver.field_day_config`'s result (the search
seed, `RuinRecreateConfig.regret`, `regret_k`, `polish_end`); the rest of the product path is
the one city-compare runs. Use `--iterations` for equal work on a loaded machine and compare the
CPU seconds it reports for the per-iteration cost.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from dispatch import bench, solver

_OPTIONAL = ("epoch_iterations", "t_start", "t_end", "avg_removed", "room_rate", "route_removal",
             "polish_every", "granular", "tails_on_best", "tails_end")
_FLAGS = ("polish_start", "regret_start")


def main(argv: list[str]) -> int:
    """Parse the search options, patch the field-day configuration, run city-compare."""
    p = argparse.ArgumentParser()
    p.add_argument("--search-seed", type=int, default=None,
                   help="default: the settings' seed (city-compare --solver-seeds)")
    p.add_argument("--regret", type=float, default=0.0)
    p.add_argument("--regret-k", type=int, default=3)
    p.add_argument("--polish-end", action="store_true")
    p.add_argument("--epoch-iterations", type=int, default=None)
    p.add_argument("--t-start", type=float, default=None)
    p.add_argument("--t-end", type=float, default=None)
    p.add_argument("--granular", type=int, default=None)
    p.add_argument("--avg-removed", type=float, default=None)
    p.add_argument("--regret-start", action="store_true")
    p.add_argument("--room-rate", type=float, default=None)
    p.add_argument("--polish-start", action="store_true")
    p.add_argument("--polish-every", type=int, default=None)
    p.add_argument("--route-removal", type=float, default=None)
    p.add_argument("--tails-on-best", type=int, default=None,
                   help="tail exchanges (2-opt*) with this many nearest visits on each new best")
    p.add_argument("--tails-end", type=int, default=None,
                   help="the same once, on the best solution at the end")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    args = p.parse_args(argv)
    rest = args.rest[1:] if args.rest[:1] == ["--"] else args.rest
    base = solver.field_day_config

    def config(n_visits: int, settings: solver.SolverSettings):
        cfg = dataclasses.replace(base(n_visits, settings), regret=args.regret,
                                  regret_k=args.regret_k, polish_end=args.polish_end)
        # options given on the command line replace the field-day defaults; flags only switch on
        given = {"seed": args.search_seed, **{name: getattr(args, name) for name in _OPTIONAL}}
        given |= {name: True for name in _FLAGS if getattr(args, name)}
        return dataclasses.replace(cfg, **{k: v for k, v in given.items() if v is not None})

    solver.field_day_config = config
    return bench.main(["city-compare", *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
