// MCP authorization discovery chain variants for authdoctor's tests: RFC 9728 protected-resource
// metadata -> RFC 8414 authorization-server metadata, built with the MCP TypeScript SDK's own
// server auth helpers (requireBearerAuth, getOAuthProtectedResourceMetadataUrl, mcpAuthRouter,
// createOAuthMetadata, DemoInMemoryAuthProvider, a stateless StreamableHTTPServerTransport).
// One correct variant, then each broken in exactly one way. Everything listens on 127.0.0.1.
//
// Variant i serves its MCP resource on RS_BASE+i (the client calls http://127.0.0.1:RS_BASE+i/mcp)
// and its authorization server on AS_BASE+i:
//   0 ok               correct chain; the 401 carries resource_metadata; the token works
//   1 trailing_slash   resource metadata `resource` is ".../mcp/" (trailing slash)
//   2 other_host       `resource` names http://localhost:PORT/mcp (the client calls 127.0.0.1)
//   3 metadata_404     the challenge's resource_metadata URL answers 404
//   4 issuer_mismatch  AS metadata `issuer` is https://auth.example.test/ (fetched from AS_BASE+4)
//   5 no_s256          AS metadata without code_challenge_methods_supported
//   6 plain_only       AS metadata with code_challenge_methods_supported ["plain"]
//   7 no_registration  AS without registration_endpoint (its client store cannot register) and
//                      without client_id_metadata_document_supported
//   8 no_auth_servers  resource metadata without authorization_servers
//   9 not_json         resource metadata answers 200 text/html (an SPA's catch-all page)
//
// Every variant accepts one known bearer token (MCP_CHAIN_TOKEN) on /mcp: POST is a real MCP
// server (stateless, JSON responses: send Accept: application/json, text/event-stream), GET
// answers {"ok":true}. Without it: 401 `Bearer error="invalid_token", error_description="Missing
// Authorization header", resource_metadata="http://127.0.0.1:RS/.well-known/oauth-protected-resource/mcp"`.
//
// Env: RS_BASE (default 14710), AS_BASE (default 14720), MCP_CHAIN_TOKEN (required).
import express from 'express';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import {
  createOAuthMetadata,
  getOAuthProtectedResourceMetadataUrl,
  mcpAuthRouter,
} from '@modelcontextprotocol/sdk/server/auth/router.js';
import { InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { DemoInMemoryAuthProvider } from '@modelcontextprotocol/sdk/examples/server/demoInMemoryOAuthProvider.js';

const HOST = '127.0.0.1';
const RS_BASE = Number(process.env.RS_BASE || 14710);
const AS_BASE = Number(process.env.AS_BASE || 14720);
const TOKEN = process.env.MCP_CHAIN_TOKEN;
if (!TOKEN) throw new Error('MCP_CHAIN_TOKEN is required');
const SCOPES = ['mcp:tools'];

export const VARIANTS = [
  'ok',
  'trailing_slash',
  'other_host',
  'metadata_404',
  'issuer_mismatch',
  'no_s256',
  'plain_only',
  'no_registration',
  'no_auth_servers',
  'not_json',
];

function listen(app, port) {
  return new Promise((resolve, reject) => {
    // The host argument matters: without it Node listens on every interface.
    const server = app.listen(port, HOST, () => resolve(server));
    server.on('error', reject);
  });
}

// The authorization server of one variant: the SDK's own router (authorize, token, register,
// revoke, metadata) over its demo provider; a broken variant's metadata is served first.
function authServer(variant, port) {
  const issuerUrl = new URL(`http://${HOST}:${port}/`);
  const provider = new DemoInMemoryAuthProvider();
  if (variant === 'no_registration') {
    // A client store without registerClient: the SDK then advertises no registration_endpoint.
    const store = provider.clientsStore;
    provider.clientsStore = { getClient: (id) => store.getClient(id) };
  }
  const metadata = createOAuthMetadata({ provider, issuerUrl, scopesSupported: SCOPES });
  const app = express();
  const override = (m) => app.get('/.well-known/oauth-authorization-server', (req, res) => res.json(m));
  if (variant === 'issuer_mismatch') override({ ...metadata, issuer: 'https://auth.example.test/' });
  if (variant === 'no_s256') {
    const m = { ...metadata };
    delete m.code_challenge_methods_supported;
    override(m);
  }
  if (variant === 'plain_only') override({ ...metadata, code_challenge_methods_supported: ['plain'] });
  app.use(mcpAuthRouter({ provider, issuerUrl, scopesSupported: SCOPES }));
  return { app, metadata };
}

function mcpServer() {
  const server = new McpServer({ name: 'authdoctor-mcp-chain', version: '1.0.0' });
  server.registerTool('ping', { description: 'Answers pong' }, async () => ({ content: [{ type: 'text', text: 'pong' }] }));
  return server;
}

function resourceServer(variant, port, asMetadata) {
  const url = new URL(`http://${HOST}:${port}/mcp`);
  const metadataUrl = getOAuthProtectedResourceMetadataUrl(url);
  const prm = {
    resource: url.href,
    authorization_servers: [asMetadata.issuer],
    scopes_supported: SCOPES,
    resource_name: `authdoctor MCP chain (${variant})`,
  };
  if (variant === 'trailing_slash') prm.resource = `${url.href}/`;
  if (variant === 'other_host') prm.resource = `http://localhost:${port}/mcp`;
  if (variant === 'no_auth_servers') delete prm.authorization_servers;
  const app = express();
  const metaPath = new URL(metadataUrl).pathname;
  if (variant === 'not_json') {
    app.get(metaPath, (req, res) => res.type('html').send('<!doctype html><html><head><title>App</title></head><body><div id="root"></div><script src="/app.js"></script></body></html>\n'));
  } else if (variant !== 'metadata_404') {
    app.get(metaPath, (req, res) => res.json(prm));
  }
  const auth = requireBearerAuth({
    verifier: {
      async verifyAccessToken(token) {
        if (token !== TOKEN) throw new InvalidTokenError('Invalid or expired token');
        return { token, clientId: 'authdoctor-test', scopes: SCOPES, expiresAt: Math.floor(Date.now() / 1000) + 3600, resource: url };
      },
    },
    resourceMetadataUrl: metadataUrl,
  });
  app.post('/mcp', auth, express.json(), async (req, res) => {
    const server = mcpServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      transport.close();
      server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  app.get('/mcp', auth, (req, res) => res.json({ ok: true, variant, resource: url.href }));
  return app;
}

for (const [i, variant] of VARIANTS.entries()) {
  const asPort = AS_BASE + i;
  const rsPort = RS_BASE + i;
  const { app: asApp, metadata } = authServer(variant, asPort);
  await listen(asApp, asPort);
  await listen(resourceServer(variant, rsPort, metadata), rsPort);
  console.log(`mcp chain ${variant}: resource http://${HOST}:${rsPort}/mcp, authorization server http://${HOST}:${asPort}/`);
}
