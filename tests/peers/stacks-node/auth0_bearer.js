// express + express-oauth2-jwt-bearer (Auth0's resource-server middleware), HS256 with a shared
// secret, errors left to express's default handler (NODE_ENV=production: no stack traces).
//   GET /api/hello   auth({ secret, tokenSigningAlg: 'HS256', audience, issuer })
//   GET /api/items   + requiredScopes('read:items')
//   GET /api/admin   + requiredScopes('admin')
//   GET /_mint?kind=access|expired|wrongaud|wrongiss|badsig|nbf|noscope|admin[&ttl=S]  (jose, the SDK's own JWT library)
'use strict';
const express = require('express');
const { auth, requiredScopes } = require('express-oauth2-jwt-bearer');
const { SignJWT } = require('jose');
const { SECRET, AUDIENCE, ISSUER, HOST, PORT, mintClaims } = require('./common');

const app = express();
app.get('/_mint', async (req, res) => {
  const m = mintClaims(req.query.kind, req.query.ttl);
  if (!m) return res.status(400).json({ error: 'unknown kind' });
  const token = await new SignJWT(m.claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(m.key));
  res.json({ kind: req.query.kind || 'access', token });
});
app.use('/api', auth({ secret: SECRET, tokenSigningAlg: 'HS256', audience: AUDIENCE, issuer: ISSUER }));
app.get('/api/hello', (req, res) => res.json({ ok: true, sub: req.auth.payload.sub }));
app.get('/api/items', requiredScopes('read:items'), (req, res) => res.json({ ok: true, items: ['a', 'b'] }));
app.get('/api/admin', requiredScopes('admin'), (req, res) => res.json({ ok: true, admin: true }));
app.listen(PORT, HOST, () => console.log(`express-oauth2-jwt-bearer peer on http://${HOST}:${PORT}`));
