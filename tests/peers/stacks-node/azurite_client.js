// Test client for the Azurite (Azure Blob emulator) peer: Shared Key signing and account SAS,
// written from the Azure Storage REST documentation (no SDK needed).
//
//   node azurite_client.js setup BASE                 create container "private" + blob "hello.txt"
//   node azurite_client.js sas KIND                   print an account SAS query string
//        KIND = valid (read+list, 24 h) | expired (ended 1 h ago) | readonly (read only, for a write)
//   node azurite_client.js sharedkey BASE PATH [KEY]  print "Authorization: SharedKey …" and x-ms-date lines
//
// Account and key: Azurite's documented development account (public, not a secret).
'use strict';
const crypto = require('node:crypto');
const http = require('node:http');

const ACCOUNT = 'devstoreaccount1';
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const VERSION = '2021-08-06';

function sharedKeyHeaders(method, url, headers, key) {
  const u = new URL(url);
  const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
  const canonHeaders = Object.keys(h).filter((k) => k.startsWith('x-ms-')).sort()
    .map((k) => `${k}:${h[k]}\n`).join('');
  // Path-style (emulator) URLs: /devstoreaccount1/container/blob -> /devstoreaccount1/devstoreaccount1/container/blob
  let resource = `/${ACCOUNT}${u.pathname}`;
  const params = [...u.searchParams.keys()].map((k) => k.toLowerCase()).sort();
  for (const k of [...new Set(params)]) {
    resource += `\n${k}:${u.searchParams.getAll(k).sort().join(',')}`;
  }
  const len = h['content-length'] && h['content-length'] !== '0' ? h['content-length'] : '';
  const toSign = [method, h['content-encoding'] || '', h['content-language'] || '', len, h['content-md5'] || '',
    h['content-type'] || '', '', h['if-modified-since'] || '', h['if-match'] || '', h['if-none-match'] || '',
    h['if-unmodified-since'] || '', h.range || ''].join('\n') + '\n' + canonHeaders + resource;
  const sig = crypto.createHmac('sha256', Buffer.from(key || KEY, 'base64')).update(toSign, 'utf8').digest('base64');
  return { ...headers, Authorization: `SharedKey ${ACCOUNT}:${sig}` };
}

function accountSas(kind) {
  const now = Date.now();
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  let sp = 'rl', st = iso(now - 5 * 60e3), se = iso(now + 24 * 3600e3);
  if (kind === 'expired') { st = iso(now - 7200e3); se = iso(now - 3600e3); }
  if (kind === 'readonly') sp = 'r';
  const ss = 'b', srt = 'sco', spr = 'http,https', sip = '', ses = '';
  const toSign = [ACCOUNT, sp, ss, srt, st, se, sip, spr, VERSION, ses, ''].join('\n');
  const sig = crypto.createHmac('sha256', Buffer.from(KEY, 'base64')).update(toSign, 'utf8').digest('base64');
  return new URLSearchParams({ sv: VERSION, ss, srt, sp, st, se, spr, sig }).toString();
}

function request(method, url, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let data = '';
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: data }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

async function signed(method, url, extra = {}, body) {
  const headers = { 'x-ms-date': new Date().toUTCString(), 'x-ms-version': VERSION, ...extra };
  if (body) headers['Content-Length'] = Buffer.byteLength(body);
  return request(method, url, sharedKeyHeaders(method, url, headers), body);
}

async function main() {
  const [cmd, a, b, c] = process.argv.slice(2);
  if (cmd === 'setup') {
    let r = await signed('PUT', `${a}/private?restype=container`);
    if (r.status !== 201 && r.status !== 409) throw new Error(`create container: ${r.status} ${r.body}`);
    r = await signed('PUT', `${a}/private/hello.txt`, { 'x-ms-blob-type': 'BlockBlob', 'Content-Type': 'text/plain' }, 'hello from azurite\n');
    if (r.status !== 201) throw new Error(`put blob: ${r.status} ${r.body}`);
    r = await signed('GET', `${a}/private/hello.txt`);
    if (r.status !== 200) throw new Error(`get blob with Shared Key: ${r.status} ${r.body}`);
    r = await request('GET', `${a}/private/hello.txt?${accountSas('valid')}`, {});
    if (r.status !== 200) throw new Error(`get blob with a valid SAS: ${r.status} ${r.body}`);
  } else if (cmd === 'sas') {
    process.stdout.write(accountSas(a) + '\n');
  } else if (cmd === 'sharedkey') {
    const h = sharedKeyHeaders('GET', `${a}${b}`, { 'x-ms-date': new Date().toUTCString(), 'x-ms-version': VERSION }, c);
    for (const [k, v] of Object.entries(h)) process.stdout.write(`${k}: ${v}\n`);
  } else {
    throw new Error('usage: azurite_client.js setup BASE | sas KIND | sharedkey BASE PATH [KEY]');
  }
}
main().catch((e) => { console.error(e.message); process.exit(1); });
