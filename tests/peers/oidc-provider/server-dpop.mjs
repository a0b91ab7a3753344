// A DPoP issuer (RFC 9449) for authdoctor's sender-constrained-token tests: oidc-provider with
// its dPoP feature, client_credentials and resource indicators, so a token request carrying a
// `DPoP` proof yields `token_type: DPoP` and an RFC 9068 JWT access token with `cnf.jkt`.
// A separate instance from server.mjs (own port, own keys) so the other tests are unaffected.
// Listens on 127.0.0.1 only.
//
// Clients (client_secret_basic, client_credentials):
//   dpop-svc / dpop-svc-secret-4c1e       DPoP required (dpop_bound_access_tokens)
//   dpop-nonce / dpop-nonce-secret-9a7f   DPoP required, and the proof must carry a server nonce
//                                         (400 use_dpop_nonce + DPoP-Nonce otherwise)
//
// Env: PORT (required), ISSUER (default http://127.0.0.1:PORT), KEYS_FILE (private JWKS: read
// when present, else generated and written, so a restart keeps the key ids the RS cached).
// Reuses the package.json / node_modules of server.mjs.
import fs from 'node:fs';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const HOST = '127.0.0.1';
const PORT = Number(process.env.PORT);
const ISSUER = process.env.ISSUER || `http://${HOST}:${PORT}`;
const KEYS_FILE = process.env.KEYS_FILE;

// The DPoP resource server's audience (RFC 8707 resource indicator).
const AUDIENCE = 'https://dpop-api.authdoctor.test/';

let jwks;
if (KEYS_FILE && fs.existsSync(KEYS_FILE)) {
  jwks = JSON.parse(fs.readFileSync(KEYS_FILE, 'utf8'));
} else {
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  jwks = { keys: [{ ...ec, kid: 'dpop-issuer-es256', alg: 'ES256', use: 'sig' }] };
  if (KEYS_FILE) fs.writeFileSync(KEYS_FILE, JSON.stringify(jwks), { mode: 0o600 });
}

const client = (id, secret) => ({
  client_id: id,
  client_secret: secret,
  grant_types: ['client_credentials'],
  redirect_uris: [],
  response_types: [],
  token_endpoint_auth_method: 'client_secret_basic',
  scope: 'read write',
  dpop_bound_access_tokens: true,
  // The only signing key is ES256 (the default, RS256, has no key here).
  id_token_signed_response_alg: 'ES256',
});

const provider = new Provider(ISSUER, {
  clients: [client('dpop-svc', 'dpop-svc-secret-4c1e'), client('dpop-nonce', 'dpop-nonce-secret-9a7f')],
  jwks,
  scopes: ['openid', 'read', 'write'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    dPoP: {
      enabled: true,
      // A nonce secret enables server nonces; only the dpop-nonce client must use them.
      nonceSecret: crypto.randomBytes(32),
      requireNonce: (ctx) => ctx.oidc?.client?.clientId === 'dpop-nonce',
    },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => AUDIENCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resourceIndicator) => {
        if (resourceIndicator !== AUDIENCE) throw new Provider.errors.InvalidTarget();
        return {
          scope: 'read write',
          audience: AUDIENCE,
          accessTokenTTL: 600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        };
      },
    },
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));
// The host argument matters: without it Node listens on every interface.
provider.listen(PORT, HOST, () => {
  console.log(`oidc-provider (DPoP) ${ISSUER} listening on http://${HOST}:${PORT}`);
});
