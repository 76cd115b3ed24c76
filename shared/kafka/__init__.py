"""Kafka plumbing, one module per job: `security` (client credentials and TLS), `producer`
(idempotent `acks=all` producers), `broker` (the faststream broker with Homeward's middleware),
`subscriptions` (how subscribers are declared: ack policy, decoders, batches), `consuming` (the
consuming rules: poison dead-lettered, everything else retried with backoff), `dead_letters` (what a
dead letter carries, and `DeadLetters` for batch handlers) and `positions` (rewinding a delivery's
partitions, consumer lag)."""
