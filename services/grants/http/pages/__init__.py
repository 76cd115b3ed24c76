"""The grants service's pages: finance officers' (programmes, installments to approve and disburse,
donor funding, the ledger's export and check) and auditors' (the ledger, balances as of a date, the
check). Server-rendered through the shared page kit, without JavaScript; every action calls the
same use cases as the API."""
