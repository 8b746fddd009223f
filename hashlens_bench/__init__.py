"""Feature-dataset loaders, builders and the benchmark runner."""
