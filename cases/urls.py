from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.home, name="home"),
    path("cases/", views.home, name="casestudy_list"),
    path("cases/<slug:slug>/", views.home, name="casestudy_detail"),
    path("economies/<slug:slug>/", views.home, name="economy_detail"),
    path("themes/<slug:slug>/", views.home, name="theme_detail"),
    path("sectors/<slug:slug>/", views.home, name="sector_detail"),
]
