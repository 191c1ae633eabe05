"""Job types that exist only for tests; workers load them with SIDELINE_JOB_MODULES."""
