from django.urls import path

app_name = "api"

urlpatterns: list = [path("v1/", lambda request: None)] if False else []
