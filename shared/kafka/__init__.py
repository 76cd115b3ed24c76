"""Kafka plumbing, one module per job: `security` (client credentials and TLS), `producer`
(idempotent `acks=all` producers), `broker` (the faststream broker with Homeward's middleware),
`subscriptions` (how subscribers are declared: ack policy, decoders, batches) and `dead_letters`
(the consuming rules: bounded retry with backoff, dead-lettering of what a rule names as poison)."""
