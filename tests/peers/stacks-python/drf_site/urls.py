"""DRF peer views.

  /api/default/        DRF defaults: SessionAuthentication, BasicAuthentication + IsAuthenticated
  /api/token/          TokenAuthentication                       + IsAuthenticated
  /api/session-token/  SessionAuthentication, TokenAuthentication + IsAuthenticated
  /api/jwt/            simplejwt JWTAuthentication                + IsAuthenticated
  /api/admin/          TokenAuthentication, JWTAuthentication     + IsAdminUser
  /_mint/?kind=access|refresh|expired|badsig|wrongaud  (unprotected; simplejwt tokens for alice,
                                                        kind=admin-access for the admin user)
"""
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.urls import path
from rest_framework.authentication import (
    BasicAuthentication,
    SessionAuthentication,
    TokenAuthentication,
)
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken


class Base(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"ok": True, "user": request.user.username, "view": type(self).__name__})


class DefaultView(Base):
    pass  # settings.REST_FRAMEWORK defaults


class TokenView(Base):
    authentication_classes = [TokenAuthentication]


class SessionTokenView(Base):
    authentication_classes = [SessionAuthentication, TokenAuthentication]


class JwtView(Base):
    authentication_classes = [JWTAuthentication]


class AdminView(Base):
    authentication_classes = [TokenAuthentication, JWTAuthentication]
    permission_classes = [IsAdminUser]


def mint(request):
    kind = request.GET.get("kind", "access")
    User = get_user_model()
    user = User.objects.get(username="admin" if kind.startswith("admin") else "alice")
    if kind in ("access", "admin-access"):
        token = str(AccessToken.for_user(user))
    elif kind == "refresh":
        token = str(RefreshToken.for_user(user))
    elif kind == "expired":
        t = AccessToken.for_user(user)
        t.set_iat(at_time=None)
        t.set_exp(lifetime=timedelta(seconds=-3600))
        token = str(t)
    elif kind == "wrongaud":
        # simplejwt's encoder always writes its configured audience: another TokenBackend
        # (same key and issuer, another audience) signs the same payload.
        t = AccessToken.for_user(user)
        backend = TokenBackend(
            api_settings.ALGORITHM, api_settings.SIGNING_KEY, audience="some-other-api",
            issuer=api_settings.ISSUER,
        )
        token = backend.encode(t.payload)
    elif kind == "badsig":
        token = str(AccessToken.for_user(user))
        head, body, sig = token.split(".")
        token = ".".join([head, body, ("A" if sig[0] != "A" else "B") + sig[1:]])
    else:
        return JsonResponse({"detail": f"unknown kind {kind}"}, status=400)
    return JsonResponse({"kind": kind, "token": token})


urlpatterns = [
    path("api/default/", DefaultView.as_view()),
    path("api/token/", TokenView.as_view()),
    path("api/session-token/", SessionTokenView.as_view()),
    path("api/jwt/", JwtView.as_view()),
    path("api/admin/", AdminView.as_view()),
    path("_mint/", mint),
]
