"""FastAPI application: routers per resource, auth, WebSocket."""
