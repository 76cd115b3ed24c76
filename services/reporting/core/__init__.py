"""Reporting's pure core: the facts the read model holds, the population's bands, small-cell
suppression and the report's tables. No I/O library (an import-linter contract)."""
