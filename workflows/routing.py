"""Websocket routes."""

from django.urls import path

from .consumers import NotificationConsumer

SOCKET_PATH = "/ws/notifications/"

websocket_urlpatterns = [
    path(SOCKET_PATH.lstrip("/"), NotificationConsumer.as_asgi(), name="ws-notifications"),
]
