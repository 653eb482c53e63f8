"""For researchers: Datasette browsing, the report, exports, and scoring against gold."""
