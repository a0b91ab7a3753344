// A real OAuth 2 / OpenID Connect issuer (oidc-provider) for authdoctor's integration tests:
// client_credentials with resource indicators, so access tokens are RFC 9068 JWTs (at+jwt) whose
// audience is the guarded API. Listens on 127.0.0.1 only.
//
// Env: PORT (default 14000), ISSUER (default http://127.0.0.1:PORT), KEYS_FILE (private JWKS:
// loaded when it exists, else generated and written, so tests can mint tokens with the same keys).
import fs from 'node:fs';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const HOST = '127.0.0.1';
const PORT = Number(process.env.PORT || 14000);
const ISSUER = process.env.ISSUER || `http://${HOST}:${PORT}`;
const KEYS_FILE = process.env.KEYS_FILE;

// The guarded API's resource identifiers (RFC 8707). The first is the default audience.
const RESOURCES = {
  'https://api.authdoctor.test/': { alg: 'RS256', ttl: 300 },
  'https://api.authdoctor.test/es256': { alg: 'ES256', ttl: 300 },
  // Issue 4 (tokens): access tokens that live 5 seconds, for refresh-ahead and proxy soaks.
  'https://api.authdoctor.test/short': { alg: 'ES256', ttl: 5 },
};

function generateKeys() {
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return {
    keys: [
      { ...rsa, kid: 'rs256-test', alg: 'RS256', use: 'sig' },
      { ...ec, kid: 'es256-test', alg: 'ES256', use: 'sig' },
    ],
  };
}

let jwks;
if (KEYS_FILE && fs.existsSync(KEYS_FILE)) {
  jwks = JSON.parse(fs.readFileSync(KEYS_FILE, 'utf8'));
} else {
  jwks = generateKeys();
  if (KEYS_FILE) fs.writeFileSync(KEYS_FILE, JSON.stringify(jwks), { mode: 0o600 });
}

const configuration = {
  clients: [
    {
      client_id: 'svc',
      client_secret: 'svc-guard-secret-5e1b',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'read write',
    },
    // Issue 4 (tokens): the --fix loop's client (basic), its client_secret_post twin, and one
    // used only by the single-flight test (so its token count is its own).
    // The fleet (shared Redis cache) tests: one client each, so each counts its own requests.
    ...['fix-client', 'fix-client-post', 'tokens-sf',
      'fleet-cli', 'fleet-soak', 'fleet-restart', 'fleet-lease', 'fleet-tamper', 'fleet-scan', 'fleet-bench',
    ].map((id) => ({
      client_id: id,
      client_secret: `${id}-secret-8d2a`,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: id === 'fix-client-post' ? 'client_secret_post' : 'client_secret_basic',
      scope: 'read write',
    })),
  ],
  jwks,
  // The scopes the guarded API knows (client `scope` may only use listed values).
  scopes: ['openid', 'read', 'write'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => Object.keys(RESOURCES)[0],
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resourceIndicator) => {
        const r = RESOURCES[resourceIndicator];
        if (!r) throw new Provider.errors.InvalidTarget();
        return {
          scope: 'read write',
          audience: resourceIndicator,
          accessTokenTTL: r.ttl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: r.alg } },
        };
      },
    },
  },
};

const provider = new Provider(ISSUER, configuration);
provider.on('server_error', (ctx, err) => console.error('server_error', err));
// Issue 4 (tokens): successful token requests per client, counted at the provider, so tests can
// assert single-flight ("200 callers, 1 token request"). GET /__authdoctor/token-count?client_id=X
const tokenCounts = new Map();
provider.on('grant.success', (ctx) => {
  const id = ctx.oidc?.client?.clientId;
  if (id) tokenCounts.set(id, (tokenCounts.get(id) || 0) + 1);
});
provider.use(async (ctx, next) => {
  if (ctx.path === '/__authdoctor/token-count') {
    ctx.body = { count: tokenCounts.get(ctx.query.client_id) || 0 };
    return;
  }
  await next();
});
// The host argument matters: without it Node listens on every interface.
provider.listen(PORT, HOST, () => {
  console.log(`oidc-provider ${ISSUER} listening on http://${HOST}:${PORT}`);
});
