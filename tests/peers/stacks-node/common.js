// Shared settings of the Node stacks: the HS256 test secret, audience and issuer, and a
// `mintClaims(kind)` helper for the unprotected /_mint routes. Every server listens on 127.0.0.1.
'use strict';
const SECRET = process.env.STACK_JWT_SECRET || 'authdoctor-stacks-test-secret-0123456789abcdef';
const OTHER_SECRET = 'not-the-server-secret-0123456789abcdef';
const AUDIENCE = 'authdoctor-api';
const ISSUER = 'https://issuer.authdoctor.test';
const HOST = '127.0.0.1';
const PORT = Number(process.env.PORT || 0);
if (!PORT) throw new Error('PORT is required');

// kind -> { claims, key }: claims in seconds since the epoch (this process's clock).
function mintClaims(kind, ttl) {
  const now = Math.floor(Date.now() / 1000);
  const life = Number(ttl || 600);
  const claims = { sub: 'alice', aud: AUDIENCE, iss: ISSUER, iat: now, nbf: now, exp: now + life, scope: 'read:items' };
  let key = SECRET;
  switch (kind || 'access') {
    case 'access': break;
    case 'expired': Object.assign(claims, { iat: now - 7200, nbf: now - 7200, exp: now - 3600 }); break;
    case 'wrongaud': claims.aud = 'some-other-api'; break;
    case 'wrongiss': claims.iss = 'https://evil.example'; break;
    case 'badsig': key = OTHER_SECRET; break;
    case 'nbf': claims.nbf = now + 3600; break;
    case 'noscope': claims.scope = 'profile'; break;
    case 'admin': claims.scope = 'read:items admin'; break;
    default: return null;
  }
  return { claims, key };
}

module.exports = { SECRET, AUDIENCE, ISSUER, HOST, PORT, mintClaims };
