// The token server of the container-registry peer (Docker/OCI distribution "token"
// authentication): GET /token?service=…&scope=repository:NAME:ACTIONS with Basic credentials
// answers {"token", "access_token", "expires_in"}: an RS256 JWT whose x5c header carries the
// certificate the registry trusts (its rootcertbundle), with the `access` claim the registry
// checks. Bound to 127.0.0.1 only.
'use strict';
const http = require('http');
const fs = require('fs');
const crypto = require('crypto');
const jwt = require('jsonwebtoken');

const PORT = Number(process.env.PORT);
const KEY = fs.readFileSync(process.env.TOKEN_KEY);
const CERT_PEM = fs.readFileSync(process.env.TOKEN_CERT, 'utf8');
const CERT_DER = CERT_PEM.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
const USER = process.env.REGISTRY_USER;
const PASSWORD = process.env.REGISTRY_PASSWORD;
const ISSUER = process.env.TOKEN_ISSUER;

function access(scope) {
  // repository:library/app:pull,push
  if (!scope) return [];
  const parts = scope.split(':');
  if (parts.length < 3) return [];
  return [{ type: parts[0], name: parts.slice(1, -1).join(':'), actions: parts[parts.length - 1].split(',') }];
}

http
  .createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname !== '/token') {
      res.writeHead(404).end();
      return;
    }
    const auth = req.headers.authorization || '';
    const [scheme, b64] = auth.split(' ');
    const pair = scheme && scheme.toLowerCase() === 'basic' ? Buffer.from(b64 || '', 'base64').toString() : '';
    const i = pair.indexOf(':');
    if (i < 0 || pair.slice(0, i) !== USER || pair.slice(i + 1) !== PASSWORD) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="registry token"' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] }));
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const token = jwt.sign(
      {
        iss: ISSUER,
        sub: USER,
        aud: url.searchParams.get('service') || '',
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: crypto.randomBytes(8).toString('hex'),
        access: access(url.searchParams.get('scope')),
      },
      KEY,
      { algorithm: 'RS256', header: { x5c: [CERT_DER] } }
    );
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: 300 }));
  })
  .listen(PORT, '127.0.0.1');
