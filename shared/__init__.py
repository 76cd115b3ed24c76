"""What every Homeward service stands on: the event contract, Kafka and PostgreSQL plumbing."""
