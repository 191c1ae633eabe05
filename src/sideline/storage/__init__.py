"""Database models and migrations, the blob store, and repositories."""
