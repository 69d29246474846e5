"""What every case kind shares: the base aggregate and the base service."""
