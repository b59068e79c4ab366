"""A simulated run of the council's nights (`make simulate`, `python -m pipelines.cli simulate`).

Day by day, deterministically from a seed, it delivers the sources' files as their calendar says (working days
near each due day, England's bank holidays kept, partners late now and then, a corrected re-delivery, a broken
file re-sent fixed, a bad file that fails a blocking check then is corrected, a silent source catching up, a
team's return late and unsigned), plays the Dagster daemon (the 02:00 schedule, the landing sensors, the alert
sensors, the outputs after each publish, run monitoring and run retries) and injects faults (SIGKILL of a run
at a step or in the middle of the publish, a native crash, the disk full while publishing, a file still being
copied, a second run while one holds the writer, the daemon absent for a night). After each night it checks
the invariants in `invariants.py`; at the end it rebuilds the warehouse from every delivered file and compares.

- `calendar.py`: the delivery calendar and the faults, from the seed;
- `deliveries.py`: writing one delivery (a month's file of a source, or its broken or bad variant);
- `daemon.py`: the schedule, sensors and run launching, in this process or (for faults) a worker process;
- `worker.py`: a run in its own process, under `faketime`, that can be killed, crashed or starved of disk;
- `invariants.py`: what must hold after every night, and the expected alerts;
- `runner.py`: the nights, the report (`data/simulation/report.json`).
"""
