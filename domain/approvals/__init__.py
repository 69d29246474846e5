"""Administrative approvals (审批): the aggregate, its service, its inputs and its profiles."""
