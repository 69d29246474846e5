"""The verifiable log (tlog): signing, checkpoints, witnesses, checks and the standalone verifier."""
