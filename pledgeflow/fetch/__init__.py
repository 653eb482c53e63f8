"""Fetching: catalog sources over HTTP or from files, index-page discovery, and
what the bytes are (sniffing)."""
