"""pledgeflow: what UK parties and councils promise, as data."""

__version__ = "0.1.0"
