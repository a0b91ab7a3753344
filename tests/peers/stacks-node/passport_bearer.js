// express + passport + passport-http-bearer (opaque tokens looked up in a table, as in its README).
//   GET /api/hello   passport.authenticate('bearer', { session: false }), realm "Users"
//   GET /api/scoped  a second strategy declaring scope "read:items"
// Tokens: PASSPORT_TOKEN (alice).
'use strict';
const express = require('express');
const passport = require('passport');
const { Strategy: BearerStrategy } = require('passport-http-bearer');
const { HOST, PORT } = require('./common');

const TOKENS = { [process.env.PASSPORT_TOKEN || 'passport-alice-token-9b1e']: { username: 'alice' } };
const verify = (token, done) => done(null, TOKENS[token] || false);
passport.use(new BearerStrategy(verify));
passport.use('bearer-scoped', new BearerStrategy({ realm: 'Users', scope: 'read:items' }, verify));

const app = express();
app.use(passport.initialize());
app.get('/api/hello', passport.authenticate('bearer', { session: false }), (req, res) => res.json({ ok: true, user: req.user.username }));
app.get('/api/scoped', passport.authenticate('bearer-scoped', { session: false }), (req, res) => res.json({ ok: true, user: req.user.username }));
app.listen(PORT, HOST, () => console.log(`passport-http-bearer peer on http://${HOST}:${PORT}`));
