"""Request and response bodies as marshmallow schemas; the OpenAPI document is made from them."""
