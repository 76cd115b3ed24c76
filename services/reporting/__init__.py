"""Reporting: a read model built only from the topics, and the reports donors fund programmes on."""
