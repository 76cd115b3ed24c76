"""The grants core, pure: donor policies, installment schedules, the rules of an installment's
life, the ledger's postings and hash chain, and the service's domain errors. No I/O library."""
