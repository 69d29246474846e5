"""Reports made from the ledgers: the monthly bulletin (通报) and recurring problems (堵点分析)."""
