"""Signals other apps listen to. Sent only after commit."""

from django.dispatch import Signal

# A user's roles or scope changed: open websockets must re-check or close.
# kwargs: user_id
access_changed = Signal()
