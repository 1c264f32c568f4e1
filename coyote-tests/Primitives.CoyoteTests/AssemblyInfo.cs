// Coyote explores one test at a time: its runtime is process-wide while a TestingEngine runs.
// xunit.runner.json says the same for the runner; this attribute keeps it true under any runner.
[assembly: CollectionBehavior(DisableTestParallelization = true, MaxParallelThreads = 1)]
