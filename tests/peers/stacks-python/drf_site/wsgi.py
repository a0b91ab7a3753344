"""WSGI entry of the DRF peer. On import (gunicorn -w 1) it migrates the sqlite database and
creates the test users and their DRF tokens with fixed keys:

  alice / $DRF_ALICE_PASSWORD  (not staff), token $DRF_ALICE_TOKEN
  admin / $DRF_ADMIN_PASSWORD  (staff),     token $DRF_ADMIN_TOKEN
"""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drf_site.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

call_command("migrate", verbosity=0, interactive=False)
User = get_user_model()
for name, staff in (("alice", False), ("admin", True)):
    user, _ = User.objects.get_or_create(username=name, defaults={"is_staff": staff})
    user.set_password(os.environ.get(f"DRF_{name.upper()}_PASSWORD", f"{name}-drf-pass"))
    user.save()
    Token.objects.filter(user=user).delete()
    Token.objects.create(user=user, key=os.environ.get(f"DRF_{name.upper()}_TOKEN", f"{name}-drf-token"))

application = get_wsgi_application()
