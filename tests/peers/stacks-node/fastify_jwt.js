// fastify + @fastify/jwt: request.jwtVerify() in an onRequest hook, errors sent as-is.
//   GET /api/hello   jwtVerify with allowedAud / allowedIss
//   GET /_mint?kind=access|expired|wrongaud|wrongiss|badsig|nbf[&ttl=S]  (fastify.jwt.sign / fast-jwt)
'use strict';
const Fastify = require('fastify');
const { createSigner } = require('fast-jwt');
const { SECRET, AUDIENCE, ISSUER, HOST, PORT, mintClaims } = require('./common');

const app = Fastify({ logger: false });
app.register(require('@fastify/jwt'), { secret: SECRET, verify: { allowedAud: AUDIENCE, allowedIss: ISSUER } });
app.get('/_mint', async (req, reply) => {
  const m = mintClaims(req.query.kind, req.query.ttl);
  if (!m) return reply.code(400).send({ error: 'unknown kind' });
  const token = m.key === SECRET ? app.jwt.sign(m.claims) : createSigner({ key: m.key })(m.claims);
  return { kind: req.query.kind || 'access', token };
});
app.register(async (api) => {
  api.addHook('onRequest', async (request, reply) => {
    try {
      await request.jwtVerify();
    } catch (err) {
      reply.send(err);
    }
  });
  api.get('/hello', async (request) => ({ ok: true, sub: request.user.sub }));
}, { prefix: '/api' });
app.listen({ port: PORT, host: HOST }).then(() => console.log(`fastify-jwt peer on http://${HOST}:${PORT}`));
