"""Load benchmarks of statuspage; see bench/README.md."""
