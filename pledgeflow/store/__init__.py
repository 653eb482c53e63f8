"""Storage: the SQLite schema, loading a document (versions, records, matches,
full-text rows), changes between versions, failures, and the doctor."""
