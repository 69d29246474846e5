"""Unit ledgers (台账): appeals, approvals and the 好差评 follow-through."""
