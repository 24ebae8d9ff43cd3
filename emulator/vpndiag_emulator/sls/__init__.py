"""The emulated SLS (Log Service) API: PutLogs into projects' logstores, and GetLogs to read back."""
