from django.urls import path

from . import views

urlpatterns = [
    path("chat/conversations/", views.ConversationListView.as_view(), name="chat-conversations"),
    path("chat/conversations/<str:pk>/", views.ConversationDetailView.as_view(), name="chat-conversation"),
    path("chat/conversations/<str:pk>/messages/", views.MessageCreateView.as_view(), name="chat-messages"),
    path("chat/conversations/<str:pk>/handover/", views.HandOverView.as_view(), name="chat-handover"),
    path("chat/messages/<str:pk>/feedback/", views.FeedbackView.as_view(), name="chat-feedback"),
]
