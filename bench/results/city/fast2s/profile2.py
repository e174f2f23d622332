import sys, runpy
from dispatch import bench
bench.cpu_clocked_planner()
sys.argv = ["x", *sys.argv[1:]]
runpy.run_path("/tmp/pf/profile_solve.py", run_name="__main__")
