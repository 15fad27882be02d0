from django.urls import path

from policies import views

app_name = "policies"

urlpatterns = [
    path("policies/", views.policy_list, name="list"),
    path("policies/<slug:slug>/", views.policy_detail, name="detail"),
    path("policies/<slug:slug>/v<int:number>/", views.policy_version, name="version"),
    path("policies/<slug:slug>/diff/", views.policy_diff, name="diff"),
    path("policies/<slug:slug>/acknowledge/", views.policy_acknowledge, name="acknowledge"),
    path("manage/policies/", views.policy_manage, name="manage"),
    path("manage/policies/preview/", views.policy_preview, name="preview"),
    path("manage/policies/<slug:slug>/draft/", views.policy_draft_start, name="draft-start"),
    path("manage/policies/<slug:slug>/edit/", views.policy_edit, name="edit"),
    path("manage/policies/<slug:slug>/retire/", views.policy_retire, name="retire"),
    path(
        "manage/policies/<slug:slug>/acknowledgements/",
        views.policy_acknowledgements,
        name="acknowledgements",
    ),
    path("agreements/", views.agreement_list, name="agreements"),
    path("agreements/<int:pk>/", views.agreement_detail, name="agreement-detail"),
    path("agreements/<int:pk>/accept/", views.agreement_accept, name="agreement-accept"),
    path("manage/agreements/new/", views.agreement_create, name="agreement-create"),
    path("manage/agreements/matrix/", views.borrowing_matrix, name="matrix"),
    path("manage/agreements/<int:pk>/edit/", views.agreement_edit, name="agreement-edit"),
    path("manage/agreements/<int:pk>/<str:action>/", views.agreement_action, name="agreement-action"),
    path("manage/holidays/", views.holidays, name="holidays"),
]
