"""What Dagster's own bookkeeping costs a night, apart from our SQL: the same assets and checks as one step each
or as one multi-asset step, executed in process with an ephemeral instance as the nightly job runs.

    .venv/bin/python bench/dagster_bookkeeping.py [--assets 100] [--checks 3] [--repeats 3]

Each asset does nothing but report one materialisation with a little metadata and `--checks` passing check
results, so the time is Dagster's: events built, logged and stored. Prints JSON: seconds per run of each
shape (median of the repeats after one warm-up) and milliseconds per asset and per event. Used to decide
whether "fewer, larger steps" (issue 17) would make a night cheaper (README, Speed at scale).
"""


import argparse
import json
import statistics
import time

import dagster as dg

QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def one_step_each(n_assets: int, n_checks: int) -> list[dg.AssetsDefinition]:
    """A chain of `n_assets` assets, each its own step with `n_checks` checks."""
    def make(i: int) -> dg.AssetsDefinition:
        key = dg.AssetKey(["steps", f"a{i}"])

        @dg.asset(key=key, deps=[dg.AssetKey(["steps", f"a{i - 1}"])] if i else [],
                  check_specs=[dg.AssetCheckSpec(f"c{j}", asset=key) for j in range(n_checks)])
        def _asset() -> dg.MaterializeResult:
            return dg.MaterializeResult(metadata={"rows": i}, check_results=[
                dg.AssetCheckResult(check_name=f"c{j}", passed=True, metadata={"rows_failed": 0})
                for j in range(n_checks)])
        return _asset
    return [make(i) for i in range(n_assets)]


def one_step_for_all(n_assets: int, n_checks: int) -> dg.AssetsDefinition:
    """The same chain and checks as one multi-asset: one step."""
    specs = [dg.AssetSpec(dg.AssetKey(["multi", f"a{i}"]), deps=[dg.AssetKey(["multi", f"a{i - 1}"])] if i else [])
             for i in range(n_assets)]

    @dg.multi_asset(specs=specs, can_subset=True,
                    check_specs=[dg.AssetCheckSpec(f"c{j}", asset=s.key) for s in specs for j in range(n_checks)])
    def _all(context: dg.AssetExecutionContext):
        for i, spec in enumerate(specs):
            if spec.key in context.selected_asset_keys:
                yield dg.MaterializeResult(asset_key=spec.key, metadata={"rows": i})
                for j in range(n_checks):
                    yield dg.AssetCheckResult(asset_key=spec.key, check_name=f"c{j}", passed=True,
                                              metadata={"rows_failed": 0})
    return _all


def measure(n_assets: int, n_checks: int, repeats: int) -> dict:
    defs = dg.Definitions(
        assets=[*one_step_each(n_assets, n_checks), one_step_for_all(n_assets, n_checks)],
        jobs=[dg.define_asset_job(name, selection=dg.AssetSelection.key_prefixes([prefix]),
                                  executor_def=dg.in_process_executor)
              for name, prefix in (("one_step_each", "steps"), ("one_step_for_all", "multi"))])
    result: dict = {"assets": n_assets, "checks_per_asset": n_checks, "repeats": repeats}
    for name in ("one_step_each", "one_step_for_all"):
        job = defs.resolve_job_def(name)
        seconds, events = [], 0
        for attempt in range(repeats + 1):  # the first is a warm-up
            started = time.perf_counter()
            run = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), run_config=QUIET_LOGS)
            if attempt:
                seconds.append(time.perf_counter() - started)
            events = len(run.all_events)
        median = statistics.median(seconds)
        result[name] = {"seconds": round(median, 2), "events": events,
                        "ms_per_asset_with_its_checks": round(1000 * median / n_assets, 1),
                        "ms_per_event": round(1000 * median / events, 2)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=100)
    parser.add_argument("--checks", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(measure(args.assets, args.checks, args.repeats), indent=2))


if __name__ == "__main__":
    main()
