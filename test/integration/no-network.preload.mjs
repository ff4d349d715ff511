// `node --import ./no-network.preload.mjs ...`: every way a Node process can reach the network is replaced by a
// stub that records the attempt (one JSON line in $LOOKALIKE_NET_RECORD) and fails it. The no-network test runs
// the CLI under it and asserts that nothing was recorded.
import { appendFileSync } from 'node:fs';
import dgram from 'node:dgram';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import tls from 'node:tls';

const record = process.env.LOOKALIKE_NET_RECORD;

function blocked(what, detail) {
  let text;
  try {
    text = JSON.stringify(detail);
  } catch {
    text = String(detail);
  }
  if (record) appendFileSync(record, `${JSON.stringify({ what, detail: String(text).slice(0, 300), pid: process.pid })}\n`);
  return Object.assign(new Error(`network access blocked by the test: ${what}`), { code: 'ENETUNREACH' });
}

const fail = (what) =>
  function (...args) {
    throw blocked(what, args[0]);
  };
const failAsync = (what) =>
  function (...args) {
    return Promise.reject(blocked(what, args[0]));
  };
const failCallback = (what) =>
  function (...args) {
    const err = blocked(what, args[0]);
    const cb = args.findLast((a) => typeof a === 'function');
    if (cb) process.nextTick(cb, err);
    else throw err;
  };

net.Socket.prototype.connect = fail('net.Socket.connect');
net.connect = fail('net.connect');
net.createConnection = fail('net.createConnection');
tls.connect = fail('tls.connect');
http.request = fail('http.request');
http.get = fail('http.get');
https.request = fail('https.request');
https.get = fail('https.get');
dgram.createSocket = fail('dgram.createSocket');
for (const name of ['lookup', 'lookupService', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveCname', 'resolveMx', 'resolveNs', 'resolveTxt', 'resolveSrv', 'reverse']) {
  dns[name] = failCallback(`dns.${name}`);
  dns.promises[name] = failAsync(`dns.promises.${name}`);
}
dns.Resolver.prototype.resolve = failCallback('dns.Resolver.resolve');
globalThis.fetch = failAsync('fetch');
if (globalThis.WebSocket) globalThis.WebSocket = fail('WebSocket');
if (globalThis.EventSource) globalThis.EventSource = fail('EventSource');
// Named ESM imports of builtins (`import { connect } from 'node:net'`) see the stubs too.
syncBuiltinESMExports();
