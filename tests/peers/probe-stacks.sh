#!/usr/bin/env bash
# Prints, per web-stack peer, a Markdown table of the real answers to each failure mode:
#   route | request | status | WWW-Authenticate | body
# Reads the env file of scripts/peers (start the stacks first, e.g.
# `scripts/peers start-only fastapi drf flask_jwt express_jwt express_jwt_fast fastify_jwt
#  passport_bearer auth0_bearer azurite caddy`). Usage: tests/peers/probe-stacks.sh [STACK...]
set -euo pipefail
PEERS_HOME=${AUTHDOCTOR_PEERS_HOME:-$HOME/.cache/authdoctor-peers}
set -a; . "$PEERS_HOME/run/peers.env"; set +a
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT

row() { # row ROUTE LABEL URL [curl args...]
  local route=$1 label=$2 url=$3; shift 3
  : >"$TMP/h"; : >"$TMP/b"
  curl -s -D "$TMP/h" -o "$TMP/b" -m 5 "$@" "$url" || true
  local st wa body extra
  st=$(head -1 "$TMP/h" | awk '{print $2}')
  wa=$(grep -i '^www-authenticate:' "$TMP/h" | sed 's/^[^:]*: //' | tr -d '\r' | paste -sd'|' - | sed 's/|/ ⏎ /g' || true)
  extra=$(grep -i '^x-ms-error-code:' "$TMP/h" | tr -d '\r' | sed 's/^/ /' || true)
  body=$(head -c 300 "$TMP/b" | tr '\r\n' '  ' | sed -e 's/  */ /g' -e 's/|/\\|/g' -e 's/RequestId:[0-9a-f-]*/RequestId:…/' -e 's/Time:[0-9TZ:.-]*/Time:…/')
  printf '| `%s` | %s | %s | %s | `%s`%s |\n' "$route" "$label" "${st:-none}" "${wa:-—}" "$body" "${extra:+ ($extra)}"
}
head_() { printf '\n### %s\n\n| route | request | status | WWW-Authenticate | body |\n|---|---|---|---|---|\n' "$1"; }
mint() { curl -s -m 5 "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }
bearer() { printf 'Authorization: Bearer %s' "$1"; }

jwt_rows() { # jwt_rows BASE ROUTE MINT_URL_PREFIX KIND...
  local base=$1 route=$2 m=$3 k; shift 3
  for k in "$@"; do row "$route" "Bearer <$k token>" "$base$route" -H "$(bearer "$(mint "$m$k")")"; done
}

p_fastapi() {
  local B=$AUTHDOCTOR_FASTAPI
  head_ "fastapi ($B)"
  row /bearer "no Authorization" "$B/bearer"
  row /bearer "Authorization: Bearer: abc" "$B/bearer" -H 'Authorization: Bearer: abc'
  row /bearer "Authorization: Basic" "$B/bearer" -u a:b
  row /bearer "Bearer garbage" "$B/bearer" -H 'Authorization: Bearer garbage'
  jwt_rows "$B" /bearer "$B/_mint?kind=" access expired wrongaud badsig
  row /apikey "no X-API-Key" "$B/apikey"
  row /apikey "X-API-Key: wrong" "$B/apikey" -H 'X-API-Key: wrong'
  row /apikey "X-API-Key: right" "$B/apikey" -H "X-API-Key: $AUTHDOCTOR_FASTAPI_API_KEY"
  row /items "no Authorization" "$B/items"
  row /items "Bearer garbage" "$B/items" -H 'Authorization: Bearer garbage'
  jwt_rows "$B" /items "$B/_mint?kind=" access expired noscope
}

p_drf() {
  local B=$AUTHDOCTOR_DRF r
  head_ "drf ($B)"
  for r in default session-token token jwt admin; do row "/api/$r/" "no Authorization" "$B/api/$r/"; done
  row /api/default/ "Basic alice (right)" "$B/api/default/" -u "$AUTHDOCTOR_DRF_USER:$AUTHDOCTOR_DRF_PASSWORD"
  row /api/default/ "Basic alice (wrong password)" "$B/api/default/" -u "$AUTHDOCTOR_DRF_USER:wrong"
  row /api/session-token/ "Token wrong" "$B/api/session-token/" -H 'Authorization: Token wrong'
  row /api/token/ "Token right" "$B/api/token/" -H "Authorization: Token $AUTHDOCTOR_DRF_TOKEN"
  row /api/token/ "Token wrong" "$B/api/token/" -H 'Authorization: Token wrong'
  row /api/token/ "Bearer <the right token>" "$B/api/token/" -H "Authorization: Bearer $AUTHDOCTOR_DRF_TOKEN"
  row /api/token/ "Authorization: Token" "$B/api/token/" -H 'Authorization: Token'
  row /api/jwt/ "Authorization: Bearer: abc" "$B/api/jwt/" -H 'Authorization: Bearer: abc'
  row /api/jwt/ "Bearer garbage" "$B/api/jwt/" -H 'Authorization: Bearer garbage'
  jwt_rows "$B" /api/jwt/ "$B/_mint/?kind=" access refresh expired wrongaud badsig
  row /api/admin/ "Token alice (not staff)" "$B/api/admin/" -H "Authorization: Token $AUTHDOCTOR_DRF_TOKEN"
  jwt_rows "$B" /api/admin/ "$B/_mint/?kind=" access admin-access
}

p_flask_jwt() {
  local B=$AUTHDOCTOR_FLASK_JWT
  head_ "flask_jwt ($B)"
  row /protected "no Authorization" "$B/protected"
  row /protected "Authorization: Bearer: abc" "$B/protected" -H 'Authorization: Bearer: abc'
  row /protected "Authorization: Basic" "$B/protected" -u a:b
  row /protected "Bearer garbage" "$B/protected" -H 'Authorization: Bearer garbage'
  jwt_rows "$B" /protected "$B/_mint?kind=" access refresh expired wrongaud wrongiss badsig nbf
  jwt_rows "$B" /fresh "$B/_mint?kind=" access fresh
  jwt_rows "$B" /refresh "$B/_mint?kind=" access refresh
}

express_like() { # express_like NAME BASE
  local name=$1 B=$2
  head_ "$name ($B)"
  row /api/hello "no Authorization" "$B/api/hello"
  row /api/hello "Authorization: Bearer: abc" "$B/api/hello" -H 'Authorization: Bearer: abc'
  row /api/hello "Authorization: Basic" "$B/api/hello" -u a:b
  row /api/hello "Bearer garbage" "$B/api/hello" -H 'Authorization: Bearer garbage'
  jwt_rows "$B" /api/hello "$B/_mint?kind=" access expired wrongaud wrongiss badsig nbf
}
p_express_jwt() {
  express_like express_jwt "$AUTHDOCTOR_EXPRESS_JWT"
  jwt_rows "$AUTHDOCTOR_EXPRESS_JWT" /api/admin "$AUTHDOCTOR_EXPRESS_JWT/_mint?kind=" access admin
}
p_express_jwt_fast() {
  local B=$AUTHDOCTOR_EXPRESS_JWT_FAST N=$AUTHDOCTOR_EXPRESS_JWT
  head_ "express_jwt_fast ($B, clock +1 h) and express_jwt ($N)"
  row /api/hello "on FAST: Bearer <access, 10 min, minted by the normal-clock peer>" "$B/api/hello" -H "$(bearer "$(mint "$N/_mint?kind=access&ttl=600")")"
  row /api/hello "on NORMAL: Bearer <access minted by the +1 h peer>" "$N/api/hello" -H "$(bearer "$(mint "$B/_mint?kind=access")")"
  row /api/hello "on FAST: Bearer <access minted by itself>" "$B/api/hello" -H "$(bearer "$(mint "$B/_mint?kind=access")")"
}
p_fastify_jwt() { express_like fastify_jwt "$AUTHDOCTOR_FASTIFY_JWT"; }
p_auth0_bearer() {
  local B=$AUTHDOCTOR_AUTH0_BEARER
  express_like auth0_bearer "$B"
  jwt_rows "$B" /api/items "$B/_mint?kind=" access noscope
  jwt_rows "$B" /api/admin "$B/_mint?kind=" access admin
}
p_passport_bearer() {
  local B=$AUTHDOCTOR_PASSPORT_BEARER
  head_ "passport_bearer ($B)"
  row /api/hello "no Authorization" "$B/api/hello"
  row /api/hello "Authorization: Bearer: abc" "$B/api/hello" -H 'Authorization: Bearer: abc'
  row /api/hello "Authorization: Bearer a b" "$B/api/hello" -H 'Authorization: Bearer a b'
  row /api/hello "Authorization: Basic" "$B/api/hello" -u a:b
  row /api/hello "Bearer wrong" "$B/api/hello" -H 'Authorization: Bearer wrong'
  row /api/hello "Bearer right" "$B/api/hello" -H "Authorization: Bearer $AUTHDOCTOR_PASSPORT_BEARER_TOKEN"
  row /api/scoped "no Authorization" "$B/api/scoped"
  row /api/scoped "Bearer wrong" "$B/api/scoped" -H 'Authorization: Bearer wrong'
}
p_azurite() {
  local A=$AUTHDOCTOR_AZURITE c="$PEERS_HOME/stacks-node/azurite_client.js" h=()
  head_ "azurite ($A)"
  row /private/hello.txt "no credential" "$A/private/hello.txt"
  row "/?comp=list" "no credential" "$A/?comp=list"
  row /private/hello.txt "account SAS (valid)" "$A/private/hello.txt?$(cat "$AUTHDOCTOR_AZURITE_SAS_FILE")"
  row /private/hello.txt "account SAS (expired 1 h ago)" "$A/private/hello.txt?$(cat "$AUTHDOCTOR_AZURITE_SAS_EXPIRED_FILE")"
  row /private/new.txt "PUT with a read-only SAS" "$A/private/new.txt?$(cat "$AUTHDOCTOR_AZURITE_SAS_READONLY_FILE")" -X PUT -H 'x-ms-blob-type: BlockBlob' --data-binary x
  mapfile -t h < <(node "$c" sharedkey "$A" /private/hello.txt)
  row /private/hello.txt "SharedKey (right key)" "$A/private/hello.txt" "${h[@]/#/-H}"
  mapfile -t h < <(node "$c" sharedkey "$A" /private/hello.txt "$(printf 'wrongkey%.0s' 1 2 3 4 | base64 -w0)")
  row /private/hello.txt "SharedKey (wrong key)" "$A/private/hello.txt" "${h[@]/#/-H}"
  row /private/hello.txt "Authorization: Bearer abc" "$A/private/hello.txt" -H 'Authorization: Bearer abc' -H 'x-ms-version: 2021-08-06'
}
p_caddy() {
  local B=$AUTHDOCTOR_CADDY
  head_ "caddy ($B)"
  row /basic/ "no Authorization" "$B/basic/"
  row /basic/ "Basic right" "$B/basic/" -u "$AUTHDOCTOR_CADDY_USER:$AUTHDOCTOR_CADDY_PASSWORD"
  row /basic/ "Basic wrong password" "$B/basic/" -u "$AUTHDOCTOR_CADDY_USER:wrong"
  row /basic/ "Bearer abc" "$B/basic/" -H 'Authorization: Bearer abc'
  row /forward/ "no Authorization" "$B/forward/"
  row /forward/ "Authorization: Bearer: abc" "$B/forward/" -H 'Authorization: Bearer: abc'
  jwt_rows "$B" /forward/ "$AUTHDOCTOR_EXPRESS_JWT/_mint?kind=" access expired wrongaud
}

stacks=("$@")
[ ${#stacks[@]} -gt 0 ] || stacks=(fastapi drf flask_jwt express_jwt express_jwt_fast fastify_jwt passport_bearer auth0_bearer azurite caddy)
for s in "${stacks[@]}"; do "p_$s"; done
