//! Translation of an OCI `config.json` into an ordered list of liblxc config items.
