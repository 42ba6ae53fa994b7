"""companion/cpu_time.py: the /proc CPU readings the benchmarks report (loadtest, benchmark_delivery)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from companion.cpu_time import CpuMeter, cpu_seconds_of_tree, process_cpu, tree_pids

BURN = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\n"


def test_a_process_tree_includes_its_children_and_their_cpu_time():
    child = subprocess.Popen(
        [sys.executable, "-c", BURN + "print('burnt', flush=True)\ntime.sleep(30)"], stdout=subprocess.PIPE, text=True
    )
    try:
        # The child has burnt its 0.4 s and sleeps (however busy the machine: no wall-clock guess).
        assert child.stdout.readline().strip() == "burnt"
        assert child.pid in tree_pids(os.getpid())
        assert process_cpu(child.pid).seconds >= 0.3
        assert cpu_seconds_of_tree(os.getpid()) - process_cpu(os.getpid()).seconds >= 0.3
    finally:
        child.kill()
        child.wait()
        child.stdout.close()


def test_the_meter_keeps_the_cpu_of_a_process_that_ended_during_the_span():
    meter = CpuMeter({"tree": lambda: tree_pids(os.getpid())}, interval=0.05).start()
    child = subprocess.Popen([sys.executable, "-c", BURN + "time.sleep(0.3)"])
    child.wait()
    used = meter.stop()["tree"]
    # A reading of the live processes now would not see the child: it has ended.
    assert child.pid not in tree_pids(os.getpid())
    assert used >= 0.3


def test_the_meter_counts_only_what_was_used_after_it_started():
    # This process used seconds of CPU before (imports, the other tests): none of it counts.
    meter = CpuMeter({"me": lambda: [os.getpid()]}, interval=0.05).start()
    time.sleep(0.3)
    assert meter.stop()["me"] < 0.2
