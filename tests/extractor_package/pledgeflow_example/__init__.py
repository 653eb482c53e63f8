"""Example third-party pledgeflow extractor package."""
