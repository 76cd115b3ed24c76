"""What referral does for each consumed event and each escalation round: load through a CaseBook,
decide with the core, write the rows and their outbox events in the caller's one transaction."""
