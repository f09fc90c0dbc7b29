"""The course's training benchmark: ``./course bench`` (``python -m benchmarks.run``).

It trains the seeds' reference configurations (plain Keras on NumPy arrays, batch
size 32, Adam, 5 epochs) and the course's versions of the same models, each in
its own subprocess, and reports seconds per epoch, examples per second, wall time
to reach the seed's test accuracy, peak resident memory and the course / seed
ratios; it also measures the course helpers' overhead and the notebooks' run
time and memory.  See ``benchmarks/README.md`` and ``python -m benchmarks.run --help``.

Modules:

- :mod:`benchmarks.models`   the model builders (seed readings and course versions);
- :mod:`benchmarks.configs`  the configurations: baseline, course, batch/XLA sweep;
- :mod:`benchmarks.worker`   trains one configuration in the current process (run as a subprocess);
- :mod:`benchmarks.overhead` the helpers' overhead on an epoch (run as a subprocess);
- :mod:`benchmarks.nbtime`   executes one notebook with nbclient and records its time and peak memory;
- :mod:`benchmarks.machine`  the machine's description (CPU, cores, versions, threads, load);
- :mod:`benchmarks.report`   derived figures (steady epoch, time to target, ratios) and the tables;
- :mod:`benchmarks.run`      the command line.
"""
