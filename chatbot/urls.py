from django.urls import path

from . import views

app_name = "chatbot"

urlpatterns = [
    path("", views.help_index, name="index"),
    path("conversations/", views.conversation_list, name="conversations"),
    path("<slug:slug>/", views.article_detail, name="article"),
    path("<slug:slug>/vote/", views.article_vote, name="vote"),
]
