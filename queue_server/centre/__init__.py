"""The city centre: each county hall's PostgreSQL publishes its tables (personal data left
behind), the centre's PostgreSQL subscribes to each hall (docs/network.md)."""
