"""Flask-JWT-Extended peer: @jwt_required() with the extension's default error answers.

  GET /protected   @jwt_required()                 (access tokens)
  GET /fresh       @jwt_required(fresh=True)       (fresh access tokens)
  GET /refresh     @jwt_required(refresh=True)     (refresh tokens)
  GET /_mint       unprotected helper: ?kind=access|fresh|refresh|expired|wrongaud|wrongiss|badsig|nbf[&ttl=S]

Run: gunicorn flask_jwt_app:app (env STACK_JWT_SECRET).
"""
import os
from datetime import timedelta

import jwt
from flask import Flask, jsonify, request
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    get_jwt_identity,
    jwt_required,
)

SECRET = os.environ.get("STACK_JWT_SECRET", "authdoctor-stacks-test-secret-0123456789abcdef")

app = Flask(__name__)
app.config.update(
    JWT_SECRET_KEY=SECRET,
    JWT_TOKEN_LOCATION=["headers"],
    JWT_ENCODE_AUDIENCE="authdoctor-api",
    JWT_DECODE_AUDIENCE="authdoctor-api",
    JWT_ENCODE_ISSUER="https://issuer.authdoctor.test",
    JWT_DECODE_ISSUER="https://issuer.authdoctor.test",
    JWT_ACCESS_TOKEN_EXPIRES=timedelta(minutes=10),
)
JWTManager(app)


@app.get("/protected")
@jwt_required()
def protected():
    return jsonify(ok=True, sub=get_jwt_identity())


@app.get("/fresh")
@jwt_required(fresh=True)
def fresh():
    return jsonify(ok=True, sub=get_jwt_identity(), fresh=True)


@app.get("/refresh")
@jwt_required(refresh=True)
def refresh():
    return jsonify(access_token=create_access_token(identity=get_jwt_identity()))


@app.get("/_mint")
def mint():
    kind = request.args.get("kind", "access")
    ttl = timedelta(seconds=int(request.args.get("ttl", "600")))
    if kind == "access":
        token = create_access_token(identity="alice", expires_delta=ttl)
    elif kind == "fresh":
        token = create_access_token(identity="alice", fresh=True, expires_delta=ttl)
    elif kind == "refresh":
        token = create_refresh_token(identity="alice")
    elif kind == "expired":
        token = create_access_token(identity="alice", expires_delta=timedelta(seconds=-3600))
    elif kind == "wrongaud":
        token = create_access_token(identity="alice", additional_claims={"aud": "some-other-api"})
    elif kind == "wrongiss":
        token = create_access_token(identity="alice", additional_claims={"iss": "https://evil.example"})
    elif kind == "nbf":
        token = create_access_token(identity="alice")
        claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_aud": False})
        claims["nbf"] = claims["iat"] + 3600
        token = jwt.encode(claims, SECRET, algorithm="HS256")
    elif kind == "badsig":
        token = create_access_token(identity="alice")
        claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_aud": False})
        token = jwt.encode(claims, "not-the-server-secret-0123456789abcdef", algorithm="HS256")
    else:
        return jsonify(msg=f"unknown kind {kind}"), 400
    return jsonify(kind=kind, token=token)
