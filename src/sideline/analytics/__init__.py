"""Pure functions on ``sideline.core`` types, one subpackage per sport. Never imports the API,
the database or the blob store: data flows ingest -> core -> analytics -> storage -> API."""
