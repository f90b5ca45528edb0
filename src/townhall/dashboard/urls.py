from django.urls import path

from townhall.dashboard.views import auth, newsroom, queue, records, site_settings, webhooks

app_name = "dashboard"
S = "<slug:site_slug>/"
urlpatterns = [
    path("", auth.home, name="home"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path(S, queue.site_home, name="site"),
    path(S + "queue/<str:queue>/", queue.queue_page, name="queue"),
    path(S + "queue/<str:queue>/cards/", queue.queue_cards, name="queue-cards"),
    path(S + "comments/<int:comment_id>/<str:action>/", queue.comment_action, name="comment"),
    path(S + "users/<int:user_id>/<str:action>/", queue.user_action, name="user"),
    path(S + "bulk/", queue.bulk_action, name="bulk"),
    path(S + "undo/", queue.undo, name="undo"),
    path(S + "audit/", records.audit_page, name="audit"),
    path(S + "audit.csv", records.audit_csv, name="audit-csv"),
    path(S + "stats/", records.stats_page, name="stats"),
    path(S + "stats.json", records.stats_json, name="stats-json"),
    path(S + "settings/", site_settings.settings_page, name="settings"),
    path(S + "settings/preview/", site_settings.preview, name="settings-preview"),
    path(S + "settings/moderators/", site_settings.moderators, name="moderators"),
    path(S + "claims/", newsroom.claims_page, name="claims"),
    path(S + "claims/<int:claim_id>/active/", newsroom.claim_active, name="claim-active"),
    path(S + "tips/", newsroom.tips_page, name="tips"),
    path(S + "tips/<int:tip_id>/", newsroom.tip_state, name="tip"),
    path(S + "appeals/", newsroom.appeals_page, name="appeals"),
    path(S + "appeals/<int:appeal_id>/", newsroom.appeal_decide, name="appeal"),
    path(S + "webhooks/", webhooks.webhooks_page, name="webhooks"),
    path(
        S + "webhooks/<int:endpoint_id>/<str:action>/",
        webhooks.endpoint_action,
        name="webhook-endpoint",
    ),
    path(
        S + "webhooks/deliveries/<int:delivery_id>/retry/",
        webhooks.retry_delivery,
        name="webhook-retry",
    ),
]
