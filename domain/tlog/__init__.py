"""The verifiable log (tlog): Merkle tree math."""
