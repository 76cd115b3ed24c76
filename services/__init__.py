"""The Homeward services: intake, referral and grants. None imports another."""
