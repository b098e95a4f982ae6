"""Leaves: small modules that import nothing of statuspage outside `core`, so any layer may import
them (the clock, settings, domain errors, the page's identity, display text, column types, ...)."""
