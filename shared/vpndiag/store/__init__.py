"""Where archives and records are kept: narrow interfaces, a cloud adapter and a local one each."""
