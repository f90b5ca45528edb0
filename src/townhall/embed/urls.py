from django.urls import path

from townhall.embed import views

app_name = "embed"
urlpatterns = [
    path("embed/", views.frame, name="frame"),
    path("embed/thread/", views.thread, name="thread"),
    path("embed/compose/", views.compose, name="compose"),
    path("embed/jsi18n/", views.catalog, name="jsi18n"),
    path("embed/jsi18n.json", views.json_catalog, name="jsi18n-json"),
    path("embed.js", views.script, {"name": "embed.js"}, name="embed-js"),
    path("count.js", views.script, {"name": "count.js"}, name="count-js"),
]
