"""The course's data sets, one job per module.

* :mod:`.specs`: what each data set is (shapes, class names, its files with sizes and hashes, their
  reader), how a copy is verified, and :class:`~.specs.LoadedDataset`, what loading returns;
* :mod:`.sources`: the fallback chain, a list of sources tried in order, and ``load_dataset``;
* :mod:`.synthetic`: the synthetic stand-in and the banners that say what was loaded;
* :mod:`.cli`: ``status``, ``prefetch`` and ``verify``, and the command line (``./course data``).

Notebooks, tests and the command line use :mod:`course_utils.data`, which re-exports every public name.
"""
