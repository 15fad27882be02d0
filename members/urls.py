from django.urls import path

from members import views

urlpatterns = [
    path("libraries/", views.directory, name="directory"),
    path("libraries/<str:code>/", views.library_detail, name="library-detail"),
    path("register/", views.register, name="register"),
    path("account/", views.account, name="account"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("my-library/", views.my_library, name="my-library"),
    path("my-library/patrons/<int:user_id>/decide/", views.patron_decide, name="patron-decide"),
    path("my-library/staff/invite/", views.staff_invite, name="staff-invite"),
    path("my-library/staff/<int:user_id>/role/", views.staff_role, name="staff-role"),
    path("my-library/tokens/", views.token_create, name="token-create"),
    path("my-library/tokens/<int:token_id>/revoke/", views.token_revoke, name="token-revoke"),
    path("manage/mailbox/", views.mailbox, name="mailbox"),
    path("manage/mailbox/<int:email_id>/", views.mailbox_message, name="mailbox-message"),
    path("manage/members/", views.members_admin, name="members-admin"),
    path("manage/members/<str:code>/", views.manage_library, name="manage-library"),
    path("manage/members/<str:code>/invite/", views.staff_invite, name="manage-library-invite"),
    path("manage/members/<str:code>/membership/", views.library_membership, name="library-membership"),
    path("libraries/<str:code>/lending/pause/", views.lending_pause, name="lending-pause"),
    path("libraries/<str:code>/lending/resume/", views.lending_resume, name="lending-resume"),
    path("libraries/<str:code>/iso18626/", views.library_iso18626, name="library-iso18626"),
    path(
        "libraries/<str:code>/iso18626/credential/",
        views.library_iso18626_credential,
        name="library-iso18626-credential",
    ),
]
