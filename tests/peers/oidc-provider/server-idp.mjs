// authdoctor's identity-provider peer for issue 3 (issuer-aware diagnosis): oidc-provider with
// client_credentials, introspection, revocation and resource indicators; JWT (RS256, ES256)
// and opaque access tokens. Several instances share one private JWKS (KEYS_FILE) to play a
// wrong issuer and issuers whose clock is off (libfaketime). Listens on 127.0.0.1 only.
//
// Env: PORT (required), ISSUER (default http://127.0.0.1:PORT), KEYS_FILE (private JWKS: read
// when present, else generated and written), TLS_PORT + TLS_CERT + TLS_KEY (an extra HTTPS
// listener on the same provider: mod_auth_openidc only fetches JWKS/introspection over https).
// Reuses the package.json / node_modules of server.mjs (the guard's peer).
import fs from 'node:fs';
import https from 'node:https';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const HOST = '127.0.0.1';
const PORT = Number(process.env.PORT);
const ISSUER = process.env.ISSUER || `http://${HOST}:${PORT}`;
const KEYS_FILE = process.env.KEYS_FILE;

const RESOURCES = {
  'https://api.example.test/': { alg: 'RS256', ttl: 300, format: 'jwt' },
  'https://api.example.test/es256': { alg: 'ES256', ttl: 300, format: 'jwt' },
  'https://api.example.test/other': { alg: 'RS256', ttl: 300, format: 'jwt' },
  'https://api.example.test/opaque': { ttl: 300, format: 'opaque' },
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

const cc = (id, secret, method) => ({
  client_id: id,
  client_secret: secret,
  grant_types: ['client_credentials'],
  redirect_uris: [],
  response_types: [],
  token_endpoint_auth_method: method,
  scope: 'read write',
});

const provider = new Provider(ISSUER, {
  clients: [
    cc('svc', 'svc-secret', 'client_secret_basic'),
    cc('svc-post', 'svc-post-secret', 'client_secret_post'),
    cc('rs', 'rs-secret', 'client_secret_basic'),
  ],
  jwks,
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
        const info = { scope: 'read write', audience: resourceIndicator, accessTokenTTL: r.ttl, accessTokenFormat: r.format };
        if (r.format === 'jwt') info.jwt = { sign: { alg: r.alg } };
        return info;
      },
    },
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));
provider.listen(PORT, HOST, () => console.log(`idp ${ISSUER} on http://${HOST}:${PORT}`));
if (process.env.TLS_PORT) {
  const srv = https.createServer(
    { cert: fs.readFileSync(process.env.TLS_CERT), key: fs.readFileSync(process.env.TLS_KEY) },
    provider.callback(),
  );
  srv.listen(Number(process.env.TLS_PORT), HOST, () => console.log(`idp TLS on ${HOST}:${process.env.TLS_PORT}`));
}
