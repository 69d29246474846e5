"""The accountability trail (问责台账), and the runner of the accountability process."""
