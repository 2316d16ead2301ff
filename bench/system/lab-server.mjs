// The benchmark's "internet": HTTP on :80 and HTTPS on :443 of one address in the lab namespace.
// GET answers 2 KiB; POST answers the number of bytes it received. Keep-alive on.
//   node lab-server.mjs ADDRESS CERT.pem KEY.pem
import http from 'node:http';
import https from 'node:https';
import fs from 'node:fs';

const [address, certFile, keyFile] = process.argv.slice(2);
const body = Buffer.alloc(2048, 'x');
function handle(req, res) {
  if (req.method === 'POST') {
    let n = 0;
    req.on('data', (c) => { n += c.length; });
    req.on('end', () => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(`received ${n}\n`); });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
}
let up = 0;
const ready = () => { if (++up === 2) console.log('listening'); };
http.createServer({ keepAliveTimeout: 30000 }, handle).listen(80, address, ready);
https.createServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile), keepAliveTimeout: 30000 }, handle)
  .listen(443, address, ready);
