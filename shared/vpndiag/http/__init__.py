"""The one HTTP layer every cloud client shares: session, deadline, retry policy."""
