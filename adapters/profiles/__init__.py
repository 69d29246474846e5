"""Policy profiles, packaged as TOML files and read from them."""
