from django.urls import path

from . import views, views_presence, views_reports, views_suggestions

app_name = "tickets"

urlpatterns = [
    path("support/tickets/", views.ticket_list, name="list"),
    path("support/tickets/new/", views.ticket_new, name="new"),
    path("support/tickets/<str:reference>/", views.ticket_detail, name="detail"),
    path("support/tickets/<str:reference>/close/", views.ticket_close, name="close"),
    path("support/rate/<str:token>/", views.ticket_rate, name="rate"),
    path("support/files/<str:key>/", views.attachment_download, name="attachment"),
    path("desk/", views.desk, name="desk"),
    path("desk/dashboard/", views.desk_dashboard, name="dashboard"),
    path("desk/reports/", views_reports.desk_reports, name="desk_reports"),
    path("desk/reports.csv", views_reports.desk_reports_csv, name="desk_reports_csv"),
    path("desk/away/", views.desk_away, name="away"),
    path("desk/tickets/<int:pk>/", views.desk_ticket, name="desk_ticket"),
    path("desk/tickets/<int:pk>/canned/", views.desk_canned, name="desk_canned"),
    path("desk/tickets/<int:pk>/reply/", views.desk_reply, name="desk_reply"),
    path("desk/tickets/<int:pk>/assign/", views.desk_assign, name="desk_assign"),
    path("desk/tickets/<int:pk>/status/", views.desk_status, name="desk_status"),
    path("desk/tickets/<int:pk>/priority/", views.desk_priority, name="desk_priority"),
    path("desk/tickets/<int:pk>/merge/", views.desk_merge, name="desk_merge"),
    path("desk/tickets/<int:pk>/presence/", views_presence.desk_presence, name="desk_presence"),
    path("desk/tickets/<int:pk>/suggestions/", views_suggestions.desk_suggestions, name="desk_suggestions"),
]
