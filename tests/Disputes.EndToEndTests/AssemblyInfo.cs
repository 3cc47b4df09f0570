// Each collection starts a whole suite of processes: one suite at a time on a small machine.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
