// express + express-oauth2-jwt-bearer (Auth0's resource-server middleware) enforcing DPoP
// (RFC 9449) for tokens of the DPoP issuer peer (oidc-provider, server-dpop.mjs): the middleware
// checks the JWT (issuer, audience, ES256 signature against the issuer's JWKS) and the proof
// (typ, signature by the embedded key, iat window 300 s, htm, htu, ath, cnf.jkt thumbprint).
// Errors go to express's default handler (NODE_ENV=production: no stack traces); status and
// WWW-Authenticate come from the middleware (proof errors are 400 invalid_dpop_proof there).
//
//   GET|POST /api/hello     auth({ dpop: { required: true } })        DPoP only
//   GET|POST /mixed/hello   auth() (DPoP enabled, not required)       Bearer or DPoP
//   GET|POST /nonce/hello   DPoP only, and the proof must carry this server's nonce: otherwise
//                           401 `DPoP error="use_dpop_nonce"` + `DPoP-Nonce` (RFC 9449 §9)
//   GET /__authdoctor/jti?jti=X   {"count": N}: how many requests carried a proof with that jti
//
// The nonce and replay checks are this app's own code around the middleware (it has neither):
// every proof jti is counted on arrival, and a verified proof whose jti was seen before is
// refused (401 invalid_dpop_proof), as RFC 9449 §11.1 asks of a server that tracks jti.
//
// Env: PORT, DPOP_ISSUER (the issuer's URL, e.g. http://127.0.0.1:14020).
'use strict';
const crypto = require('node:crypto');
const express = require('express');
const { auth } = require('express-oauth2-jwt-bearer');

const HOST = '127.0.0.1';
const PORT = Number(process.env.PORT || 0);
const ISSUER = process.env.DPOP_ISSUER;
if (!PORT || !ISSUER) throw new Error('PORT and DPOP_ISSUER are required');
const AUDIENCE = 'https://dpop-api.authdoctor.test/';
const NONCE = crypto.randomBytes(16).toString('base64url');
const ALGS = 'RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES256K ES384 ES512 EdDSA';

const base = { issuer: ISSUER, jwksUri: `${ISSUER}/jwks`, audience: AUDIENCE, tokenSigningAlg: 'ES256' };

const seen = new Map();
function proofClaims(req) {
  const p = req.get('DPoP');
  if (!p) return undefined;
  try {
    return JSON.parse(Buffer.from(p.split('.')[1] || '', 'base64url').toString());
  } catch {
    return undefined;
  }
}

const app = express();
app.get('/__authdoctor/jti', (req, res) => res.json({ count: seen.get(req.query.jti) || 0 }));
// Counted before any check, so a test can see every proof the server received.
app.use((req, res, next) => {
  const jti = proofClaims(req)?.jti;
  if (typeof jti === 'string') seen.set(jti, (seen.get(jti) || 0) + 1);
  next();
});

function noReplay(req, res, next) {
  const jti = proofClaims(req)?.jti;
  if (typeof jti === 'string' && seen.get(jti) > 1) {
    res.set('WWW-Authenticate', `DPoP error="invalid_dpop_proof", error_description="DPoP proof replayed (jti seen before)", algs="${ALGS}"`);
    return res.status(401).json({ error: 'invalid_dpop_proof', error_description: 'DPoP proof replayed (jti seen before)' });
  }
  next();
}

function requireNonce(req, res, next) {
  if (proofClaims(req)?.nonce === NONCE) return next();
  res.set('DPoP-Nonce', NONCE);
  res.set('WWW-Authenticate', `DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", algs="${ALGS}"`);
  res.status(401).json({ error: 'use_dpop_nonce', error_description: 'Resource server requires nonce in DPoP proof' });
}

const ok = (req, res) => res.json({ ok: true, sub: req.auth.payload.sub, jkt: req.auth.payload.cnf?.jkt });
app.all('/api/hello', auth({ ...base, dpop: { required: true } }), noReplay, ok);
app.all('/mixed/hello', auth(base), noReplay, ok);
app.all('/nonce/hello', auth({ ...base, dpop: { required: true } }), noReplay, requireNonce, ok);
app.listen(PORT, HOST, () => console.log(`express-oauth2-jwt-bearer DPoP peer on http://${HOST}:${PORT} (issuer ${ISSUER})`));
