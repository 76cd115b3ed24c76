"""Intake's pure core: the case and its decisions, the requests and their rules, the events it
publishes, who may do what and what each role reads. No I/O library is imported here (an
import-linter contract checks it)."""
