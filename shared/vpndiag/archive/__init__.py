"""The archive: where a diagnosis is kept (layout), as which records (records), and how (pipeline)."""
