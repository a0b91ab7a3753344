"""Django settings of the DRF peer: sqlite in $DRF_DB, DRF's default authentication classes
(SessionAuthentication, BasicAuthentication), rest_framework.authtoken and simplejwt."""
import os
from datetime import timedelta

SECRET_KEY = os.environ.get("STACK_JWT_SECRET", "authdoctor-stacks-test-secret-0123456789abcdef")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "drf_site.urls"
WSGI_APPLICATION = "drf_site.wsgi.application"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
    "rest_framework.authtoken",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DRF_DB", "/tmp/authdoctor-drf.sqlite3"),
    }
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast start-up; test users only
LOGGING = {"version": 1, "disable_existing_loggers": False}
REST_FRAMEWORK = {
    # DRF's own defaults, spelled out: the first class has no authenticate_header, so a request
    # without credentials is answered 403, not 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=10),
    "SIGNING_KEY": SECRET_KEY,
    "AUDIENCE": "authdoctor-api",
    "ISSUER": "https://issuer.authdoctor.test",
}
