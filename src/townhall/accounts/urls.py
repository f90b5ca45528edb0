from django.urls import path

from townhall.accounts import views

app_name = "accounts"
urlpatterns = [
    path("verify/", views.verify_email, name="verify"),
    path("reset/", views.reset_password, name="reset"),
]
