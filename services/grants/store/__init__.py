"""The grants service's SQL: grants and installments (`grants`), the ledger (`ledger`)."""
