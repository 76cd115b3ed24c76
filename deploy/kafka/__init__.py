"""Kafka access control for brokers Homeward runs without Strimzi: principals and ACLs from
`partners.yaml`, applied with `homeward kafka acl sync`."""
