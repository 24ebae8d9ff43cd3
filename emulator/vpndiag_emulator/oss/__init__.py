"""The emulated OSS (Object Storage Service) API: buckets, create-only puts, reads and listings."""
