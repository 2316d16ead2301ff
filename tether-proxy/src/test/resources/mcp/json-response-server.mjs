// A streamable-HTTP MCP server built with the official SDK (from npm), configured to answer
// POSTs with plain JSON instead of SSE (enableJsonResponse), so the observer's JSON path is
// exercised against the real SDK. Usage: PORT=n [TLS_KEY=key.pem TLS_CERT=cert.pem] node json-response-server.mjs
import http from 'node:http';
import https from 'node:https';
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

function newServer() {
  const s = new McpServer({ name: 'json-test', version: '1.0.0' });
  s.registerTool('echo', { description: 'Echoes', inputSchema: { message: z.string() } },
    async ({ message }) => ({ content: [{ type: 'text', text: 'Echo: ' + message }] }));
  s.registerTool('get-env', { description: 'Dumps the environment', inputSchema: {} },
    async () => ({ content: [{ type: 'text', text: 'ENV-DUMP' }] }));
  s.registerTool('fail', { description: 'Always fails', inputSchema: {} },
    async () => ({ isError: true, content: [{ type: 'text', text: 'it failed' }] }));
  return s;
}

const transports = {};
const tls = process.env.TLS_KEY
  ? { key: fs.readFileSync(process.env.TLS_KEY), cert: fs.readFileSync(process.env.TLS_CERT), ALPNProtocols: ['http/1.1'] }
  : null;
const create = tls ? (h) => https.createServer(tls, h) : (h) => http.createServer(h);
create(async (req, res) => {
  let body = '';
  for await (const chunk of req) body += chunk;
  let parsed;
  try { parsed = body ? JSON.parse(body) : undefined; } catch { res.writeHead(400).end('bad json'); return; }
  const sid = req.headers['mcp-session-id'];
  let t = sid && transports[sid];
  if (!t) {
    t = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: id => { transports[id] = t; },
    });
    await newServer().connect(t);
  }
  await t.handleRequest(req, res, parsed);
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.error('json MCP server on ' + process.env.PORT));
