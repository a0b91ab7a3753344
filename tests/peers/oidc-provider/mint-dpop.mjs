// DPoP (RFC 9449) test material for authdoctor's integration tests, made independently of
// authdoctor with Node's own crypto (no dependency, so it runs from the repository):
//   1. generates an ES256 key pair and writes its private JWK (DIR/dpop-key.json) and PKCS#8 PEM
//      (DIR/dpop-key.pem), both 0600, plus a second, unrelated key (DIR/other-key.json);
//   2. gets a DPoP-bound access token from the DPoP issuer (client_credentials with a DPoP proof,
//      answering one use_dpop_nonce challenge), unless --no-token;
//   3. prints one JSON object: the token, the key's thumbprint (jkt) and, for each --pair, a valid
//      proof and deliberately wrong ones, each as {proof, jti}.
//
//   node mint-dpop.mjs --dir DIR --issuer URL [--client ID:SECRET] [--resource URI] [--no-token]
//                      [--nonce N] [--pair METHOD URL]...
//
// Output: {"key_file","pem_file","other_key_file","jkt","access_token","token_type","claims",
//          "pairs":[{"htm","htu","proofs":{"valid","other_key","wrong_htu","wrong_htm","old_iat",
//          "no_ath","wrong_ath","no_nonce"?}}]}  (no_nonce only with --nonce; every proof of a pair
//          carries the nonce when --nonce is given, except no_nonce).
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

function parseArgs(argv) {
  const o = { pairs: [], client: 'dpop-svc:dpop-svc-secret-4c1e', resource: 'https://dpop-api.authdoctor.test/', token: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--dir') o.dir = argv[++i];
    else if (a === '--issuer') o.issuer = argv[++i].replace(/\/$/, '');
    else if (a === '--client') o.client = argv[++i];
    else if (a === '--resource') o.resource = argv[++i];
    else if (a === '--nonce') o.nonce = argv[++i];
    else if (a === '--no-token') o.token = false;
    else if (a === '--pair') o.pairs.push({ htm: argv[++i], htu: argv[++i] });
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.dir) throw new Error('--dir is required');
  if (o.token && !o.issuer) throw new Error('--issuer is required (or --no-token)');
  return o;
}

const b64u = (buf) => Buffer.from(buf).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

function newKey() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = publicKey.export({ format: 'jwk' });
  return { privateKey, publicJwk: { kty: pub.kty, crv: pub.crv, x: pub.x, y: pub.y } };
}

// RFC 7638 thumbprint of an EC key: the required members in lexicographic order.
function thumbprint(jwk) {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return b64u(crypto.createHash('sha256').update(canonical).digest());
}

function sign(key, header, claims) {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`;
  const sig = crypto.sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64u(sig)}`;
}

// One proof: claims may be overridden (undefined removes a claim).
function proof(key, htm, htu, extra = {}) {
  const claims = { jti: crypto.randomUUID(), htm, htu, iat: now(), ...extra };
  for (const k of Object.keys(claims)) if (claims[k] === undefined) delete claims[k];
  return { proof: sign(key, { typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk }, claims), jti: claims.jti };
}

const ath = (token) => b64u(crypto.createHash('sha256').update(token).digest());

function writePrivate(file, text) {
  fs.writeFileSync(file, text, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

async function getToken(o, key) {
  const disc = await (await fetch(`${o.issuer}/.well-known/openid-configuration`)).json();
  const tokenUrl = disc.token_endpoint;
  const [id, secret] = o.client.split(':');
  const body = new URLSearchParams({ grant_type: 'client_credentials', scope: 'read', resource: o.resource });
  let nonce;
  for (let attempt = 0; attempt < 2; attempt++) {
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        dpop: proof(key, 'POST', tokenUrl, nonce ? { nonce } : {}).proof,
      },
      body,
    });
    const json = await res.json();
    if (res.status === 400 && json.error === 'use_dpop_nonce' && !nonce) {
      nonce = res.headers.get('dpop-nonce');
      continue;
    }
    if (!res.ok) throw new Error(`token endpoint ${tokenUrl}: ${res.status} ${JSON.stringify(json)}`);
    return { json, tokenUrl };
  }
  throw new Error('token endpoint kept asking for a nonce');
}

const o = parseArgs(process.argv.slice(2));
fs.mkdirSync(o.dir, { recursive: true });
const key = newKey();
const other = newKey();
const keyFile = path.join(o.dir, 'dpop-key.json');
const pemFile = path.join(o.dir, 'dpop-key.pem');
const otherFile = path.join(o.dir, 'other-key.json');
writePrivate(keyFile, JSON.stringify(key.privateKey.export({ format: 'jwk' })));
writePrivate(pemFile, key.privateKey.export({ format: 'pem', type: 'pkcs8' }));
writePrivate(otherFile, JSON.stringify(other.privateKey.export({ format: 'jwk' })));

const out = { key_file: keyFile, pem_file: pemFile, other_key_file: otherFile, jkt: thumbprint(key.publicJwk) };
let token;
if (o.token) {
  const { json, tokenUrl } = await getToken(o, key);
  token = json.access_token;
  out.access_token = token;
  out.token_type = json.token_type;
  out.token_endpoint = tokenUrl;
  out.claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
}

const n = o.nonce ? { nonce: o.nonce } : {};
const a = token ? { ath: ath(token) } : {};
out.pairs = o.pairs.map(({ htm, htu }) => {
  const wrongHtu = new URL(htu);
  wrongHtu.pathname = `${wrongHtu.pathname.replace(/\/$/, '')}/elsewhere`;
  const proofs = {
    valid: proof(key, htm, htu, { ...a, ...n }),
    other_key: proof(other, htm, htu, { ...a, ...n }),
    wrong_htu: proof(key, htm, wrongHtu.href, { ...a, ...n }),
    wrong_htm: proof(key, htm.toUpperCase() === 'GET' ? 'POST' : 'GET', htu, { ...a, ...n }),
    old_iat: proof(key, htm, htu, { ...a, ...n, iat: now() - 3600 }),
    no_ath: proof(key, htm, htu, { ...n }),
    wrong_ath: proof(key, htm, htu, { ...n, ath: ath(`not-the-token-${crypto.randomUUID()}`) }),
  };
  if (o.nonce) proofs.no_nonce = proof(key, htm, htu, { ...a });
  return { htm, htu, proofs };
});
process.stdout.write(`${JSON.stringify(out)}\n`);
