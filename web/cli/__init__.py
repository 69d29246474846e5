"""The operators' command line: ``caseledger …``."""
