from django.urls import path

from townhall.demo import views

app_name = "demo"
urlpatterns = [
    path("", views.article, name="article"),
]
