"""The case list, unit inboxes and the deadline watch that reads their deadline index."""
