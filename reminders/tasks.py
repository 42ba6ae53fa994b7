"""Celery tasks: thin wrappers that call plain functions in reminders/."""
