// Mints an RS256 JWT for authdoctor's issue-3 tests, signed with the idp peer's shared private
// JWKS (KEYS_FILE, key kid "rs256-test") or, with KID "fresh", with a key generated here that
// no issuer publishes. Node's own crypto only: no dependency.
//
//   node mint.mjs KEYS_FILE rs256-test|fresh '{"kid":"…"}' '{"iss":"…",…}'   → the token on stdout
import fs from 'node:fs';
import crypto from 'node:crypto';

const [keysFile, which, headerJson, claimsJson] = process.argv.slice(2);
let key;
if (which === 'fresh') {
  key = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
} else {
  const jwk = JSON.parse(fs.readFileSync(keysFile, 'utf8')).keys.find((k) => k.kid === which);
  if (!jwk) throw new Error(`no key ${which} in ${keysFile}`);
  key = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
}
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
const header = { alg: 'RS256', typ: 'JWT', ...JSON.parse(headerJson) };
const input = `${b64(header)}.${b64(JSON.parse(claimsJson))}`;
const sig = crypto.sign('sha256', Buffer.from(input), key).toString('base64url');
process.stdout.write(`${input}.${sig}`);
