"""The city work-order import (市转办工单): files, their checks and the reading process."""
