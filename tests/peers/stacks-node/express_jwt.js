// express + express-jwt: the README's error handler, serialising err.code / err.message.
//   GET /api/hello   expressjwt({ secret, algorithms: ['HS256'], audience, issuer })
//   GET /api/admin   same, then a scope check answering 403 {"error":"insufficient_scope",...}
//                    (a JSON OAuth error without WWW-Authenticate, as hand-written APIs do)
//   GET /_mint?kind=access|expired|wrongaud|wrongiss|badsig|nbf|noscope|admin[&ttl=S]  (jsonwebtoken)
'use strict';
const express = require('express');
const { expressjwt } = require('express-jwt');
const jsonwebtoken = require('jsonwebtoken');
const { SECRET, AUDIENCE, ISSUER, HOST, PORT, mintClaims } = require('./common');

const app = express();
app.get('/_mint', (req, res) => {
  const m = mintClaims(req.query.kind, req.query.ttl);
  if (!m) return res.status(400).json({ error: 'unknown kind' });
  res.json({ kind: req.query.kind || 'access', token: jsonwebtoken.sign(m.claims, m.key, { algorithm: 'HS256' }) });
});
app.use('/api', expressjwt({ secret: SECRET, algorithms: ['HS256'], audience: AUDIENCE, issuer: ISSUER }));
app.get('/api/hello', (req, res) => res.json({ ok: true, sub: req.auth.sub }));
app.get('/api/admin', (req, res) => {
  const scopes = String(req.auth.scope || '').split(' ');
  if (!scopes.includes('admin')) {
    return res.status(403).json({ error: 'insufficient_scope', error_description: 'The access token lacks the scope: admin' });
  }
  res.json({ ok: true, admin: true });
});
app.use((err, req, res, next) => {
  if (err.name === 'UnauthorizedError') {
    return res.status(err.status).json({ error: err.code, message: err.message });
  }
  next(err);
});
app.listen(PORT, HOST, () => console.log(`express-jwt peer on http://${HOST}:${PORT}`));
