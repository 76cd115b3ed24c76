"""The grants service's SQL, one module per aggregate, each returning typed objects: programmes
(the budget lock), grants and their installments, the ledger (appends, and what auditors read).

Lock order, kept by every use case so no two of them deadlock: programme row → grant row →
installment rows → the ledger chain head (taken by `ledger.append_posting`).
"""
