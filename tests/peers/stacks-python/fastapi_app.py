"""FastAPI peer: the framework's own security dependencies, as in its tutorials.

  GET /bearer   HTTPBearer() + PyJWT check (tutorial style: 401 "Could not validate credentials")
  GET /apikey   APIKeyHeader(name="X-API-Key")
  GET /items    OAuth2PasswordBearer with scopes + SecurityScopes (needs scope "items:read")
  GET /_mint    unprotected helper: ?kind=access|expired|wrongaud|wrongiss|badsig|nbf|noscope

Run: uvicorn fastapi_app:app --host 127.0.0.1 --port PORT (env STACK_JWT_SECRET, STACK_API_KEY).
"""
import os
import time

import jwt
from fastapi import Depends, FastAPI, HTTPException, Security, status
from fastapi.security import (
    APIKeyHeader,
    HTTPAuthorizationCredentials,
    HTTPBearer,
    OAuth2PasswordBearer,
    SecurityScopes,
)

SECRET = os.environ.get("STACK_JWT_SECRET", "authdoctor-stacks-test-secret-0123456789abcdef")
API_KEY = os.environ.get("STACK_API_KEY", "fastapi-test-api-key-4d2a")
AUDIENCE = "authdoctor-api"
ISSUER = "https://issuer.authdoctor.test"

app = FastAPI(title="authdoctor fastapi peer")
bearer = HTTPBearer()
api_key_header = APIKeyHeader(name="X-API-Key")
oauth2 = OAuth2PasswordBearer(tokenUrl="token", scopes={"items:read": "Read items", "items:write": "Write items"})


def decode(token: str) -> dict:
    return jwt.decode(token, SECRET, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER)


@app.get("/bearer")
def bearer_route(creds: HTTPAuthorizationCredentials = Depends(bearer)):
    try:
        payload = decode(creds.credentials)
    except jwt.InvalidTokenError:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Could not validate credentials",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return {"ok": True, "sub": payload.get("sub")}


@app.get("/apikey")
def apikey_route(key: str = Security(api_key_header)):
    if key != API_KEY:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Could not validate API key")
    return {"ok": True}


def current_user(security_scopes: SecurityScopes, token: str = Depends(oauth2)):
    # As in FastAPI's "OAuth2 scopes" tutorial.
    if security_scopes.scopes:
        authenticate_value = f'Bearer scope="{security_scopes.scope_str}"'
    else:
        authenticate_value = "Bearer"
    credentials_exception = HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="Could not validate credentials",
        headers={"WWW-Authenticate": authenticate_value},
    )
    try:
        payload = decode(token)
    except jwt.InvalidTokenError:
        raise credentials_exception
    token_scopes = payload.get("scope", "").split()
    for scope in security_scopes.scopes:
        if scope not in token_scopes:
            raise HTTPException(
                status_code=status.HTTP_401_UNAUTHORIZED,
                detail="Not enough permissions",
                headers={"WWW-Authenticate": authenticate_value},
            )
    return payload.get("sub")


@app.get("/items")
def items(user: str = Security(current_user, scopes=["items:read"])):
    return {"ok": True, "sub": user, "items": ["a", "b"]}


@app.get("/_mint")
def mint(kind: str = "access", ttl: int = 600):
    now = int(time.time())
    claims = {"sub": "alice", "aud": AUDIENCE, "iss": ISSUER, "iat": now, "exp": now + ttl,
              "scope": "items:read"}
    key = SECRET
    if kind == "expired":
        claims.update(iat=now - 7200, exp=now - 3600)
    elif kind == "wrongaud":
        claims["aud"] = "some-other-api"
    elif kind == "wrongiss":
        claims["iss"] = "https://evil.example"
    elif kind == "badsig":
        key = "not-the-server-secret-0123456789abcdef"
    elif kind == "nbf":
        claims["nbf"] = now + 3600
    elif kind == "noscope":
        claims["scope"] = "profile"
    elif kind != "access":
        raise HTTPException(status_code=400, detail=f"unknown kind {kind}")
    return {"kind": kind, "token": jwt.encode(claims, key, algorithm="HS256")}
