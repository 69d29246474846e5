"""The JSON API: one module per resource, its schemas beside them."""
