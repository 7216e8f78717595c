"""The notifications application in the site menu: the list and the mark-as-read actions."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from . import views


class NotificationsApp(Application):
    title = _("Notifications")
    icon = "notifications"
    app_name = "notifications"
    menu_template_name = None  # one page: nothing to list under it in the side menu

    index_path = path("", views.NotificationListView.as_view(), name="index")
    read_all_path = path("read/", views.notification_read_all, name="read_all")
    read_path = path("<int:pk>/read/", views.notification_read, name="read")
