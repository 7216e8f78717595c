"""Who hears about a monthly birth report. Ids, kinds and links only: never an entry's data."""

from workflows.cases.notifications import notify_task_created

__all__ = ["notify_task_created"]
